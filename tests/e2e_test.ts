import assert from "node:assert/strict";
import { KvStore } from "../store/kv_store.ts";
import { waitFor } from "./fleet_harness.ts";
import { spawnServer } from "./server_process.ts";

async function getJson(url: string) {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return response.json();
}

Deno.test({
  name: "at time scale 60 a turbine breaks, gets one repair job, is repaired and reports ok again",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gridfleet-e2e-" });
    const server = await spawnServer(["--kv", `${dir}/g.kv`, "--time-scale", "60", "--seed", "1"]);
    try {
      const { actors } = await getJson(`${server.url}/api/actors`);
      // 10 turbines, 3 engineers and the 3 default devices, each in its own Worker.
      assert.equal(actors.length, 16);
      assert.equal(new Set(actors.map((a: { worker: number }) => a.worker)).size, 16);

      let done:
        | { id: string; turbine: number; reported_at: string; finished_at: string }
        | undefined;
      await waitFor(
        async () => {
          [done] = await getJson(`${server.url}/api/repairs?status=done`);
          return done !== undefined;
        },
        120_000,
        "a finished repair",
      );
      const turbine = done!.turbine;
      const jobs = await getJson(`${server.url}/api/repairs?turbine=${turbine}`);
      const reported = Date.parse(done!.reported_at) / 1000;
      const finished = Date.parse(done!.finished_at) / 1000;
      assert.equal(
        jobs.filter((j: { reported_at: string }) => j.reported_at === done!.reported_at).length,
        1,
      );

      // The metric stream shows the whole episode: ok, broken until the repair, ok again from 0 s.
      await waitFor(
        async () => {
          const latest = (await getJson(`${server.url}/api/turbines/${turbine}`)).latest;
          return latest.timestamp > finished + 30;
        },
        10_000,
        "metrics after the repair",
      );
      const { metrics } = await getJson(
        `${server.url}/api/turbines/${turbine}/metrics?since=${reported - 5}&until=${
          finished + 31
        }&limit=10000`,
      );
      const statusAt = (t: number) => metrics.find((m: { timestamp: number }) => m.timestamp === t);
      assert.equal(statusAt(reported - 1).operational_status, "ok");
      assert.equal(statusAt(reported).operational_status, "broken");
      const during = metrics.filter((m: { timestamp: number }) =>
        m.timestamp >= reported && m.timestamp < finished
      );
      assert.ok(
        during.every((m: { operational_status: string; power_output_in_kwh: number }) =>
          m.operational_status === "broken" && m.power_output_in_kwh === 0
        ),
      );
      // On a real clock the turbine hears of the repair a message later: at 60× a loaded
      // machine's few tens of milliseconds are a few simulated seconds still reported broken.
      // After that it is ok for good (a new failure within 30 s is a 0.4 % chance).
      const afterRepair = metrics.filter((m: { timestamp: number }) => m.timestamp > finished);
      const firstOk = afterRepair.findIndex((m: { operational_status: string }) =>
        m.operational_status === "ok"
      );
      assert.ok(firstOk >= 0 && firstOk <= 10, `ok again ${firstOk} s after the repair`);
      assert.ok(
        afterRepair.slice(firstOk).every((m: { operational_status: string }) =>
          m.operational_status === "ok"
        ),
      );
      assert.ok(afterRepair[firstOk].time_passed_in_seconds <= 2, "running time restarts from 0");
      const status = (await getJson(`${server.url}/api/turbines/${turbine}`)).status;
      assert.ok(status === "ok" || status === "broken" || status === "in_repair");
    } finally {
      const exit = await server.stop("SIGTERM");
      assert.equal(exit.code, 0, server.output());
      assert.match(server.output(), /every snapshot persisted/);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "every acknowledged metric survives kill -9 of the server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gridfleet-e2e-" });
    const kv = `${dir}/g.kv`;
    const server = await spawnServer(["--kv", kv, "--turbines", "2", "--engineers", "1"]);
    const acknowledged: number[] = [];
    let killed = false;
    try {
      const T = 1_767_225_600;
      const sender = async (worker: number) => {
        for (let batch = 0; !killed; batch++) {
          const base = worker * 1_000_000 + batch * 100;
          const body = Array.from({ length: 100 }, (_, i) => ({
            turbine_number: 4000,
            wind_speed: 6,
            power_output_in_kwh: 0.2,
            operational_status: "ok",
            timestamp: T + base + i,
          }));
          try {
            const response = await fetch(`${server.url}/api/metrics`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(body),
            });
            if (response.status === 200) acknowledged.push(...body.map((m) => m.timestamp));
            else await response.body?.cancel();
          } catch {
            return; // The server died mid-request: not acknowledged.
          }
        }
      };
      const senders = [0, 1, 2, 3].map(sender);
      await waitFor(() => acknowledged.length >= 5_000, 20_000, "5,000 acknowledged metrics");
      await server.stop("SIGKILL");
      killed = true;
      await Promise.all(senders);
    } finally {
      killed = true;
    }
    const store = await KvStore.open(kv);
    try {
      const stored = new Set(
        (await store.listMetrics(4000, { limit: 1_000_000 })).metrics.map((m) => m.timestamp),
      );
      const lost = acknowledged.filter((t) => !stored.has(t));
      assert.equal(
        lost.length,
        0,
        `${lost.length} of ${acknowledged.length} acknowledged metrics lost`,
      );
    } finally {
      store.close();
    }
    const restarted = await spawnServer(["--kv", kv, "--turbines", "2", "--engineers", "1"]);
    try {
      const turbine = await getJson(`${restarted.url}/api/turbines/4000`);
      assert.ok(turbine.latest.timestamp >= Math.max(...acknowledged));
    } finally {
      assert.equal((await restarted.stop()).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the pool placement starts and runs 10,000 turbines",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gridfleet-e2e-" });
    const server = await spawnServer([
      "--kv",
      `${dir}/g.kv`,
      "--placement",
      "pool",
      "--turbines",
      "10000",
    ], 120_000);
    try {
      const health = await getJson(`${server.url}/api/health`);
      // 10,000 turbines, 3 engineers and the 3 default devices.
      assert.equal(health.actors, 10_006);
      assert.equal(health.workers, 2 * navigator.hardwareConcurrency);
      await waitFor(
        async () => {
          const turbines = await getJson(`${server.url}/api/turbines`);
          return turbines.length === 10_000 &&
            turbines.every((t: { latest: unknown }) => t.latest !== null);
        },
        60_000,
        "a metric from every turbine",
      );
    } finally {
      assert.equal((await server.stop()).code, 0, server.output());
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a port already in use is one clear line and exit code 1, not a stack trace",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gridfleet-e2e-" });
    const first = await spawnServer(["--kv", `${dir}/a.kv`, "--turbines", "1", "--engineers", "0"]);
    try {
      const port = new URL(first.url).port;
      const second = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "main.ts", "--port", port, "--kv", `${dir}/b.kv`, "--turbines", "1"],
        cwd: new URL("..", import.meta.url),
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(second.stderr).trim();
      assert.equal(second.code, 1);
      assert.match(stderr, new RegExp(`^gridfleet: port ${port} on 127.0.0.1 is already in use`));
      assert.equal(stderr.split("\n").length, 1, stderr);
    } finally {
      assert.equal((await first.stop()).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
