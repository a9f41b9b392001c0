/**
 * Metric ingest over HTTP: `POST /api/metrics` (one metric or an array of up
 * to 10,000) and the original system's `POST /post_metrics` (one metric). Both
 * answer only after the metrics are committed to Deno KV; a batch with any
 * invalid metric is rejected whole.
 *
 * @module
 */

import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { TurbineMetric } from "../actors/protocol.ts";
import { IngestOverloaded, type MetricIngest } from "../fleet/metric_ingest.ts";
import {
  ApiError,
  fieldProblems,
  invalidRequest,
  parseJsonBody,
  rejectInvalid,
} from "./api_error.ts";
import { errorResponse } from "./schemas.ts";

/** Largest batch one request may carry. */
export const MAX_BATCH = 10_000;

/** One turbine metric: the single definition of its JSON shape. */
export const MetricSchema = z.object({
  turbine_number: z.number().int().min(1).max(1_000_000).openapi({ example: 7 }),
  wind_speed: z.number().min(0).max(100).openapi({ description: "m/s", example: 9.4 }),
  power_output_in_kwh: z.number().min(0).max(100_000).openapi({
    description: "Energy produced in the interval since the previous metric, kWh",
    example: 0.42,
  }),
  operational_status: z.enum(["ok", "broken"]),
  timestamp: z.number().int().min(946_684_800).max(32_503_680_000).openapi({
    description: "Epoch seconds, whole (years 2000 to 3000)",
    example: 1_767_225_600,
  }),
  time_passed_in_seconds: z.number().int().min(0).optional().openapi({
    description: "Seconds since the turbine started or was last repaired",
  }),
}).strict().openapi("Metric");

const MetricBatchSchema = z.array(MetricSchema).min(1).max(MAX_BATCH);

const AcceptedSchema = z.object({
  accepted: z.number().int().openapi({ description: "Metrics committed by this request" }),
}).openapi("Accepted");

/** What the ingest routes need to know about the fleet to judge a metric. */
export interface MetricRules {
  /** Whether this server simulates the turbine (its stream then belongs to its actor). */
  isSimulated(turbineNumber: number): boolean;
  /** Epoch seconds beyond which a timestamp is in the future (simulated or wall time, the later). */
  latestAllowed(): number;
}

/**
 * Checks what a schema cannot: two metrics of one turbine and second in one
 * batch contradict each other, a simulated turbine's stream is its actor's
 * alone, and a metric from the future would become the turbine's latest for
 * good.
 */
export function checkMetrics(metrics: TurbineMetric[], rules: MetricRules, root: string): void {
  const field = (i: number, name: string) => (root ? `${root}[${i}].${name}` : name);
  const seen = new Map<string, number>();
  const latestAllowed = rules.latestAllowed();
  metrics.forEach((metric, i) => {
    const key = `${metric.turbine_number}@${metric.timestamp}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw invalidRequest([{
        field: field(i, "timestamp"),
        problem: `repeats ${root}[${first}]: turbine ${metric.turbine_number} at the same second`,
        value: metric.timestamp,
      }]);
    }
    seen.set(key, i);
    if (metric.timestamp > latestAllowed) {
      throw invalidRequest([{
        field: field(i, "timestamp"),
        problem: `is more than an hour ahead of the clock (${Math.floor(latestAllowed - 3600)})`,
        value: metric.timestamp,
      }]);
    }
    if (rules.isSimulated(metric.turbine_number)) {
      throw new ApiError(
        409,
        "simulated_turbine",
        `Turbine ${metric.turbine_number} is simulated by this server; its metrics come from its actor`,
        [{
          field: field(i, "turbine_number"),
          problem: "is a simulated turbine",
          value: metric.turbine_number,
        }],
      );
    }
  });
}

/**
 * Parses a body that must be one metric (or, with `allowBatch`, a non-empty
 * array of them), naming the first offending field.
 */
export function parseMetrics(body: unknown, allowBatch: boolean): TurbineMetric[] {
  if (Array.isArray(body)) {
    if (!allowBatch) {
      throw invalidRequest([{ field: "body", problem: "must be one metric object, not an array" }]);
    }
    if (body.length > MAX_BATCH) {
      throw invalidRequest([{
        field: "body",
        problem: `holds ${body.length} metrics; at most ${MAX_BATCH} are accepted per request`,
      }]);
    }
    const parsed = MetricBatchSchema.safeParse(body);
    if (!parsed.success) throw invalidRequest(fieldProblems(parsed.error, body, "metrics"));
    return parsed.data;
  }
  const parsed = MetricSchema.safeParse(body);
  if (!parsed.success) throw invalidRequest(fieldProblems(parsed.error, body));
  return [parsed.data];
}

async function readJson(c: Context): Promise<unknown> {
  return parseJsonBody(await c.req.text());
}

async function commit(ingest: MetricIngest, metrics: TurbineMetric[]): Promise<number> {
  try {
    await ingest.submit(metrics);
    return metrics.length;
  } catch (error) {
    if (error instanceof IngestOverloaded) {
      throw new ApiError(503, "overloaded", error.message, [], { "Retry-After": "1" });
    }
    throw error;
  }
}

/**
 * The metric ingest routes.
 *
 * @example
 * ```ts ignore
 * app.route("/", metricsRouter(fleet.ingest));
 * ```
 */
export function metricsRouter(ingest: MetricIngest, rules: MetricRules): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });
  const responses = {
    200: {
      description: "Committed to the store",
      content: { "application/json": { schema: AcceptedSchema } },
    },
    400: errorResponse(
      "Malformed JSON, an invalid metric, a turbine's second sent twice, or a timestamp more " +
        "than an hour ahead (the field is named); nothing stored",
    ),
    401: errorResponse("A token is configured and the request did not carry it"),
    409: errorResponse("A metric for a turbine this server simulates; nothing stored"),
    413: errorResponse("The body is larger than 8 MiB"),
    503: errorResponse("The ingest queue is full; retry after the Retry-After seconds"),
  };
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/api/metrics",
    summary: "Ingest one metric or a batch of up to 10,000",
    tags: ["metrics"],
    request: {
      body: {
        required: true,
        content: {
          "application/json": { schema: z.union([MetricSchema, MetricBatchSchema]) },
        },
      },
    },
    responses,
  });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/post_metrics",
    summary: "Ingest one metric (drop-in for the original Smart Grid Monitoring System)",
    tags: ["metrics"],
    request: {
      body: { required: true, content: { "application/json": { schema: MetricSchema } } },
    },
    responses,
  });

  app.post("/api/metrics", async (c) => {
    const body = await readJson(c);
    const metrics = parseMetrics(body, true);
    checkMetrics(metrics, rules, Array.isArray(body) ? "metrics" : "");
    return c.json({ accepted: await commit(ingest, metrics) }, 200);
  });
  app.post("/post_metrics", async (c) => {
    const metrics = parseMetrics(await readJson(c), false);
    checkMetrics(metrics, rules, "");
    return c.json({ accepted: await commit(ingest, metrics) }, 200);
  });
  return app;
}
