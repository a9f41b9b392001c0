/**
 * `deno task bench`: the numbers behind gridfleet's speed and memory targets.
 *
 * - actor messages/s through the supervisor, for both placements;
 * - start time and RSS of a server with N actors, for both placements;
 * - `POST /api/metrics` metrics/s with durable commit, single and batched.
 *
 * Each figure is measured here, on this machine, and printed; nothing is
 * asserted. Options: `--quick` for a short run.
 *
 * @module
 */

import { VirtualClock } from "../actors/clock.ts";
import { defaultActorParams } from "../actors/params.ts";
import type { Address } from "../actors/protocol.ts";
import { type Placement, Supervisor } from "../actors/supervisor.ts";
import { KvStore } from "../store/kv_store.ts";
import { spawnServer } from "../tests/server_process.ts";

const quick = Deno.args.includes("--quick");
const T = 1_767_225_600;

function rate(count: number, ms: number): string {
  return `${Math.round(count / (ms / 1000)).toLocaleString("en-US")}/s`;
}

async function actorMessages(
  placement: Placement,
  actors: number,
  perActor: number,
): Promise<void> {
  const store = await KvStore.open(":memory:");
  const supervisor = new Supervisor({
    clock: new VirtualClock(Date.now()),
    params: defaultActorParams(1),
    snapshots: store,
    placement,
    mailboxCapacity: 1000,
    onEvent: () => {},
  });
  const addresses = Array.from({ length: actors }, (_, i): Address => `turbine/${i + 1}`);
  await supervisor.start(addresses);
  // "repaired" to a turbine that is not broken: a message with no effects, so
  // this measures the runtime (mailbox, batching, Worker round trip), not a behaviour.
  const message = { type: "repaired", repairId: "bench", engineer: "engineer/1" } as const;
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
  await supervisor.stop();
  store.close();
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
  const metric = (turbine: number, t: number) => ({
    turbine_number: turbine,
    wind_speed: 8.2,
    power_output_in_kwh: 0.31,
    operational_status: "ok",
    timestamp: T + t,
  });
  async function load(concurrency: number, batch: number): Promise<[number, number]> {
    const deadline = performance.now() + seconds * 1000;
    let committed = 0;
    let refused = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const base = next;
        next += batch;
        const body = batch === 1 ? JSON.stringify(metric(1 + worker, base)) : JSON.stringify(
          Array.from({ length: batch }, (_, i) => metric(1 + (i % 100), base + i)),
        );
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        await response.arrayBuffer();
        if (response.status === 200) committed += batch;
        else refused++;
      }
    }));
    return [committed, performance.now() - started + (refused ? 0 : 0)];
  }
  const [batched, batchedMs] = await load(4, 10_000);
  console.log(
    `POST /api/metrics, batches of 10,000, 4 connections: ${batched.toLocaleString("en-US")} ` +
      `metrics committed in ${Math.round(batchedMs)} ms = ${rate(batched, batchedMs)}`,
  );
  const [single, singleMs] = await load(64, 1);
  console.log(
    `POST /api/metrics, one metric per request, 64 connections: ${
      single.toLocaleString("en-US")
    } ` +
      `requests committed in ${Math.round(singleMs)} ms = ${rate(single, singleMs)}`,
  );
  await server.stop();
  await Deno.remove(dir, { recursive: true });
}

console.log(`gridfleet bench on ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`);
await actorMessages("pool", 1000, quick ? 100 : 1000);
await actorMessages("worker", 50, quick ? 200 : 2000);
await startup("worker", 10);
await startup("pool", quick ? 1000 : 10_000);
await ingest(quick ? 2 : 5);
