/**
 * Turbines: their latest state, their metric streams (JSON pages or the
 * original system's one-JSON-line-per-metric export) and operator-forced
 * breakdowns.
 *
 * @module
 */

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { turbineAddress } from "../actors/protocol.ts";
import type { TurbineState } from "../actors/turbine.ts";
import type { Fleet } from "../fleet/fleet.ts";
import { ApiError, invalidRequest, parseOrReject, rejectInvalid } from "./api_error.ts";
import { MetricSchema } from "./metrics.ts";
import { errorResponse, Instant, TurbineIdParam } from "./schemas.ts";

const TurbineSchema = z.object({
  turbine_id: z.number().int(),
  status: z.enum(["ok", "broken", "in_repair", "stopped", "unknown"]).openapi({
    description: "broken: its latest metric says so (see open_repair); in_repair: an engineer " +
      "is on the job; stopped: its actor crashed too often and was stopped (see /api/actors)",
  }),
  simulated: z.boolean().openapi({ description: "Whether a turbine actor runs here" }),
  latest: MetricSchema.nullable(),
  time_passed_in_seconds: z.number().nullable(),
  metrics_emitted: z.number().nullable(),
  energy_kwh: z.number().nullable(),
  repairs_received: z.number().nullable(),
  open_repair: z.string().nullable(),
}).openapi("Turbine");

const MetricsQuery = z.object({
  since: Instant.optional().openapi({ description: "Inclusive start, epoch seconds or ISO-8601" }),
  until: Instant.optional().openapi({ description: "Exclusive end, epoch seconds or ISO-8601" }),
  limit: z.string().regex(/^\d{1,5}$/, "must be a whole number from 1 to 10000").transform(Number)
    .pipe(z.number().min(1, "must be a whole number from 1 to 10000").max(10_000))
    .optional().openapi({ type: "string", description: "At most this many (default 1000)" }),
  cursor: z.string().min(1).max(512).optional().openapi({
    description: "The `cursor` of the previous page",
  }),
}).strict();

/** A range whose end comes before its start is the caller's mistake, not an empty answer. */
function checkRange({ since, until }: { since?: number; until?: number }): void {
  if (since !== undefined && until !== undefined && until < since) {
    throw invalidRequest([{ field: "until", problem: `is before since (${since})`, value: until }]);
  }
}

