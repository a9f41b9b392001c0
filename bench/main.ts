/**
 * `deno task bench`: the numbers behind gridfleet's speed and memory targets.
 *
 * - actor messages/s through the supervisor, for both placements;
 * - start time and RSS of a server with N actors, for both placements;
 * - `POST /api/metrics` metrics/s with durable commit, single and batched;
 * - device readings: the stress model's cost per reading, and readings
 *   simulated, scored and stored per second by a fleet of devices.
 *
 * Each figure is measured here, on this machine, and printed; nothing is
 * asserted. Options: `--quick` for a short run; `--only actors|restart|startup|ingest|devices`
 * (repeatable) for some of it.
 *
 * @module
 */

import { VirtualClock } from "../actors/clock.ts";
import { defaultActorParams } from "../actors/params.ts";
import type { Address } from "../actors/protocol.ts";
import { createDeviceSim, stepDevice } from "../actors/device_physics.ts";
import type { DeviceReading } from "../actors/device_readings.ts";
import { Random } from "../actors/random.ts";
import { predictStress } from "../actors/stress_model.ts";
import { type Placement, Supervisor } from "../actors/supervisor.ts";
import { Fleet } from "../fleet/fleet.ts";
import { loadStressModel } from "../main.ts";
import { KvStore } from "../store/kv_store.ts";
import { spawnServer } from "../tests/server_process.ts";

const quick = Deno.args.includes("--quick");
const only = Deno.args.flatMap((arg, i) => Deno.args[i - 1] === "--only" ? [arg] : []);
const wanted = (section: string) => only.length === 0 || only.includes(section);
const T = 1_767_225_600;

function rate(count: number, ms: number): string {
  return `${Math.round(count / (ms / 1000)).toLocaleString("en-US")}/s`;
}

/** A supervisor with `count` turbines and nothing behind it, for timing the runtime alone. */
async function benchSupervisor(
  placement: Placement,
  count: number,
): Promise<{ supervisor: Supervisor; addresses: Address[]; close(): Promise<void> }> {
  const store = await KvStore.open(":memory:");
  const supervisor = new Supervisor({
    clock: new VirtualClock(Date.now()),
    params: defaultActorParams(1),
    snapshots: store,
    placement,
    onEvent: () => {},
  });
  const addresses = Array.from({ length: count }, (_, i): Address => `turbine/${i + 1}`);
  await supervisor.start(addresses);
  return {
    supervisor,
    addresses,
    async close() {
      await supervisor.stop();
      store.close();
    },
  };
}

async function actorMessages(
  placement: Placement,
  actors: number,
  perActor: number,
): Promise<void> {
  const { supervisor, addresses, close } = await benchSupervisor(placement, actors);
  // "repaired" to a turbine that is not broken: a message with no effects, so
  // this measures the runtime (mailbox, batching, Worker round trip), not a behaviour.
  const message = { type: "repaired", repairId: "bench", engineer: "engineer/1", at: 0 } as const;
  const wave = Math.min(perActor, 500);
  const started = performance.now();
  let sent = 0;
  while (sent < actors * perActor) {
    for (const address of addresses) {
      for (let i = 0; i < wave; i++) supervisor.tell(address, message);
    }
    sent += actors * wave;
    await supervisor.whenIdle();
  }
  const elapsed = performance.now() - started;
  console.log(
    `actor messages, ${placement} placement, ${actors} actors: ${sent.toLocaleString("en-US")} ` +
      `messages in ${Math.round(elapsed)} ms = ${rate(sent, elapsed)}`,
  );
  await close();
}

/** Wall time from an injected crash to the actor running again, first restart (no backoff history). */
async function restartLatency(placement: Placement, samples: number): Promise<void> {
  const { supervisor, addresses, close } = await benchSupervisor(placement, samples);
  const times: number[] = [];
  for (const address of addresses) {
    const started = performance.now();
    supervisor.crash(address);
    while (
      supervisor.info(address)!.restarts === 0 || supervisor.info(address)!.status !== "running"
    ) {
      await new Promise((r) => setTimeout(r, 1));
    }
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]);
  console.log(
    `restart after a crash, ${placement} placement: p50 ${at(0.5)} ms, max ${at(1)} ms ` +
      `(${samples} crashes, backoff 50–100 ms included)`,
  );
  await close();
}

