import assert from "node:assert/strict";
import { EventBus } from "../fleet/event_bus.ts";
import { EventStream, type MetricsSummary, type StreamEvent } from "../fleet/event_stream.ts";
import { pcReading } from "./device_fixtures.ts";
import { testMetric } from "./fleet_harness.ts";

function broken(turbine: number) {
  return { type: "turbine.broken", turbine_id: turbine, at: 0, repair_id: `r-${turbine}` } as const;
}

function withStream(test: (bus: EventBus, stream: EventStream) => void): void {
  const bus = new EventBus();
  const stream = new EventStream(bus, { history: 5, summaryEveryMs: 60_000 });
  try {
    test(bus, stream);
  } finally {
    stream.close();
  }
}

Deno.test("events get consecutive ids and a client resumes right after the last one it saw", () => {
  withStream((bus, stream) => {
    const seen: StreamEvent[] = [];
    const first = stream.subscribe(null, (e) => seen.push(e));
    bus.publish(broken(1));
    bus.publish(broken(2));
    first.close();
    bus.publish(broken(3));
    bus.publish(broken(4));
    const later: StreamEvent[] = [];
    const resumed = stream.subscribe(seen[1].id, (e) => later.push(e));
    assert.equal(resumed.reset, false);
    assert.deepEqual(resumed.missed.map((e) => (e.data as { turbine_id: number }).turbine_id), [
      3,
      4,
    ]);
    assert.deepEqual(
      [...seen, ...resumed.missed].map((e) => Number(e.id.split("-")[1])),
      [1, 2, 3, 4],
      "no gap, no repeat",
    );
  });
});

Deno.test("a client whose last id is too old or from another boot is told to reset", () => {
  withStream((bus, stream) => {
    for (let i = 1; i <= 8; i++) bus.publish(broken(i));
    assert.equal(stream.subscribe(`${stream.boot}-1`, () => {}).reset, true, "older than kept");
    assert.equal(stream.subscribe("deadbeef-7", () => {}).reset, true, "another boot");
    const current = stream.subscribe(`${stream.boot}-6`, () => {});
    assert.equal(current.reset, false);
    assert.equal(current.missed.length, 2);
  });
});

Deno.test("metric batches become one summary with the latest state of each turbine", () => {
  withStream((bus, stream) => {
    const seen: StreamEvent[] = [];
    stream.subscribe(null, (e) => seen.push(e));
    bus.publish({ type: "metrics", metrics: [testMetric(2, 0), testMetric(1, 0)] });
    bus.publish({
      type: "metrics",
      metrics: [testMetric(2, 1, { operational_status: "broken", power_output_in_kwh: 0 })],
    });
    assert.equal(seen.length, 0, "nothing per metric");
    stream.flushSummary();
    assert.equal(seen.length, 1);
    const summary = seen[0].data as MetricsSummary;
    assert.equal(seen[0].type, "metrics.summary");
    assert.deepEqual(summary.turbines.map((t) => [t.id, t.status]), [[1, "ok"], [2, "broken"]]);
    assert.equal(summary.energy_kwh, 0.5);
  });
});

Deno.test("device readings are gathered into one event a second, the recent ones per device", () => {
  withStream((bus, stream) => {
    const seen: StreamEvent[] = [];
    stream.subscribe(null, (e) => seen.push(e));
    const scored = (id: string, timestamp: number) => ({
      reading: pcReading({ device_id: id, timestamp }),
      probability: 0.1,
      status: "ok" as const,
      model: 1,
    });
    for (let i = 0; i < 30; i++) {
      bus.publish({ type: "device.readings", readings: [scored("a", i * 5), scored("b", i * 5)] });
    }
    bus.publish({ type: "device.stressed", device_id: "a", at: 150_000 });
    assert.deepEqual(seen.map((e) => e.type), ["device.stressed"], "alerts go out at once");
    stream.flushSummary();
    assert.equal(seen.length, 2);
    const { readings } = seen[1].data as {
      readings: { reading: { device_id: string; timestamp: number } }[];
    };
    const of = (id: string) => readings.filter((r) => r.reading.device_id === id);
    assert.equal(of("a").length, 24);
    assert.equal(of("a").at(-1)!.reading.timestamp, 145);
    assert.equal(of("a")[0].reading.timestamp, 30);
    assert.equal(of("b").length, 24);
    stream.flushSummary();
    assert.equal(seen.length, 2, "nothing new, nothing sent");
  });
});

Deno.test("with many devices each keeps its newest readings within one event's budget", () => {
  withStream((bus, stream) => {
    const seen: StreamEvent[] = [];
    stream.subscribe(null, (e) => seen.push(e));
    for (let second = 0; second < 10; second++) {
      bus.publish({
        type: "device.readings",
        readings: Array.from({ length: 500 }, (_, i) => ({
          reading: pcReading({ device_id: `d${i}`, timestamp: second * 5 }),
          probability: 0.1,
          status: "ok" as const,
          model: 1,
        })),
      });
    }
    stream.flushSummary();
    const { readings } = seen[0].data as { readings: { reading: { timestamp: number } }[] };
    assert.equal(readings.length, 2_000);
    assert.ok(readings.every((r) => r.reading.timestamp >= 30), "the newest four of each");
  });
});

Deno.test("closing the stream ends every client", () => {
  const bus = new EventBus();
  const stream = new EventStream(bus);
  let ended = 0;
  stream.subscribe(null, () => {}, () => ended++);
  stream.subscribe(null, () => {}, () => ended++);
  stream.close();
  assert.equal(ended, 2);
  assert.equal(stream.clients, 0);
});
