/**
 * gridfleet's entry point: reads the configuration, opens the store, starts the
 * fleet and the HTTP server, and shuts all of it down gracefully on SIGINT or
 * SIGTERM.
 *
 * @module
 */

import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "node:crypto";
import { bodyLimit } from "hono/body-limit";
import { RealClock } from "./actors/clock.ts";
import { defaultActorParams } from "./actors/params.ts";
import { turbineAddress } from "./actors/protocol.ts";
import { parseStressModel, type StressModel } from "./actors/stress_model.ts";
import { type Config, ConfigError, helpText, parseConfig } from "./config.ts";
import { DeviceListConflict } from "./fleet/device_monitor.ts";
import { Fleet } from "./fleet/fleet.ts";
import { PushNotifier } from "./notifications/notifier.ts";
import { loadVapidKeys } from "./notifications/vapid.ts";
import { pushRouter, type PushRoutesContext } from "./routes/push.ts";
import { PushStore, type VapidKeys } from "./store/push_store.ts";
import { actorsRouter } from "./routes/actors.ts";
import { analysisRouter } from "./routes/analysis.ts";
import { devicesRouter } from "./routes/devices.ts";
import { ApiError, handleError, handleNotFound } from "./routes/api_error.ts";
import { docsRouter } from "./routes/docs.ts";
import { eventsRouter } from "./routes/events.ts";
import { metricsRouter } from "./routes/metrics.ts";
import { repairsRouter } from "./routes/repairs.ts";
import { simulationRouter } from "./routes/simulation.ts";
import { staticRouter } from "./routes/static_files.ts";
import { turbinesRouter } from "./routes/turbines.ts";
import { AnalysisStore } from "./store/analysis_store.ts";
import { KvStore } from "./store/kv_store.ts";

/** Largest request body accepted, bytes (10,000 metrics fit in about 1.6 MB). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Builds the HTTP application over a running fleet.
 *
 * @example
 * ```ts ignore
 * const app = createApp(fleet, config);
 * const response = await app.request("/api/health");
 * ```
 */
export function createApp(
  fleet: Fleet,
  config: Config,
  push: PushRoutesContext | null = null,
): OpenAPIHono {
  const app = new OpenAPIHono();
  app.onError(handleError);
  app.notFound(handleNotFound);
  if (config.apiToken) app.use("*", requireToken(config.apiToken));
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, "body_too_large", `The body exceeds ${MAX_BODY_BYTES} bytes`, [
        { field: "body", problem: `is larger than ${MAX_BODY_BYTES} bytes` },
      ]);
    },
  });
  // The analysis router streams CSV uploads of up to 50 MB to disk and limits bodies itself.
  app.use(
    "*",
    (c, next) =>
      c.req.method === "POST" && c.req.path === "/api/analysis/runs" ? next() : limitBody(c, next),
  );
  app.route("/", simulationRouter(fleet, { seed: config.seed }));
  app.route("/", actorsRouter(fleet, { chaos: config.chaos }));
  app.route("/", turbinesRouter(fleet));
  app.route("/", repairsRouter(fleet));
  app.route("/", devicesRouter(fleet));
  app.route(
    "/",
    metricsRouter(fleet.ingest, {
      isSimulated: (n) => fleet.supervisor.has(turbineAddress(n)),
      latestAllowed: () => Math.max(Date.now(), fleet.clock.now()) / 1000 + 3600,
    }),
  );
  app.route(
    "/",
    analysisRouter({ store: new AnalysisStore(fleet.store.kv), dataDir: config.dataDir }),
  );
  app.route("/", pushRouter(push));
  app.route("/", eventsRouter(app, fleet.events));
  app.route("/", docsRouter(app));
  app.route("/", staticRouter());
  return app;
}

/**
 * Mutating requests must carry `Authorization: Bearer <token>`; reads need
 * nothing. Anything else is a 401, compared in constant time.
 */
export function requireToken(token: string): MiddlewareHandler {
  const expected = new TextEncoder().encode(`Bearer ${token}`);
  return async (c, next) => {
    if (["GET", "HEAD", "OPTIONS"].includes(c.req.method)) return next();
    const given = new TextEncoder().encode(c.req.header("authorization") ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError(
        401,
        "unauthorized",
        "This endpoint needs an Authorization: Bearer <token> header with the configured API token",
        [{ field: "Authorization", problem: "is missing or not the configured bearer token" }],
        { "WWW-Authenticate": 'Bearer realm="gridfleet"' },
      );
    }
    await next();
  };
}

/** A started gridfleet: its address, its fleet and how to stop it. */
export interface Gridfleet {
  url: string;
  fleet: Fleet;
  store: KvStore;
  /** Stops accepting requests, drains the fleet, persists everything and closes the store. */
  shutdown(): Promise<void>;
}

/**
 * Starts the whole product from a configuration.
 *
 * @example
 * ```ts ignore
 * const gridfleet = await startGridfleet(parseConfig(["--port", "0"], {})!);
 * await gridfleet.shutdown();
 * ```
 */
