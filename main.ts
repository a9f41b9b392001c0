/**
 * gridfleet's entry point: reads the configuration, opens the store, starts the
 * fleet and the HTTP server, and shuts all of it down gracefully on SIGINT or
 * SIGTERM.
 *
 * @module
 */

import { OpenAPIHono } from "@hono/zod-openapi";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { RealClock } from "./actors/clock.ts";
import { defaultActorParams } from "./actors/params.ts";
import { type Config, ConfigError, helpText, parseConfig } from "./config.ts";
import { Fleet } from "./fleet/fleet.ts";
import { actorsRouter } from "./routes/actors.ts";
import { ApiError, handleError, handleNotFound } from "./routes/api_error.ts";
import { docsRouter } from "./routes/docs.ts";
import { metricsRouter } from "./routes/metrics.ts";
import { repairsRouter } from "./routes/repairs.ts";
import { simulationRouter } from "./routes/simulation.ts";
import { staticRouter } from "./routes/static_files.ts";
import { turbinesRouter } from "./routes/turbines.ts";
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
export function createApp(fleet: Fleet, config: Config): OpenAPIHono {
  const app = new OpenAPIHono();
  app.onError(handleError);
  app.notFound(handleNotFound);
  if (config.apiToken) {
    const auth = bearerAuth({ token: config.apiToken });
    app.use("*", (c, next) => {
      const mutating = !["GET", "HEAD", "OPTIONS"].includes(c.req.method);
      return mutating ? auth(c, next) : next();
    });
  }
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, "body_too_large", `The body exceeds ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  app.route("/", simulationRouter(fleet, { seed: config.seed }));
  app.route("/", actorsRouter(fleet, { chaos: config.chaos }));
  app.route("/", turbinesRouter(fleet));
  app.route("/", repairsRouter(fleet));
  app.route("/", metricsRouter(fleet.ingest));
  app.route("/", docsRouter(app));
  app.route("/", staticRouter());
  return app;
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
  const store = await KvStore.open(config.kv);
  const resumeAt = await store.loadSimulationTime();
  const params = defaultActorParams(config.seed);
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
    placement: config.placement,
    poolSize: config.poolSize,
    ingestCapacity: config.ingestCapacity,
    retentionDays: config.retentionDays,
  });
  const app = createApp(fleet, config);
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: (addr) => resolve(addr as Deno.NetAddr),
  }, app.fetch);
  const addr = await listening;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  let stopping: Promise<void> | null = null;
  return {
    url: `http://${host}:${addr.port}`,
    fleet,
    store,
    shutdown() {
      stopping ??= (async () => {
        await server.shutdown();
        await fleet.stop();
        store.close();
      })();
      return stopping;
    },
  };
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
  const gridfleet = await startGridfleet(config);
  const workers = gridfleet.fleet.supervisor.stats().workers;
  console.log(
    `gridfleet listening on ${gridfleet.url} — ${config.turbines} turbines, ` +
      `${config.engineers} engineers in ${workers} Workers (${config.placement} placement), ` +
      `seed ${config.seed}, time scale ${config.timeScale}, store ${config.kv}; ` +
      `started in ${Math.round(performance.now() - started)} ms. API docs: ${gridfleet.url}/docs`,
  );
  const stop = async (signal: string) => {
    console.log(`gridfleet: ${signal} received, shutting down`);
    await gridfleet.shutdown();
    console.log("gridfleet: every snapshot persisted, store closed");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
}

if (import.meta.main) await main();
