import assert from "node:assert/strict";
import { T, waitFor } from "./fleet_harness.ts";
import { spawnServer } from "./server_process.ts";

async function getJson(url: string) {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return response.json();
}

Deno.test({
  name: "the server runs pc1, pc2 and raspberry by default, each reading scored and stored",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gridfleet-devices-e2e-" });
    const server = await spawnServer([
      "--kv",
      `${dir}/g.kv`,
      "--time-scale",
      "60",
      "--turbines",
      "1",
      "--engineers",
      "1",
    ]);
    try {
      assert.match(server.output(), /3 devices/);
      const devices = await getJson(`${server.url}/api/devices`);
      assert.deepEqual(
        devices.map((d: { id: string; profile: string; source: string }) =>
          `${d.id}:${d.profile}:${d.source}`
        ),
        ["pc1:pc:simulated", "pc2:pc:simulated", "raspberry:raspberry:simulated"],
      );
      // At 60× a reading every 5 simulated seconds is twelve a wall second.
      await waitFor(
        async () => {
          const { readings } = await getJson(`${server.url}/api/devices/raspberry/readings`);
          return readings.length >= 24;
        },
        30_000,
        "two simulated minutes of Pi readings",
      );
      const { readings } = await getJson(`${server.url}/api/devices/raspberry/readings`);
      for (const reading of readings) {
        assert.equal(reading.profile, "raspberry");
        assert.ok(reading.probability >= 0 && reading.probability <= 1);
        assert.ok(reading.cpu_temp_c > 20 && reading.cpu_temp_c < 100, `${reading.cpu_temp_c}`);
        assert.ok(reading.arm_freq_hz > 1e8);
      }
      const status = await getJson(`${server.url}/api/devices/pc1/status`);
      assert.match(status.text, /^The device is (OK|stressed|at risk)/);
      assert.equal(typeof status.probability, "number");

      // An external device over HTTP, with the server's clock.
      const now = Math.floor(Date.now() / 1000);
      const posted = await fetch(`${server.url}/api/readings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          device_id: "bench-pc",
          profile: "pc",
          timestamp: Math.max(now, T),
          cpu_clock_mhz: 3400,
          cpu_temp_c: 51,
          cpu_load_percent: 7,
          cpu_power_w: 8.1,
          fan_cfm: 20,
        }),
      });
      assert.equal(posted.status, 201, await posted.clone().text());
      assert.equal((await posted.json()).accepted, 1);
      const external = await getJson(`${server.url}/api/devices/bench-pc`);
      assert.equal(external.source, "external");
      assert.equal(external.actor, "running");

      const openapi = await getJson(`${server.url}/openapi.json`);
      for (
        const path of [
          "/api/readings",
          "/api/devices",
          "/api/devices/{id}",
          "/api/devices/{id}/status",
          "/api/devices/{id}/readings",
          "/api/devices/{id}/feedback",
        ]
      ) {
        assert.ok(openapi.paths[path], `${path} is documented`);
      }
    } finally {
      const status = await server.stop();
      assert.equal(status.code, 0, server.output());
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a missing stress model stops the start with one line naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-model-" });
  try {
    await Deno.writeTextFile(`${dir}/broken.json`, JSON.stringify({ format: "something else" }));
    for (
      const [path, problem] of [[`${dir}/none.json`, "cannot read"], [
        `${dir}/broken.json`,
        "is not usable",
      ]]
    ) {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "main.ts", "--port", "0", "--kv", ":memory:", "--model", path],
        cwd: new URL("..", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr).trim();
      assert.equal(output.code, 1);
      assert.equal(stderr.split("\n").length, 1, stderr);
      assert.ok(stderr.includes(path) && stderr.includes(problem), stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "--devices naming an external device's id refuses to start: one line, exit 2",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gridfleet-devices-e2e-" });
    try {
      const server = await spawnServer(["--kv", `${dir}/g.kv`, "--turbines", "0"]);
      const posted = await fetch(`${server.url}/api/readings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          device_id: "lab",
          profile: "pc",
          timestamp: Math.floor(Date.now() / 1000),
          cpu_clock_mhz: 3400,
          cpu_temp_c: 51,
          cpu_load_percent: 7,
          cpu_power_w: 8.1,
          fan_cfm: 20,
        }),
      });
      assert.equal(posted.status, 201);
      await posted.body?.cancel();
      assert.equal((await server.stop()).code, 0);
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "main.ts", "--port", "0", "--kv", `${dir}/g.kv`, "--devices", "lab:pc"],
        cwd: new URL("..", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr).trim();
      assert.equal(output.code, 2, stderr);
      assert.equal(
        stderr,
        'gridfleet: --devices: "lab" is an external device that posts its own ' +
          "readings here; give the simulated one another id",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
