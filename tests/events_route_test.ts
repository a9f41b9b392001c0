import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import { startGridfleet } from "../main.ts";
import { waitFor } from "./fleet_harness.ts";

interface Sse {
  events: { id?: string; event?: string; data?: string }[];
  close(): void;
}

/** Reads an SSE stream in the background, like a browser's EventSource would. */
async function listen(url: string, lastEventId?: string): Promise<Sse> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: lastEventId ? { "last-event-id": lastEventId } : {},
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /text\/event-stream/);
  const events: Sse["events"] = [];
  (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body!) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: Sse["events"][number] = {};
          for (const line of block.split("\n")) {
            const [field, ...rest] = line.split(": ");
            if (field === "id" || field === "event" || field === "data") {
              event[field] = rest.join(": ");
            }
          }
          if (event.event) events.push(event);
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return { events, close: () => controller.abort() };
}

Deno.test("a reconnecting client gets every status change it missed, in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-sse-" });
  const config = parseConfig(
    ["--port", "0", "--kv", `${dir}/g.kv`, "--turbines", "3", "--engineers", "0", "--seed", "3"],
    {},
  )!;
  const gridfleet = await startGridfleet(config);
  const url = `${gridfleet.url}/api/events`;
  try {
    const first = await listen(url);
    await waitFor(
      () => first.events.some((e) => e.event === "metrics.summary"),
      5_000,
      "a summary",
    );
    await fetch(`${gridfleet.url}/api/turbines/1/fail`, { method: "POST" }).then((r) =>
      r.body?.cancel()
    );
    await waitFor(() => first.events.some((e) => e.event === "turbine.broken"), 5_000, "broken 1");
    const lastSeen = first.events.at(-1)!.id!;
    first.close();

    await fetch(`${gridfleet.url}/api/turbines/2/fail`, { method: "POST" }).then((r) =>
      r.body?.cancel()
    );
    await fetch(`${gridfleet.url}/api/turbines/3/fail`, { method: "POST" }).then((r) =>
      r.body?.cancel()
    );
    await waitFor(() => gridfleet.fleet.desk.waiting().length === 3, 5_000, "three waiting jobs");

    const second = await listen(url, lastSeen);
    await waitFor(
      () => second.events.filter((e) => e.event === "turbine.broken").length === 2,
      5_000,
      "the missed breakdowns",
    );
    const ids = [...first.events, ...second.events].map((e) => Number(e.id!.split("-")[1]));
    assert.deepEqual(
      ids,
      ids.map((_, i) => ids[0] + i),
      "consecutive ids: nothing lost, nothing twice",
    );
    const broken = second.events.filter((e) => e.event === "turbine.broken").map((e) =>
      JSON.parse(e.data!).turbine_id
    );
    assert.deepEqual(broken.sort(), [2, 3]);
    second.close();

    const stale = await listen(url, "00000000-1");
    await waitFor(() => stale.events.length > 0, 5_000, "the reset");
    assert.equal(stale.events[0].event, "reset");
    stale.close();
  } finally {
    await gridfleet.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a client that stops reading is dropped without holding up the others", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-sse-" });
  const config = parseConfig(
    ["--port", "0", "--kv", `${dir}/g.kv`, "--turbines", "1", "--engineers", "0"],
    {},
  )!;
  const gridfleet = await startGridfleet(config);
  const { port } = new URL(gridfleet.url);
  const stuck = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  try {
    await stuck.write(new TextEncoder().encode("GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
    const reader = await listen(`${gridfleet.url}/api/events`);
    await waitFor(() => gridfleet.fleet.events.clients === 2, 5_000, "two clients");
    // Big events until the stuck client's socket and buffer are full.
    const padding = "x".repeat(60_000);
    for (let i = 0; i < 400 && gridfleet.fleet.events.clients === 2; i++) {
      gridfleet.fleet.bus.publish({
        type: "actor.stopped",
        address: "turbine/1",
        restarts: i,
        error: padding,
      });
      await new Promise((r) => setTimeout(r, 1));
    }
    await waitFor(() => gridfleet.fleet.events.clients === 1, 10_000, "the stuck client dropped");
    await waitFor(
      () => reader.events.filter((e) => e.event === "actor.stopped").length >= 50,
      10_000,
      "the reader kept up",
    );
    reader.close();
  } finally {
    stuck.close();
    await gridfleet.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
