import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import { type Gridfleet, startGridfleet } from "../main.ts";
import { T, testMetric, waitFor } from "./fleet_harness.ts";

interface Server extends Gridfleet {
  dir: string;
  close(): Promise<void>;
}

async function startServer(args: string[] = []): Promise<Server> {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-api-" });
  const config = parseConfig(
    [
      "--port",
      "0",
      "--kv",
      `${dir}/g.kv`,
      "--seed",
      "11",
      "--turbines",
      "3",
      "--engineers",
      "1",
      ...args,
    ],
    {},
  )!;
  const gridfleet = await startGridfleet(config);
  return {
    ...gridfleet,
    dir,
    async close() {
      await gridfleet.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A metric, possibly made invalid by `extra`. */
function metric(turbine: number, second: number, extra: Record<string, unknown> = {}) {
  return { ...testMetric(turbine, second), ...extra };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

async function get(url: string) {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

Deno.test("POST /api/metrics with 1,000 metrics answers after commit and all are readable", async () => {
  const server = await startServer();
  try {
    const batch = Array.from({ length: 1000 }, (_, i) => metric(500, i));
    const response = await post(`${server.url}/api/metrics`, batch);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { accepted: 1000 });
    // Straight from the store, not through any cache of the server.
    const stored = await server.store.listMetrics(500, { limit: 5000 });
    assert.equal(stored.metrics.length, 1000);
    const page1 = await get(`${server.url}/api/turbines/500/metrics?limit=600`);
    assert.equal(page1.body.metrics.length, 600);
    assert.ok(page1.body.cursor);
    const page2 = await get(
      `${server.url}/api/turbines/500/metrics?limit=600&cursor=${page1.body.cursor}`,
    );
    assert.equal(page2.body.metrics.length, 400);
    assert.equal(page2.body.cursor, null);
    assert.equal(page2.body.metrics[399].timestamp, T + 999);
    const turbine = await get(`${server.url}/api/turbines/500`);
    assert.equal(turbine.body.simulated, false);
    assert.equal(turbine.body.latest.timestamp, T + 999);
  } finally {
    await server.close();
  }
});

Deno.test("bad metrics get a 400 naming the field, and nothing of the batch is stored", async () => {
  const server = await startServer();
  try {
    const cases: [unknown, RegExp, string][] = [
      ['[{"turbine_number": 600, "wind_speed": NaN}]', /not valid JSON/, "body"],
      ["{", /not valid JSON/, "body"],
      [[metric(600, 1, { wind_speed: "fast" })], /expected number/, "metrics[0].wind_speed"],
      [[metric(600, 1, { wind_speed: "NaN" })], /expected number/, "metrics[0].wind_speed"],
      [
        [metric(600, 1), metric(600, 2, { power_output_in_kwh: -3 })],
        />=0/,
        "metrics[1].power_output_in_kwh",
      ],
      [
        [metric(600, 1, { operational_status: "on_fire" })],
        /"ok"\|"broken"/,
        "metrics[0].operational_status",
      ],
      [[metric(600, 1, { turbine_number: 1.5 })], /expected int/, "metrics[0].turbine_number"],
      [[metric(600, 1, { colour: "red" })], /not a known field/, "metrics[0].colour"],
      [metric(600, 1, { timestamp: "yesterday" }), /expected number/, "timestamp"],
      [[], /at least 1|>=1/, "metrics"],
      [Array.from({ length: 10_001 }, (_, i) => metric(600, i)), /at most 10000/, "body"],
    ];
    for (const [body, message, field] of cases) {
      const response = await post(`${server.url}/api/metrics`, body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.match(response.body.error.message, message);
      if (field !== "body") assert.equal(response.body.error.details[0].field, field);
      assert.equal(
        response.body.error.code === "invalid_request" ||
          response.body.error.code === "malformed_json",
        true,
      );
    }
    assert.equal((await server.store.listMetrics(600, { limit: 10 })).metrics.length, 0);
    assert.equal(await server.store.getTurbine(600), null);
  } finally {
    await server.close();
  }
});

Deno.test("POST /post_metrics takes one metric in the original JSON and refuses arrays", async () => {
  const server = await startServer();
  try {
    const ok = await post(
      `${server.url}/post_metrics`,
      metric(700, 0, { operational_status: "broken" }),
    );
    assert.deepEqual([ok.status, ok.body], [200, { accepted: 1 }]);
    const array = await post(`${server.url}/post_metrics`, [metric(700, 1)]);
    assert.equal(array.status, 400);
    // The broken metric opened a repair job for the (auto-registered) turbine 700.
    const repairs = await get(`${server.url}/api/repairs?turbine=700`);
    assert.equal(repairs.body.length, 1);
    assert.equal(repairs.body[0].id, `r-700-${T}`);
  } finally {
    await server.close();
  }
});

Deno.test("the JSON-lines export has one metric per line in the original format", async () => {
  const server = await startServer();
  try {
    await post(`${server.url}/api/metrics`, Array.from({ length: 2500 }, (_, i) => metric(800, i)));
    const response = await fetch(`${server.url}/api/turbines/800/metrics.jsonl?since=${T + 100}`);
    assert.equal(response.headers.get("content-type"), "application/x-ndjson");
    const lines = (await response.text()).trim().split("\n");
    assert.equal(lines.length, 2400);
    assert.deepEqual(JSON.parse(lines[0]), metric(800, 100));
  } finally {
    await server.close();
  }
});

Deno.test("mutating requests need the bearer token when one is configured", async () => {
  const server = await startServer(["--api-token", "s3cret"]);
  try {
    const denied = await post(`${server.url}/api/metrics`, metric(900, 0));
    assert.equal(denied.status, 401);
    assert.equal(denied.body.error.code, "unauthorized");
    const wrong = await post(`${server.url}/api/simulation/pause`, {}, {
      authorization: "Bearer nope",
    });
    assert.equal(wrong.status, 401);
    const allowed = await post(`${server.url}/api/metrics`, metric(900, 0), {
      authorization: "Bearer s3cret",
    });
    assert.equal(allowed.status, 200);
    assert.equal((await get(`${server.url}/api/turbines`)).status, 200, "reading needs no token");
  } finally {
    await server.close();
  }
});

Deno.test("unknown turbines and bad parameters are 4xx naming the field, never 500", async () => {
  const server = await startServer();
  try {
    const missing = await get(`${server.url}/api/turbines/4242`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.details[0].field, "id");
    const badId = await get(`${server.url}/api/turbines/abc`);
    assert.equal(badId.status, 400);
    assert.equal(badId.body.error.details[0].field, "id");
    const badSince = await get(`${server.url}/api/turbines/1/metrics?since=soon`);
    assert.equal(badSince.status, 400);
    assert.equal(badSince.body.error.details[0].field, "since");
    const badLimit = await get(`${server.url}/api/turbines/1/metrics?limit=0`);
    assert.equal(badLimit.body.error.details[0].field, "limit");
    const badStatus = await get(`${server.url}/api/repairs?status=lost`);
    assert.equal(badStatus.body.error.details[0].field, "status");
    const failUnknown = await post(`${server.url}/api/turbines/4242/fail`, {});
    assert.equal(failUnknown.status, 404);
    const route = await get(`${server.url}/api/nothing`);
    assert.equal(route.status, 404);
    assert.equal(route.body.error.code, "not_found");
  } finally {
    await server.close();
  }
});

Deno.test("a crashed turbine is restarted and its counters continue; 6 quick crashes stop it", async () => {
  const server = await startServer(["--time-scale", "10"]);
  const actor = async () =>
    (await get(`${server.url}/api/actors`)).body.actors.find((a: { address: string }) =>
      a.address === "turbine/2"
    );
  try {
    await waitFor(() =>
      server.fleet.supervisor.stateOf<{ metricsEmitted: number }>("turbine/2")!.metricsEmitted >= 20
    );
    const before = (await get(`${server.url}/api/turbines/2`)).body;
    const crash = await post(`${server.url}/api/actors/turbine/2/crash`, {});
    assert.deepEqual([crash.status, crash.body], [202, { address: "turbine/2" }]);
    await waitFor(
      async () => (await actor()).restarts === 1 && (await actor()).status === "running",
      3000,
      "restart",
    );
    const after = (await get(`${server.url}/api/turbines/2`)).body;
    assert.ok(after.metrics_emitted >= before.metrics_emitted, "resumed, not from zero");
    assert.ok(after.energy_kwh >= before.energy_kwh);

    for (let crash = 2; crash <= 6; crash++) {
      await waitFor(
        async () => (await actor()).status === "running",
        5000,
        `running before crash ${crash}`,
      );
      assert.equal((await post(`${server.url}/api/actors/turbine/2/crash`, {})).status, 202);
      await waitFor(async () => (await actor()).status !== "running", 5000, `crash ${crash}`);
    }
    await waitFor(async () => (await actor()).status === "stopped", 5000, "stopped");
    const actors = (await get(`${server.url}/api/actors`)).body;
    assert.equal(actors.alarms.length, 1);
    assert.equal(actors.alarms[0].address, "turbine/2");
    assert.match(actors.alarms[0].message, /stopped/);
    const again = await post(`${server.url}/api/actors/turbine/2/crash`, {});
    assert.equal(again.status, 409);
  } finally {
    await server.close();
  }
});

Deno.test("--no-chaos refuses fault injection", async () => {
  const server = await startServer(["--no-chaos"]);
  try {
    const response = await post(`${server.url}/api/actors/turbine/1/crash`, {});
    assert.equal(response.status, 403);
  } finally {
    await server.close();
  }
});

Deno.test("pause freezes simulated time and resume lets it run again", async () => {
  const server = await startServer(["--time-scale", "100"]);
  try {
    const paused = await post(`${server.url}/api/simulation/pause`, {});
    assert.equal(paused.body.paused, true);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await get(`${server.url}/api/simulation`)).body.now_ms, paused.body.now_ms);
    const resumed = await post(`${server.url}/api/simulation/resume`, {});
    assert.equal(resumed.body.paused, false);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await get(`${server.url}/api/simulation`)).body.now_ms > paused.body.now_ms);
  } finally {
    await server.close();
  }
});

Deno.test("OpenAPI document lists the routes and Swagger UI is served without a CDN", async () => {
  const server = await startServer();
  try {
    const document = (await get(`${server.url}/openapi.json`)).body;
    for (
      const path of [
        "/api/metrics",
        "/post_metrics",
        "/api/turbines/{id}/metrics",
        "/api/actors",
        "/api/repairs",
        "/api/simulation/pause",
      ]
    ) {
      assert.ok(document.paths[path], `${path} is documented`);
    }
    const page = await (await fetch(`${server.url}/docs`)).text();
    assert.doesNotMatch(page, /https?:\/\//, "no external asset");
    for (const asset of page.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const response = await fetch(`${server.url}${asset[1]}`);
      assert.equal(response.status, 200, asset[1]);
      await response.body?.cancel();
    }
  } finally {
    await server.close();
  }
});

Deno.test("engineers and repairs show a forced breakdown being handled", async () => {
  const server = await startServer([
    "--time-scale",
    "600",
    "--travel-seconds",
    "60-120",
    "--repair-seconds",
    "60-120",
  ]);
  try {
    const fail = await post(`${server.url}/api/turbines/1/fail`, {});
    assert.equal(fail.status, 202);
    await waitFor(
      async () => (await get(`${server.url}/api/repairs?turbine=1`)).body.length === 1,
      5000,
      "a repair job",
    );
    await waitFor(
      async () => (await get(`${server.url}/api/repairs?turbine=1&status=done`)).body.length === 1,
      10_000,
      "the repair",
    );
    const [repair] = (await get(`${server.url}/api/repairs?turbine=1`)).body;
    assert.equal(repair.engineer, "engineer/1");
    assert.ok(repair.started_at && repair.arrived_at && repair.finished_at);
    await waitFor(
      async () => (await get(`${server.url}/api/turbines/1`)).body.status === "ok",
      5000,
      "ok again",
    );
    const engineers = (await get(`${server.url}/api/engineers`)).body;
    assert.equal(engineers[0].repairs_done, 1);
  } finally {
    await server.close();
  }
});

Deno.test("metrics that contradict the fleet are refused, naming the field", async () => {
  const server = await startServer();
  try {
    const duplicate = await post(`${server.url}/api/metrics`, [metric(610, 1), metric(610, 1)]);
    assert.equal(duplicate.status, 400);
    assert.equal(duplicate.body.error.details[0].field, "metrics[1].timestamp");
    assert.match(duplicate.body.error.details[0].problem, /repeats metrics\[0\]/);
    const simulated = await post(`${server.url}/api/metrics`, [metric(611, 1), metric(2, 1)]);
    assert.equal(simulated.status, 409);
    assert.equal(simulated.body.error.details[0].field, "metrics[1].turbine_number");
    const future = await post(
      `${server.url}/post_metrics`,
      metric(612, 0, { timestamp: 32_503_680_000 }),
    );
    assert.equal(future.status, 400);
    assert.equal(future.body.error.details[0].field, "timestamp");
    for (const turbine of [610, 611, 612]) {
      assert.equal(await server.store.getTurbine(turbine), null);
    }
  } finally {
    await server.close();
  }
});

Deno.test("query and path parameters are parsed strictly", async () => {
  const server = await startServer();
  try {
    const cases: [string, string, RegExp][] = [
      ["/api/turbines/1/metrics?cursor=", "cursor", /at least 1|>=1/],
      ["/api/turbines/1/metrics?cursor=bogus", "cursor", /not a cursor/],
      ["/api/turbines/1e1", "id", /whole number/],
      ["/api/turbines/0x1", "id", /whole number/],
      ["/api/turbines/1/metrics?since=1767225600000", "since", /milliseconds/],
      ["/api/turbines/1/metrics?since=99999999999999999999999", "since", /before the year 5000/],
      ["/api/turbines/1/metrics.jsonl?limit=2", "limit", /not a known field/],
      ["/api/repairs?turbine=1.5", "turbine", /whole number/],
    ];
    for (const [path, field, problem] of cases) {
      const response = await get(`${server.url}${path}`);
      assert.equal(response.status, 400, `${path}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.details[0].field, field, path);
      assert.match(response.body.error.details[0].problem, problem, path);
    }
  } finally {
    await server.close();
  }
});

Deno.test("a malformed Authorization header is a 401 like a missing one", async () => {
  const server = await startServer(["--api-token", "s3cret"]);
  try {
    const response = await post(`${server.url}/api/simulation/pause`, {}, {
      authorization: "s3cret",
    });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="gridfleet"');
    assert.equal(response.body.error.details[0].field, "Authorization");
  } finally {
    await server.close();
  }
});

Deno.test("a stopped turbine says so, gets no ticks, and an operator can restart it", async () => {
  const server = await startServer(["--time-scale", "10"]);
  const actor = async () =>
    (await get(`${server.url}/api/actors`)).body.actors.find((a: { address: string }) =>
      a.address === "turbine/3"
    );
  try {
    const early = await post(`${server.url}/api/actors/turbine/3/restart`, {});
    assert.equal(early.status, 409, "only a stopped actor can be restarted");
    for (let crash = 1; crash <= 6; crash++) {
      await waitFor(async () => (await actor()).status === "running", 5000, `running ${crash}`);
      await post(`${server.url}/api/actors/turbine/3/crash`, {});
      await waitFor(async () => (await actor()).status !== "running", 5000, `crash ${crash}`);
    }
    await waitFor(async () => (await actor()).status === "stopped", 5000, "stopped");
    assert.equal((await get(`${server.url}/api/turbines/3`)).body.status, "stopped");
    const deadLetters = (await get(`${server.url}/api/dead-letters`)).body.count;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(
      (await get(`${server.url}/api/dead-letters`)).body.count,
      deadLetters,
      "no ticks sent",
    );
    const before = (await get(`${server.url}/api/turbines/3`)).body.metrics_emitted;
    const restart = await post(`${server.url}/api/actors/turbine/3/restart`, {});
    assert.deepEqual([restart.status, restart.body], [200, { address: "turbine/3" }]);
    await waitFor(
      async () => (await get(`${server.url}/api/turbines/3`)).body.metrics_emitted > before,
      5000,
      "ticking again",
    );
    assert.equal((await actor()).status, "running");
  } finally {
    await server.close();
  }
});

Deno.test("errors echo bad values briefly and never fail on deep or huge input", async () => {
  const server = await startServer();
  try {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const nested = await post(`${server.url}/api/metrics`, deep);
    assert.equal(nested.status, 400);
    const huge = await post(
      `${server.url}/post_metrics`,
      metric(620, 0, { turbine_number: "x".repeat(1_000_000) }),
    );
    assert.equal(huge.status, 400);
    assert.ok(JSON.stringify(huge.body).length < 2_000, "the echo is cut");
    assert.match(huge.body.error.details[0].value, /1000000 characters/);
    const fraction = await post(`${server.url}/api/metrics`, [
      metric(621, 0, { timestamp: T + 0.5 }),
    ]);
    assert.equal(fraction.body.error.details[0].field, "metrics[0].timestamp");
    const backwards = await get(`${server.url}/api/turbines/1/metrics?since=${T + 10}&until=${T}`);
    assert.equal(backwards.status, 400);
    assert.equal(backwards.body.error.details[0].field, "until");
  } finally {
    await server.close();
  }
});

Deno.test("the overview page offers an Enable alerts control and its service worker is served", async () => {
  const server = await startServer();
  try {
    const page = await (await fetch(`${server.url}/`)).text();
    assert.match(page, /<button type="button" id="enable-alerts">Enable alerts<\/button>/);
    const worker = await fetch(`${server.url}/sw.js`);
    assert.equal(worker.status, 200);
    assert.match(worker.headers.get("content-type")!, /javascript/);
    assert.match(await worker.text(), /addEventListener\("push"/);
    const key = await fetch(`${server.url}/api/push/public-key`);
    assert.equal(key.status, 503, "push is off without a VAPID subject");
    await key.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("with a VAPID subject the server makes and keeps a key pair across restarts", async () => {
  const first = await startServer(["--vapid-subject", "mailto:ops@gridfleet.example.org"]);
  let key: string;
  try {
    key = (await get(`${first.url}/api/push/public-key`)).body.public_key;
    assert.match(key, /^[A-Za-z0-9_-]{87}$/);
  } finally {
    await first.shutdown();
  }
  const config = parseConfig(
    [
      "--port",
      "0",
      "--kv",
      `${first.dir}/g.kv`,
      "--turbines",
      "1",
      "--engineers",
      "0",
      "--vapid-subject",
      "mailto:ops@gridfleet.example.org",
    ],
    {},
  )!;
  const second = await startGridfleet(config);
  try {
    assert.equal((await get(`${second.url}/api/push/public-key`)).body.public_key, key);
  } finally {
    await second.shutdown();
    await Deno.remove(first.dir, { recursive: true });
  }
});