/** The turbines routes. */
export function turbinesRouter(fleet: Fleet): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });

  function describe(id: number): z.infer<typeof TurbineSchema> | null {
    const record = fleet.ingest.latest(id);
    const address = turbineAddress(id);
    const simulated = fleet.supervisor.has(address);
    if (!record && !simulated) return null;
    const state = fleet.supervisor.stateOf<TurbineState>(address);
    const repair = fleet.desk.openRepairOf(id);
    const reported = record?.latest.operational_status;
    const status = fleet.supervisor.info(address)?.status === "stopped"
      ? "stopped"
      : repair
      ? repair.status === "in_progress" ? "in_repair" : "broken"
      : reported ?? state?.status ?? "unknown";
    return {
      turbine_id: id,
      status,
      simulated,
      latest: record?.latest ?? null,
      time_passed_in_seconds: state?.timePassedSeconds ?? record?.latest.time_passed_in_seconds ??
        null,
      metrics_emitted: state?.metricsEmitted ?? null,
      energy_kwh: state ? Math.round(state.energyKwh * 1000) / 1000 : null,
      repairs_received: state?.repairsReceived ?? null,
      open_repair: repair?.id ?? null,
    };
  }

  function mustExist(id: number): z.infer<typeof TurbineSchema> {
    const turbine = describe(id);
    if (!turbine) {
      throw new ApiError(
        404,
        "not_found",
        `Turbine ${id} is neither simulated nor has sent metrics`,
        [
          { field: "id", problem: "no such turbine", value: id },
        ],
      );
    }
    return turbine;
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/turbines",
      tags: ["turbines"],
      summary: "Every turbine, simulated or registered by its metrics",
      responses: {
        200: {
          description: "Turbines by id",
          content: { "application/json": { schema: z.array(TurbineSchema) } },
        },
      },
    }),
    (c) => {
      const ids = new Set(fleet.ingest.latestAll().map((r) => r.turbine_id));
      for (const address of fleet.turbines) ids.add(Number(address.split("/")[1]));
      const turbines = [...ids].sort((a, b) => a - b).map((id) => describe(id)!);
      return c.json(turbines, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/turbines/{id}",
      tags: ["turbines"],
      summary: "One turbine",
      request: { params: TurbineIdParam },
      responses: {
        200: {
          description: "The turbine",
          content: { "application/json": { schema: TurbineSchema } },
        },
        400: errorResponse("The id is not a positive integer"),
        404: errorResponse("No such turbine"),
      },
    }),
    (c) => c.json(mustExist(c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/turbines/{id}/metrics",
      tags: ["turbines"],
      summary: "A page of the turbine's metric stream, oldest first",
      request: { params: TurbineIdParam, query: MetricsQuery },
      responses: {
        200: {
          description: "Metrics with since <= timestamp < until; `cursor` is null on the last page",
          content: {
            "application/json": {
              schema: z.object({ metrics: z.array(MetricSchema), cursor: z.string().nullable() }),
            },
          },
        },
        400: errorResponse("A bad id, time, limit or cursor"),
        404: errorResponse("No such turbine"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const query = c.req.valid("query");
      checkRange(query);
      mustExist(id);
      try {
        return c.json(
          await fleet.store.listMetrics(id, { ...query, limit: query.limit ?? 1000 }),
          200,
        );
      } catch (error) {
        if (query.cursor !== undefined && error instanceof TypeError) {
          throw new ApiError(400, "invalid_request", `Invalid cursor: ${error.message}`, [
            {
              field: "cursor",
              problem: "is not a cursor this endpoint returned",
              value: query.cursor,
            },
          ]);
        }
        throw error;
      }
    },
  );

  const jsonlQuery = MetricsQuery.omit({ limit: true, cursor: true });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/api/turbines/{id}/metrics.jsonl",
    tags: ["turbines"],
    summary: "The metric stream in the original per-turbine format: one JSON line per metric",
    request: { params: TurbineIdParam, query: jsonlQuery },
    responses: {
      200: {
        description: "JSON lines",
        content: { "application/x-ndjson": { schema: z.string() } },
      },
      404: errorResponse("No such turbine"),
    },
  });
  app.get("/api/turbines/:id/metrics.jsonl", (c) => {
    const { id } = parseOrReject(TurbineIdParam, c.req.param());
    const { since, until } = parseOrReject(jsonlQuery, c.req.query());
    checkRange({ since, until });
    mustExist(id);
    const encoder = new TextEncoder();
    let cursor: string | undefined;
    let done = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (done) return controller.close();
        const page = await fleet.store.listMetrics(id, { since, until, limit: 2000, cursor });
        const lines = page.metrics.map((m) => JSON.stringify(m) + "\n").join("");
        if (lines) controller.enqueue(encoder.encode(lines));
        cursor = page.cursor ?? undefined;
        done = page.cursor === null;
      },
    });
    return c.body(body, 200, {
      "content-type": "application/x-ndjson",
      "content-disposition": `attachment; filename="turbine-${id}.jsonl"`,
    });
  });

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/turbines/{id}/fail",
      tags: ["turbines"],
      summary: "Force a simulated turbine to break down at its next second",
      request: { params: TurbineIdParam },
      responses: {
        202: {
          description: "The turbine will report itself broken",
          content: { "application/json": { schema: z.object({ turbine_id: z.number() }) } },
        },
        404: errorResponse("No simulated turbine with that id"),
        503: errorResponse("The turbine's mailbox is full"),
      },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const result = fleet.supervisor.tell(turbineAddress(id), { type: "force_failure" });
      if (result === "dead_letter") {
        throw new ApiError(
          404,
          "not_found",
          `Turbine ${id} is not simulated here (or is stopped)`,
          [
            { field: "id", problem: "no running turbine actor", value: id },
          ],
        );
      }
      if (result === "mailbox_full") {
        throw new ApiError(503, "overloaded", `Turbine ${id}'s mailbox is full`, [], {
          "Retry-After": "1",
        });
      }
      return c.json({ turbine_id: id }, 202);
    },
  );
  return app;
}
