/**
 * The simulation clock: its state, pause and resume; and the health check.
 *
 * @module
 */

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { RealClock } from "../actors/clock.ts";
import type { Fleet } from "../fleet/fleet.ts";
import { rejectInvalid } from "./api_error.ts";

const SimulationSchema = z.object({
  now: z.string().openapi({ description: "Simulated time, ISO-8601" }),
  now_ms: z.number(),
  paused: z.boolean(),
  time_scale: z.number().openapi({ description: "Simulated seconds per wall second" }),
  tick_ms: z.number().openapi({ description: "Simulated milliseconds between ticks" }),
  seed: z.number(),
  turbines: z.number().int(),
  engineers: z.number().int(),
  placement: z.enum(["worker", "pool"]),
}).openapi("Simulation");

/** Options of the simulation routes. */
export interface SimulationRouterOptions {
  seed: number;
}

/** The simulation and health routes. */
export function simulationRouter(fleet: Fleet, options: SimulationRouterOptions): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });
  const describe = () => {
    const now = fleet.clock.now();
    return {
      now: new Date(now).toISOString(),
      now_ms: Math.round(now),
      paused: fleet.paused,
      time_scale: fleet.clock instanceof RealClock ? fleet.clock.timeScale : 0,
      tick_ms: fleet.tickMs,
      seed: options.seed,
      turbines: fleet.turbines.length,
      engineers: fleet.engineers.length,
      placement: fleet.supervisor.placement,
    };
  };
  const simulationResponse = {
    200: {
      description: "The simulation",
      content: { "application/json": { schema: SimulationSchema } },
    },
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/health",
      tags: ["simulation"],
      summary: "Liveness and the main counters",
      responses: {
        200: {
          description: "The server is up",
          content: {
            "application/json": {
              schema: z.object({
                status: z.literal("ok"),
                uptime_seconds: z.number(),
                actors: z.number().int(),
                workers: z.number().int(),
                messages_delivered: z.number().int(),
                dead_letters: z.number().int(),
                metrics_committed: z.number().int(),
                ingest_queued: z.number().int(),
                repairs_waiting: z.number().int(),
                rss_bytes: z.number().int(),
              }),
            },
          },
        },
      },
    }),
    (c) => {
      const stats = fleet.supervisor.stats();
      return c.json({
        status: "ok" as const,
        uptime_seconds: Math.round((Date.now() - fleet.startedAt) / 1000),
        actors: stats.actors,
        workers: stats.workers,
        messages_delivered: stats.delivered,
        dead_letters: stats.deadLetters,
        metrics_committed: fleet.ingest.committed,
        ingest_queued: fleet.ingest.queued,
        repairs_waiting: fleet.desk.waiting().length,
        rss_bytes: Deno.memoryUsage().rss,
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/simulation",
      tags: ["simulation"],
      summary: "The simulation clock",
      responses: simulationResponse,
    }),
    (c) => c.json(describe(), 200),
  );
  for (const action of ["pause", "resume"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/api/simulation/${action}`,
        tags: ["simulation"],
        summary: action === "pause"
          ? "Freeze simulated time: no ticks, no repair progress (external ingest goes on)"
          : "Let simulated time run again",
        responses: simulationResponse,
      }),
      (c) => {
        if (action === "pause") fleet.pause();
        else fleet.resume();
        return c.json(describe(), 200);
      },
    );
  }
  return app;
}
