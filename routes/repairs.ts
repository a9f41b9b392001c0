/**
 * Engineers and repair jobs.
 *
 * @module
 */

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { EngineerState } from "../actors/engineer.ts";
import type { Fleet } from "../fleet/fleet.ts";
import type { RepairJob } from "../store/kv_store.ts";
import { rejectInvalid } from "./api_error.ts";

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const RepairSchema = z.object({
  id: z.string(),
  turbine: z.number().int(),
  engineer: z.string().nullable(),
  status: z.enum(["waiting", "in_progress", "done"]),
  reported_at: z.string().openapi({ description: "Simulated time, ISO-8601" }),
  started_at: z.string().nullable(),
  arrived_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  waiting_seconds: z.number().openapi({
    description: "Simulated seconds from report to an engineer taking it (so far, if waiting)",
  }),
}).openapi("Repair");

const EngineerSchema = z.object({
  address: z.string(),
  status: z.enum(["idle", "travelling", "repairing", "unknown"]),
  repair: z.string().nullable(),
  turbine: z.number().int().nullable(),
  repairs_done: z.number().int().nullable(),
  actor_status: z.string(),
}).openapi("Engineer");

function describeRepair(job: RepairJob, now: number): z.infer<typeof RepairSchema> {
  return {
    id: job.id,
    turbine: job.turbine_id,
    engineer: job.engineer,
    status: job.status,
    reported_at: new Date(job.reported_at).toISOString(),
    started_at: isoOrNull(job.started_at),
    arrived_at: isoOrNull(job.arrived_at),
    finished_at: isoOrNull(job.finished_at),
    waiting_seconds: Math.max(0, Math.round(((job.started_at ?? now) - job.reported_at) / 1000)),
  };
}

/** The engineers and repairs routes. */
export function repairsRouter(fleet: Fleet): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/engineers",
      tags: ["repairs"],
      summary: "Every engineer and the job in hand",
      responses: {
        200: {
          description: "Engineers",
          content: { "application/json": { schema: z.array(EngineerSchema) } },
        },
      },
    }),
    (c) => {
      const engineers = fleet.engineers.map((address) => {
        const state = fleet.supervisor.stateOf<EngineerState>(address);
        return {
          address,
          status: state?.status ?? "unknown" as const,
          repair: state?.job?.id ?? null,
          turbine: state?.job?.turbineId ?? null,
          repairs_done: state?.repairsDone ?? null,
          actor_status: fleet.supervisor.info(address)?.status ?? "unknown",
        };
      });
      return c.json(engineers, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/repairs",
      tags: ["repairs"],
      summary: "Repair jobs, oldest report first",
      request: {
        query: z.object({
          turbine: z.string().regex(/^[1-9]\d{0,6}$/, "must be a whole number from 1 to 9,999,999")
            .transform(Number).optional().openapi({ type: "string" }),
          status: z.enum(["waiting", "in_progress", "done"]).optional(),
        }).strict(),
      },
      responses: {
        200: {
          description: "Repair jobs",
          content: { "application/json": { schema: z.array(RepairSchema) } },
        },
      },
    }),
    async (c) => {
      const { turbine, status } = c.req.valid("query");
      const now = fleet.clock.now();
      const jobs = (await fleet.store.listRepairs(status))
        .filter((job) => turbine === undefined || job.turbine_id === turbine)
        .sort((a, b) => a.reported_at - b.reported_at || (a.id < b.id ? -1 : 1));
      return c.json(jobs.map((job) => describeRepair(job, now)), 200);
    },
  );
  return app;
}