async function startup(placement: Placement, turbines: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-bench-" });
  const started = performance.now();
  const server = await spawnServer(
    ["--kv", `${dir}/g.kv`, "--placement", placement, "--turbines", String(turbines)],
    180_000,
  );
  const elapsed = performance.now() - started;
  await new Promise((r) => setTimeout(r, 3000));
  const health = await (await fetch(`${server.url}/api/health`)).json();
  console.log(
    `start, ${placement} placement, ${health.actors} actors in ${health.workers} Workers: ` +
      `listening after ${Math.round(elapsed)} ms (process start included), ` +
      `RSS ${Math.round(health.rss_bytes / 2 ** 20)} MiB after 3 s of running`,
  );
  await server.stop();
  await Deno.remove(dir, { recursive: true });
}

const WRK_SCRIPT = `-- 100 turbines, each posting one metric per second.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"turbine_number":%d,"wind_speed":8.2,"power_output_in_kwh":0.31,' ..
    '"operational_status":"ok","timestamp":%d}', 1 + counter % 100, ${T} + math.floor(counter / 100))
  return wrk.format(nil, nil, nil, body)
end
`;

function metricJson(turbine: number, t: number): string {
  return JSON.stringify({
    turbine_number: turbine,
    wind_speed: 8.2,
    power_output_in_kwh: 0.31,
    operational_status: "ok",
    timestamp: T + t,
  });
}

/** Batches of 10,000: 100 turbines, each reporting every second of a 100 s span. */
async function ingestBatched(url: string, seconds: number): Promise<void> {
  // Bodies are built before the clock starts, so the client measures the server, not itself.
  const bodies = Array.from(
    { length: 64 },
    (_, b) =>
      "[" +
      Array.from(
        { length: 10_000 },
        (_, i) => metricJson(1 + (i % 100), b * 100 + Math.floor(i / 100)),
      )
        .join(",") +
      "]",
  );
  let committed = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (performance.now() < deadline) {
      const body = bodies[next++ % bodies.length];
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      await response.arrayBuffer();
      if (response.status === 200) committed += 10_000;
    }
  }));
  const elapsed = performance.now() - started;
  console.log(
    `POST /api/metrics, batches of 10,000, 4 connections: ${committed.toLocaleString("en-US")} ` +
      `metrics committed in ${Math.round(elapsed)} ms = ${rate(committed, elapsed)}`,
  );
}

/** One metric per request: with wrk (a C load generator) when installed, else a Deno client. */
async function ingestSingle(url: string, seconds: number, connections: number): Promise<void> {
  const hasWrk = await new Deno.Command("wrk", {
    args: ["--version"],
    stdout: "null",
    stderr: "null",
  })
    .output().then(() => true, () => false);
  if (hasWrk) {
    const script = await Deno.makeTempFile({ suffix: ".lua" });
    await Deno.writeTextFile(script, WRK_SCRIPT);
    const { stdout } = await new Deno.Command("wrk", {
      args: ["-t1", `-c${connections}`, `-d${seconds}s`, "-s", script, url],
    }).output();
    const report = new TextDecoder().decode(stdout);
    const requests = /Requests\/sec:\s+([\d.]+)/.exec(report)?.[1];
    const latency = /Latency\s+(\S+)/.exec(report)?.[1];
    const errors = /Non-2xx or 3xx responses: (\d+)/.exec(report)?.[1] ?? "0";
    console.log(
      `POST /api/metrics, one metric per request, ${connections} connections (wrk): ` +
        `${
          Math.round(Number(requests)).toLocaleString("en-US")
        } requests/s, mean latency ${latency}, ` +
        `${errors} non-2xx`,
    );
    await Deno.remove(script);
    return;
  }
  let committed = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < deadline) {
      const n = next++;
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: metricJson(1 + n % 100, Math.floor(n / 100)),
      });
      await response.arrayBuffer();
      if (response.status === 200) committed++;
    }
  }));
  const elapsed = performance.now() - started;
  console.log(
    `POST /api/metrics, one metric per request, ${connections} connections (Deno client; ` +
      `install wrk for a fairer figure): ${rate(committed, elapsed)}`,
  );
}

