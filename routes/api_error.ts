/**
 * JSON errors for every route: `{ "error": { "code", "message", "details" } }`,
 * with the offending field named for the caller's mistakes.
 *
 * @module
 */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

/** Longest rendering of a bad value that an error echoes back. */
const ECHO_CHARACTERS = 120;

/**
 * What an error shows of a value the caller sent: primitives as they are
 * (long strings cut), anything else described, never a deep or huge echo.
 */
export function echoValue(value: unknown): unknown {
  if (typeof value === "string") {
    return value.length <= ECHO_CHARACTERS
      ? value
      : `${value.slice(0, ECHO_CHARACTERS)}… (${value.length} characters)`;
  }
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === "object" ? "an object" : String(value);
}

/** One problem with a request, naming the field and the value seen. */
export interface FieldProblem {
  field: string;
  problem: string;
  value?: unknown;
}

/** An error the API reports to its caller. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Renders a field path the way a caller would write it: `metrics[3].wind_speed`. */
export function fieldName(path: readonly PropertyKey[], root = ""): string {
  let name = root;
  for (const part of path) {
    name += typeof part === "number" ? `[${part}]` : name ? `.${String(part)}` : String(part);
  }
  return name || "body";
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** Turns a zod error into field problems, each with the value that was sent. */
export function fieldProblems(error: z.ZodError, input: unknown, root = ""): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  for (const issue of error.issues) {
    const unknownKey = issue.code === "unrecognized_keys";
    const path = unknownKey ? [...issue.path, issue.keys[0]] : issue.path;
    const field = fieldName(path, root);
    if (seen.has(field)) continue;
    seen.add(field);
    const value = valueAt(input, path);
    // Without the input at hand (a body the hook did not see) zod's words are all there is.
    const problem = unknownKey
      ? "is not a known field"
      : input !== undefined && value === undefined
      ? "is required"
      : issue.message;
    problems.push({ field, problem, ...(value !== undefined ? { value } : {}) });
    if (problems.length === 20) break;
  }
  return problems;
}

/** A 400 for a request that failed its schema. */
export function invalidRequest(found: FieldProblem[]): ApiError {
  const problems = found.map((p) => ("value" in p ? { ...p, value: echoValue(p.value) } : p));
  const first = problems[0];
  const seen = first && "value" in first ? ` (got ${JSON.stringify(first.value)})` : "";
  const message = first
    ? `Invalid ${first.field}: ${first.problem}${seen}` +
      (problems.length > 1 ? ` and ${problems.length - 1} more problem(s)` : "")
    : "Invalid request";
  return new ApiError(400, "invalid_request", message, problems);
}

/** Hono's error handler: every error becomes the JSON error shape; bad input never a 500. */
export function handleError(error: Error, c: Context): Response {
  if (error instanceof ApiError) {
    return c.json(
      { error: { code: error.code, message: error.message, details: error.details } },
      error.status,
      error.headers,
    );
  }
  if (error instanceof HTTPException) {
    const code = error.status === 401 ? "unauthorized" : "bad_request";
    const message = error.status === 401
      ? "This endpoint needs an Authorization: Bearer <token> header with the configured API token"
      : error.message || "Bad request";
    const headers: Record<string, string> = error.status === 401
      ? { "WWW-Authenticate": 'Bearer realm="gridfleet"' }
      : {};
    const details = error.status === 401
      ? [{ field: "Authorization", problem: "is missing or not the configured bearer token" }]
      : [];
    return c.json({ error: { code, message, details } }, error.status, headers);
  }
  console.error(error);
  return c.json(
    { error: { code: "internal", message: "Internal error: see the server log", details: [] } },
    500,
  );
}

/** The 404 for paths no route serves. */
export function handleNotFound(c: Context): Response {
  return c.json(
    {
      error: {
        code: "not_found",
        message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}`,
        details: [],
      },
    },
    404,
  );
}

/**
 * The `defaultHook` of every OpenAPI router: a request that fails its schema
 * becomes a 400 naming the parameter and the value sent.
 */
export function rejectInvalid(
  result: { success: boolean; error?: z.ZodError; target?: string },
  c: Context,
): void {
  if (result.success || !result.error) return;
  const input = result.target === "query"
    ? c.req.query()
    : result.target === "param"
    ? c.req.param()
    : undefined;
  throw invalidRequest(fieldProblems(result.error, input));
}

/** Parses `input` with `schema`, or throws the 400 that names the first bad field. */
export function parseOrReject<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidRequest(fieldProblems(parsed.error, input));
  return parsed.data;
}

/** Parses a request body's text as JSON, or throws the 400 that says where it breaks. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const problem = `is not valid JSON: ${(error as Error).message}`;
    throw new ApiError(400, "malformed_json", `The body ${problem}`, [{ field: "body", problem }]);
  }
}