export async function startGridfleet(config: Config): Promise<Gridfleet> {
  const model = await loadStressModel(config.modelPath);
  const store = await KvStore.open(config.kv);
  const pushStore = new PushStore(store.kv);
  let vapid: VapidKeys | null = null;
  if (config.vapidSubject) {
    try {
      vapid = await loadVapidKeys(pushStore, {
        publicKey: config.vapidPublicKey ?? undefined,
        privateKey: config.vapidPrivateKey ?? undefined,
      });
    } catch (error) {
      store.close();
      throw error;
    }
  }
  // Analysis runs a previous process left queued or running will never finish.
  await new AnalysisStore(store.kv).failInterruptedRuns();
  const resumeAt = await store.loadSimulationTime();
  const params = defaultActorParams(config.seed, {
    model,
    alertThreshold: config.alertThreshold,
    simulated: Object.fromEntries(config.devices.map((d) => [d.id, d.profile])),
  });
  params.turbine.mtbfSeconds = config.mtbfSeconds;
  params.engineer = { travelSeconds: config.travelSeconds, repairSeconds: config.repairSeconds };
  const fleet = await Fleet.start({
    store,
    clock: new RealClock({
      start: Math.max(Date.now(), resumeAt ?? 0),
      timeScale: config.timeScale,
    }),
    params,
    turbines: config.turbines,
    engineers: config.engineers,
    devices: config.devices,
    placement: config.placement,
    poolSize: config.poolSize,
    ingestCapacity: config.ingestCapacity,
    retentionDays: config.retentionDays,
  });
  let push: PushRoutesContext | null = null;
  if (config.vapidSubject && vapid) {
    const notifier = new PushNotifier({ store: pushStore, vapid, subject: config.vapidSubject });
    notifier.start(fleet.bus);
    push = { store: pushStore, notifier, publicKey: vapid.publicKey };
  }
  const app = createApp(fleet, config, push);
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: config.host,
      port: config.port,
      onListen: (addr) => resolve(addr as Deno.NetAddr),
    }, app.fetch);
  } catch (error) {
    await fleet.stop();
    await push?.notifier.stop();
    store.close();
    throw error;
  }
  const addr = await listening;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  let stopping: Promise<void> | null = null;
  return {
    url: `http://${host}:${addr.port}`,
    fleet,
    store,
    shutdown() {
      stopping ??= (async () => {
        // Live event streams never end by themselves: end them so the server can.
        fleet.events.close();
        await server.shutdown();
        await fleet.stop();
        // The fleet may publish while it stops, and the notifier needs the store.
        await push?.notifier.stop();
        store.close();
      })();
      return stopping;
    },
  };
}

/** Reads the device stress model once, at start; a missing or broken file stops the start. */
export async function loadStressModel(path: string): Promise<StressModel> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `cannot read the device stress model ${path} (${(error as Error).message}); ` +
        "make one with deno task train or point --model at one",
    );
  }
  try {
    return parseStressModel(JSON.parse(text));
  } catch (error) {
    throw new Error(`the device stress model ${path} is not usable: ${(error as Error).message}`);
  }
}

async function main(): Promise<void> {
  let config: Config | null;
  try {
    config = parseConfig(Deno.args, Deno.env.toObject());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`gridfleet: ${error.message}`);
    Deno.exit(2);
  }
  if (!config) {
    console.log(helpText());
    return;
  }
  const started = performance.now();
  let gridfleet: Gridfleet;
  try {
    gridfleet = await startGridfleet(config);
  } catch (error) {
    if (error instanceof DeviceListConflict) {
      console.error(`gridfleet: ${error.message}`);
      Deno.exit(2);
    }
    const reason = error instanceof Deno.errors.AddrInUse
      ? `port ${config.port} on ${config.host} is already in use (choose another with --port)`
      : `cannot start on ${config.host}:${config.port}: ${(error as Error).message}`;
    console.error(`gridfleet: ${reason}`);
    Deno.exit(1);
  }
  const workers = gridfleet.fleet.supervisor.stats().workers;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  console.log(
    `gridfleet listening on ${gridfleet.url} — ${plural(config.turbines, "turbine")}, ` +
      `${plural(config.engineers, "engineer")}, ${plural(config.devices.length, "device")} ` +
      `in ${plural(workers, "Worker")} ` +
      `(${config.placement} placement), ` +
      `seed ${config.seed}, time scale ${config.timeScale}, store ${config.kv}; ` +
      `started in ${Math.round(performance.now() - started)} ms. API docs: ${gridfleet.url}/docs`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    // `deno task` forwards the terminal's Ctrl-C to a process that got it already.
    if (stopping) return;
    stopping = true;
    console.log(`gridfleet: ${signal} received, shutting down`);
    await gridfleet.shutdown();
    console.log("gridfleet: every snapshot persisted, store closed");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
}

if (import.meta.main) await main();