async function ingest(seconds: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-bench-" });
  const server = await spawnServer([
    "--kv",
    `${dir}/g.kv`,
    "--turbines",
    "0",
    "--engineers",
    "0",
    "--ingest-capacity",
    "1000000",
  ]);
  const url = `${server.url}/api/metrics`;
  await ingestBatched(url, seconds);
  // Let the compactor catch up, so the single-metric run starts from an empty log.
  await new Promise((r) => setTimeout(r, 3000));
  await ingestSingle(url, seconds, 256);
  await server.stop();
  await Deno.remove(dir, { recursive: true });
}

const MODEL = new URL("../data/models/device-stress.json", import.meta.url).pathname;

/** The model's cost per reading: one prediction over a full window. */
async function predictionCost(predictions: number): Promise<void> {
  const model = await loadStressModel(MODEL);
  const random = new Random(7);
  let sim = createDeviceSim("pc", random, T * 1000);
  const window: DeviceReading[] = [];
  for (let i = 0; i < model.windowReadings; i++) {
    const stepped = stepDevice(sim, random, "bench", T + i * 5);
    sim = stepped.sim;
    window.push(stepped.reading);
  }
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < predictions; i++) sum += predictStress(model, window);
  const ms = performance.now() - started;
  console.log(
    `stress model: ${(ms * 1000 / predictions).toFixed(1)} µs per prediction over ` +
      `${model.windowReadings} readings (${rate(predictions, ms)}; checksum ${sum.toFixed(2)})`,
  );
}

/** Devices simulated, scored in their actors and stored in a KV file, on a virtual clock. */
async function deviceFleet(devices: number, minutes: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-bench-devices-" });
  const store = await KvStore.open(`${dir}/g.kv`);
  const list = Array.from({ length: devices }, (_, i) => ({
    id: `d${i + 1}`,
    profile: i % 2 === 0 ? "pc" as const : "raspberry" as const,
  }));
  const clock = new VirtualClock(T * 1000);
  const fleet = await Fleet.start({
    store,
    clock,
    params: defaultActorParams(1, {
      model: await loadStressModel(MODEL),
      simulated: Object.fromEntries(list.map((d) => [d.id, d.profile])),
    }),
    turbines: 0,
    engineers: 0,
    devices: list,
    placement: "pool",
    tickMs: 5_000,
  });
  const started = performance.now();
  await fleet.runFor(minutes * 60_000);
  const ms = performance.now() - started;
  const readings = devices * minutes * 12;
  console.log(
    `devices, pool placement, ${devices} devices × ${minutes} simulated min: ` +
      `${rate(readings, ms)} readings simulated, scored and stored`,
  );
  await fleet.stop();
  store.close();
  await Deno.remove(dir, { recursive: true });
}

console.log(`gridfleet bench on ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`);
if (wanted("actors")) {
  await actorMessages("pool", 1000, quick ? 100 : 1000);
  await actorMessages("worker", 50, quick ? 200 : 2000);
}
if (wanted("restart")) {
  await restartLatency("worker", quick ? 5 : 20);
  await restartLatency("pool", quick ? 5 : 20);
}
if (wanted("startup")) {
  await startup("worker", 10);
  await startup("pool", quick ? 1000 : 10_000);
}
if (wanted("ingest")) await ingest(quick ? 2 : 5);
if (wanted("devices")) {
  await predictionCost(quick ? 20_000 : 200_000);
  await deviceFleet(quick ? 100 : 1000, quick ? 2 : 10);
}
