/**
 * `GET /api/events`: the fleet's events as Server-Sent Events. Each event has
 * an `id:`, so a browser that reconnects (it sends `Last-Event-ID`) gets what
 * it missed; a comment line every 15 s keeps proxies from closing the stream;
 * a client that does not keep up is dropped rather than buffered without end.
 *
 * @module
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { EventStream, StreamEvent } from "../fleet/event_stream.ts";

/** Options of the events route. */
export interface EventsRouterOptions {
  heartbeatMs?: number;
  /** Bytes queued for one client before it is dropped; default 4 MiB. */
  clientBufferBytes?: number;
}

function frame(event: StreamEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/**
 * The events route, documented in `api`'s OpenAPI registry.
 *
 * @example
 * ```ts ignore
 * app.route("/", eventsRouter(app, fleet.events));
 * ```
 */
export function eventsRouter(
  api: OpenAPIHono,
  stream: EventStream,
  options: EventsRouterOptions = {},
): Hono {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const bufferBytes = options.clientBufferBytes ?? 4 * 1024 * 1024;
  api.openAPIRegistry.registerPath({
    method: "get",
    path: "/api/events",
    tags: ["events"],
    summary: "Server-Sent Events: metric summaries (one a second), breakdowns, repairs, alarms",
    request: {
      headers: z.object({
        "last-event-id": z.string().optional().openapi({
          description: "The last id received: the stream resumes after it (or sends `reset`)",
        }),
      }),
    },
    responses: {
      200: {
        description: "An endless text/event-stream; `event: reset` means reload state first",
        content: { "text/event-stream": { schema: z.string() } },
      },
    },
  });

  const app = new Hono();
  app.get("/api/events", (c) => {
    const lastEventId = c.req.header("last-event-id") ?? null;
    const encoder = new TextEncoder();
    let stop = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        let open = true;
        const heartbeat = setInterval(() => write(": heartbeat\n\n"), heartbeatMs);
        stop = () => {
          if (!open) return;
          open = false;
          clearInterval(heartbeat);
          subscription.close();
        };
        const write = (text: string) => {
          if (!open) return;
          if ((controller.desiredSize ?? 0) <= 0) {
            // Too slow: drop the client; it reconnects and resumes from its last id.
            stop();
            controller.error(new Error("The client did not keep up with the event stream"));
            return;
          }
          controller.enqueue(encoder.encode(text));
        };
        const subscription = stream.subscribe(
          lastEventId,
          (event) => write(frame(event)),
          () => {
            stop();
            controller.close();
          },
        );
        write("retry: 2000\n\n");
        if (subscription.reset) write("event: reset\ndata: {}\n\n");
        for (const event of subscription.missed) write(frame(event));
      },
      cancel() {
        stop();
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark: bufferBytes }));
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      },
    });
  });
  return app;
}
