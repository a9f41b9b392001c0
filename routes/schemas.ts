/**
 * Schemas that more than one router answers with.
 *
 * @module
 */

import { z } from "@hono/zod-openapi";

/** The JSON error every route answers a failure with. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().openapi({ example: "invalid_request" }),
    message: z.string(),
    details: z.array(z.object({
      field: z.string(),
      problem: z.string(),
      value: z.unknown().optional(),
    })),
  }),
}).openapi("Error");

/** Responses for a JSON error with the given description. */
export function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: ErrorSchema } } };
}

/** A turbine id in a path. */
export const TurbineIdParam = z.object({
  id: z.string().regex(/^[1-9]\d{0,6}$/, "must be a whole number from 1 to 1,000,000")
    .transform(Number).pipe(z.number().max(1_000_000, "must be a whole number from 1 to 1,000,000"))
    .openapi({ param: { name: "id", in: "path" }, example: "7", type: "string" }),
});

/**
 * A point in time in a query: epoch seconds or ISO-8601.
 *
 * @example
 * ```ts
 * Instant.parse("2026-01-01T00:00:00Z"); // 1767225600
 * Instant.parse("1767225600"); // 1767225600
 * ```
 */
export const Instant = z.string().transform((text, ctx) => {
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text) / 1000;
  if (!Number.isFinite(seconds)) {
    ctx.addIssue({ code: "custom", message: "must be epoch seconds or an ISO-8601 time" });
    return z.NEVER;
  }
  if (seconds >= MAX_EPOCH_SECONDS) {
    const hint = seconds < MAX_EPOCH_SECONDS * 1000 ? " (this looks like milliseconds)" : "";
    ctx.addIssue({ code: "custom", message: `must be epoch seconds before the year 5000${hint}` });
    return z.NEVER;
  }
  return seconds;
}).openapi({ type: "string", example: "2026-01-01T00:00:00Z" });

/** Epoch seconds of 5000-01-01: later "seconds" are almost surely milliseconds. */
const MAX_EPOCH_SECONDS = 95_617_584_000;
