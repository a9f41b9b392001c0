/**
 * Batch analysis over HTTP: start a run on files in the data directory or on
 * an uploaded CSV, follow it, and query the stored summaries and anomalies.
 * Runs use the pipeline of `analysis/` and store through
 * {@linkcode AnalysisStore}; one runs at a time.
 *
 * @module
 */

import { jsonAnomaly } from "../analysis/report.ts";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { isAbsolute, join, relative } from "node:path";
import { AnalysisError } from "../analysis/analysis_error.ts";
import { analyseFiles, type AnalysisResult } from "../analysis/analyse_files.ts";
import { parseDuration } from "../analysis/duration.ts";
import { expandInputs } from "../analysis/glob.ts";
import { DEFAULTS } from "../analysis/options.ts";
import type { WindowSummary } from "../analysis/summarise.ts";
import type { AnalysisRun, AnalysisStore } from "../store/analysis_store.ts";
import {
  ApiError,
  invalidRequest,
  parseJsonBody,
  parseOrReject,
  rejectInvalid,
} from "./api_error.ts";
import { errorResponse, Instant } from "./schemas.ts";

/** Largest CSV upload accepted, bytes. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/** Largest JSON body accepted, bytes. */
export const MAX_JSON_BYTES = 1024 * 1024;
/** Most entries in a run's `files`. */
export const MAX_FILES = 100;
/** The name an uploaded CSV goes by in run records and messages. */
export const UPLOAD_NAME = "upload.csv";

/** Options of {@linkcode analysisRouter}. */
export interface AnalysisRouterOptions {
  store: AnalysisStore;
  /** The only directory whose files a run may name. */
  dataDir: string;
}

const Duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: "must be a duration like 30m, 6h, 24h or 2d" });
    return z.NEVER;
  }
  return ms;
}).openapi({ type: "string", example: "24h" });

const settingsShape = {
  window: Duration.optional().openapi({
    description: `Summary window (default ${DEFAULTS.window})`,
  }),
  max_gap: Duration.optional().openapi({
    description: `Longest gap bridged by interpolation (default ${DEFAULTS.maxGap})`,
  }),
};

const RunRequestSchema = z.object({
  files: z.array(z.string().min(1).max(1024)).min(1).max(MAX_FILES).openapi({
    description: "Paths relative to the data directory; * and ? in the file name are expanded",
    example: ["data_group_1.csv", "data_group_*.csv"],
  }),
  ...settingsShape,
  spike_threshold: z.number().positive().optional().openapi({
    description: `Spike threshold in scaled-MAD units (default ${DEFAULTS.spikeThreshold})`,
  }),
}).strict().openapi("AnalysisRunRequest");

const UploadQuery = z.object({
  ...settingsShape,
  spike_threshold: z.coerce.number().positive().optional(),
}).strict();

const RowCountsSchema = z.object({
  read: z.number().int(),
  valid: z.number().int(),
  rejected: z.number().int(),
  duplicates: z.number().int(),
  missing: z.number().int(),
  impossible: z.number().int(),
  spikes: z.number().int(),
  imputed: z.number().int(),
});

const RunSchema = z.object({
  id: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed"]),
  files: z.array(z.string()),
  started_at: z.string().openapi({ description: "ISO-8601 UTC" }),
  finished_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  window_seconds: z.number(),
  max_gap_seconds: z.number(),
  spike_threshold: z.number(),
  counts: RowCountsSchema.nullable().openapi({ description: "Row and value counts, once done" }),
  rejected_by_reason: z.record(z.string(), z.number()).nullable(),
  summaries: z.number().int().nullable().openapi({ description: "Turbine-windows summarised" }),
  anomalies: z.object({ turbine: z.number().int(), reading: z.number().int() }).nullable(),
  error: z.string().nullable().openapi({ description: "Why a failed run failed, one line" }),
}).openapi("AnalysisRun");

const RunDetailSchema = RunSchema.extend({
  quarantine: z.array(z.object({ file: z.string(), line: z.number(), reason: z.string() }))
    .openapi({ description: "The first rejected rows (up to 100)" }),
}).openapi("AnalysisRunDetail");

const AcceptedRunSchema = z.object({
  id: z.string(),
  status: z.literal("queued"),
}).openapi("AnalysisRunAccepted");

const RunIdParam = z.object({
  id: z.string().regex(/^[0-9A-Za-z-]{1,64}$/, "must be a run id").openapi({
    param: { name: "id", in: "path" },
    example: "20260101T000000000Z-a1b2c3",
  }),
});

const SummarySchema = z.object({
  turbine_id: z.number().int(),
  window_start: z.string().openapi({ description: "ISO-8601 UTC, inclusive" }),
  window_end: z.string().openapi({ description: "ISO-8601 UTC, exclusive" }),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  std: z.number().openapi({ description: "Population standard deviation" }),
  count: z.number().int().openapi({ description: "Samples used, imputed ones included" }),
  imputed: z.number().int(),
}).openapi("AnalysisSummary");

const TurbineAnomalySchema = z.object({
  kind: z.literal("turbine"),
  turbine_id: z.number().int(),
  window_start: z.string(),
  mean: z.number(),
  fleet_mean: z.number(),
  fleet_std: z.number(),
  z: z.number(),
}).openapi("TurbineAnomaly");

const ReadingAnomalySchema = z.object({
  kind: z.literal("reading"),
  turbine_id: z.number().int(),
  timestamp: z.string(),
  power_output: z.number(),
  window_mean: z.number(),
  window_std: z.number(),
}).openapi("ReadingAnomaly");

const PageQuery = {
  turbine: z.coerce.number().int().min(1).optional().openapi({ example: 1 }),
  since: Instant.optional().openapi({ description: "Inclusive start, epoch seconds or ISO-8601" }),
  until: Instant.optional().openapi({ description: "Exclusive end, epoch seconds or ISO-8601" }),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  cursor: z.string().max(512).optional().openapi({
    description: "The `cursor` of the previous page",
  }),
};

const SummariesQuery = z.object(PageQuery).strict();
const AnomaliesQuery = z.object({ ...PageQuery, kind: z.enum(["turbine", "reading"]).optional() })
  .strict();

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function describeRun(run: AnalysisRun): z.infer<typeof RunSchema> {
  return {
    ...run,
    started_at: iso(run.started_at),
    finished_at: run.finished_at === null ? null : iso(run.finished_at),
  };
}

function describeSummary(summary: WindowSummary): z.infer<typeof SummarySchema> {
  return {
    turbine_id: summary.turbineId,
    window_start: iso(summary.windowStart),
    window_end: iso(summary.windowEnd),
    min: summary.min,
    max: summary.max,
    mean: summary.mean,
    std: summary.std,
    count: summary.count,
    imputed: summary.imputed,
  };
}

/** Runs a store query, turning a cursor it does not recognise into a 400 naming `cursor`. */
async function withCursor<T>(cursor: string | undefined, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (cursor !== undefined && error instanceof TypeError) {
      throw invalidRequest([
        { field: "cursor", problem: "is not a cursor this endpoint returned", value: cursor },
      ]);
    }
    throw error;
  }
}

/** The pipeline settings of a run, with the defaults of the analysis command. */
interface RunSettings {
  windowMs: number;
  maxGapMs: number;
  spikeThreshold: number;
}

function runSettings(
  given: { window?: number; max_gap?: number; spike_threshold?: number },
): RunSettings {
  return {
    windowMs: given.window ?? parseDuration(DEFAULTS.window)!,
    maxGapMs: given.max_gap ?? parseDuration(DEFAULTS.maxGap)!,
    spikeThreshold: given.spike_threshold ?? Number(DEFAULTS.spikeThreshold),
  };
}

/**
 * Expands `files` inside `dataDir`: each entry must be a relative path that
 * stays inside it, symbolic links included, and name at least one file.
 * Throws a 400 naming `files[i]` and its value otherwise.
 */
async function resolveInputs(dataDir: string, files: string[]): Promise<string[]> {
  const problem = (i: number, text: string): ApiError =>
    invalidRequest([{ field: `files[${i}]`, problem: text, value: files[i] }]);
  let root: string;
  try {
    root = await Deno.realPath(dataDir);
  } catch {
    throw problem(0, `matches no file: the data directory "${dataDir}" does not exist`);
  }
  const paths: string[] = [];
  for (const [i, file] of files.entries()) {
    if (isAbsolute(file) || file.includes("\\") || file.includes("\0")) {
      throw problem(i, "must be a path relative to the data directory");
    }
    if (file.split("/").includes("..")) throw problem(i, `may not contain ".."`);
    let expanded: string[];
    try {
      expanded = await expandInputs([join(dataDir, file)]);
    } catch (error) {
      if (!(error instanceof AnalysisError)) throw error;
      throw problem(
        i,
        error.kind === "usage"
          ? "may use * and ? in the file name only, not in a directory"
          : "matches no file in the data directory",
      );
    }
    for (const path of expanded) {
      let real: string;
      try {
        real = await Deno.realPath(path);
      } catch {
        throw problem(i, "is not a file in the data directory");
      }
      const inside = relative(root, real);
      if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) {
        throw problem(i, "leads outside the data directory");
      }
      if ((await Deno.stat(real)).isDirectory) throw problem(i, "is a directory, not a file");
      if (!paths.includes(path)) paths.push(path);
    }
  }
  return paths;
}

/**
 * The request body, failing with a 413 once it passes `maxBytes` (checked
 * against Content-Length first, then while streaming, so a large body is never held).
 */
function limitedBody(c: Context, maxBytes: number, what: string): ReadableStream<Uint8Array> {
  const tooLarge = (): ApiError =>
    new ApiError(413, "body_too_large", `The ${what} exceeds ${maxBytes} bytes`);
  if (Number(c.req.header("content-length")) > maxBytes) throw tooLarge();
  let bytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.byteLength;
      if (bytes > maxBytes) throw tooLarge();
      controller.enqueue(chunk);
    },
  });
  return (c.req.raw.body ?? new Blob().stream()).pipeThrough(counter);
}

/** Streams an uploaded CSV into `path`; a 400 when the body is empty. */
async function saveUpload(c: Context, path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  await limitedBody(c, MAX_UPLOAD_BYTES, "CSV upload").pipeTo(file.writable);
  if ((await Deno.stat(path)).size === 0) {
    throw invalidRequest([{
      field: "body",
      problem: "is empty; expected a CSV file with a header",
    }]);
  }
}

/** Names an uploaded file by UPLOAD_NAME instead of its temporary path. */
function nameUpload(result: AnalysisResult, path: string): void {
  for (const tally of result.files) if (tally.file === path) tally.file = UPLOAD_NAME;
  for (const row of result.quarantine) if (row.file === path) row.file = UPLOAD_NAME;
}

/**
 * The analysis routes.
 *
 * @example
 * ```ts ignore
 * app.route("/", analysisRouter({ store: new AnalysisStore(kv), dataDir: "data" }));
 * ```
 */
export function analysisRouter(options: AnalysisRouterOptions): OpenAPIHono {
  const { store, dataDir } = options;
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });
  /** The id of the run in progress; set synchronously so that two requests cannot both start. */
  let active: string | null = null;

  function claim(): string {
    if (active !== null) {
      throw new ApiError(
        409,
        "run_in_progress",
        `Analysis run ${active} is still running; start another once it has finished ` +
          `(GET /api/analysis/runs/${active})`,
        [{ field: "body", problem: "another analysis run is in progress", value: active }],
      );
    }
    const claimed = `pending-${crypto.randomUUID()}`;
    active = claimed;
    return claimed;
  }

  async function execute(
    run: AnalysisRun,
    paths: string[],
    settings: RunSettings,
    upload?: { directory: string; path: string },
  ): Promise<void> {
    let outcome: AnalysisResult | string;
    try {
      await store.markRunning(run.id);
      outcome = await analyseFiles(paths, settings);
      if (upload) nameUpload(outcome, upload.path);
    } catch (error) {
      if (!(error instanceof AnalysisError)) console.error(error);
      const message = (error as Error).message.replaceAll(/\s*\n\s*/g, " ");
      outcome = error instanceof AnalysisError ? message : `Internal error: ${message}`;
      if (upload) outcome = outcome.replaceAll(upload.path, UPLOAD_NAME);
    }
    if (upload) await Deno.remove(upload.directory, { recursive: true }).catch(() => {});
    try {
      if (typeof outcome === "string") {
        active = null;
        await store.failRun(run.id, outcome);
      } else {
        await store.saveResults(run.id, outcome);
        active = null;
        await store.markSucceeded(run.id, outcome);
      }
    } catch (error) {
      active = null;
      console.error(error);
      await store.failRun(run.id, `Cannot store the results: ${(error as Error).message}`)
        .catch((error) => console.error(error));
    }
  }

  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/api/analysis/runs",
    tags: ["analysis"],
    summary: "Start an analysis run on files in the data directory or on an uploaded CSV",
    description: "JSON names files relative to the data directory; `text/csv` uploads one file " +
      `(at most ${MAX_UPLOAD_BYTES} bytes) with the settings in the query. One run at a time.`,
    request: {
      query: UploadQuery,
      body: {
        required: true,
        content: {
          "application/json": { schema: RunRequestSchema },
          "text/csv": { schema: z.string().openapi({ format: "binary" }) },
        },
      },
    },
    responses: {
      202: {
        description: "Queued; follow it at GET /api/analysis/runs/{id}",
        content: { "application/json": { schema: AcceptedRunSchema } },
      },
      400: errorResponse("A bad setting or a path outside the data directory (the field is named)"),
      409: errorResponse("Another run is in progress (its id is named)"),
      413: errorResponse("The upload is too large"),
      415: errorResponse("The body is neither JSON nor CSV"),
    },
  });
  app.post("/api/analysis/runs", async (c) => {
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json" && type !== "text/csv") {
      throw new ApiError(
        415,
        "unsupported_media_type",
        `Send application/json naming files, or text/csv with the file itself, not "${type}"`,
        [{ field: "content-type", problem: "is not application/json or text/csv", value: type }],
      );
    }
    const claimed = claim();
    try {
      let run: AnalysisRun;
      if (type === "text/csv") {
        const settings = runSettings(parseOrReject(UploadQuery, c.req.query()));
        const directory = await Deno.makeTempDir({ prefix: "gridfleet_upload_" });
        const path = join(directory, UPLOAD_NAME);
        try {
          await saveUpload(c, path);
          run = await store.createRun({
            ...settings,
            files: [UPLOAD_NAME],
            status: "queued",
            startedAt: Date.now(),
          });
        } catch (error) {
          await Deno.remove(directory, { recursive: true });
          throw error;
        }
        active = run.id;
        execute(run, [path], settings, { directory, path });
      } else {
        const request = parseOrReject(RunRequestSchema, await readJson(c));
        const settings = runSettings(request);
        const paths = await resolveInputs(dataDir, request.files);
        run = await store.createRun({
          ...settings,
          files: paths.map((path) => relative(dataDir, path)),
          status: "queued",
          startedAt: Date.now(),
        });
        active = run.id;
        execute(run, paths, settings);
      }
      c.header("Location", `/api/analysis/runs/${run.id}`);
      return c.json({ id: run.id, status: "queued" as const }, 202);
    } finally {
      if (active === claimed) active = null;
    }
  });

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/analysis/runs",
      tags: ["analysis"],
      summary: "The latest analysis runs, newest first",
      request: {
        query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(20) }),
      },
      responses: {
        200: {
          description: "Runs",
          content: { "application/json": { schema: z.object({ runs: z.array(RunSchema) }) } },
        },
        400: errorResponse("A bad limit"),
      },
    }),
    async (c) => {
      const runs = await store.listRuns(c.req.valid("query").limit);
      return c.json({ runs: runs.map(describeRun) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/analysis/runs/{id}",
      tags: ["analysis"],
      summary: "One analysis run: status, files, counts, duration, failure reason",
      request: { params: RunIdParam },
      responses: {
        200: {
          description: "The run",
          content: { "application/json": { schema: RunDetailSchema } },
        },
        400: errorResponse("Not a run id"),
        404: errorResponse("No such run"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const run = await store.getRun(id);
      if (run === null) {
        throw new ApiError(404, "not_found", `No analysis run "${id}"`, [
          { field: "id", problem: "no such run", value: id },
        ]);
      }
      const quarantine = await store.listQuarantine(id, 100);
      return c.json({ ...describeRun(run), quarantine }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/analysis/summaries",
      tags: ["analysis"],
      summary: "Stored turbine-window summaries, by turbine then window start",
      request: { query: SummariesQuery },
      responses: {
        200: {
          description: "Summaries of windows starting in [since, until); `cursor` null on the " +
            "last page",
          content: {
            "application/json": {
              schema: z.object({
                summaries: z.array(SummarySchema),
                cursor: z.string().nullable(),
              }),
            },
          },
        },
        400: errorResponse("A bad turbine, time, limit or cursor"),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await withCursor(query.cursor, () => store.listSummaries(inMs(query)));
      return c.json({ summaries: page.items.map(describeSummary), cursor: page.cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/anomalies",
      tags: ["analysis"],
      summary: "Stored anomalies: turbine ones, then reading ones, each by turbine then time",
      request: { query: AnomaliesQuery },
      responses: {
        200: {
          description: "Anomalies at times in [since, until) (a turbine anomaly's time is its " +
            "window start); `cursor` null on the last page",
          content: {
            "application/json": {
              schema: z.object({
                anomalies: z.array(z.union([TurbineAnomalySchema, ReadingAnomalySchema])),
                cursor: z.string().nullable(),
              }),
            },
          },
        },
        400: errorResponse("A bad turbine, time, kind, limit or cursor"),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await withCursor(
        query.cursor,
        () => store.listAnomalies({ ...inMs(query), kind: query.kind }),
      );
      return c.json({ anomalies: page.items.map(jsonAnomaly), cursor: page.cursor }, 200);
    },
  );
  return app;
}

/** A query's since/until (epoch seconds) in the store's milliseconds. */
function inMs<Q extends { since?: number; until?: number }>(query: Q): Q {
  return {
    ...query,
    since: query.since === undefined ? undefined : query.since * 1000,
    until: query.until === undefined ? undefined : query.until * 1000,
  };
}

async function readJson(c: Context): Promise<unknown> {
  return parseJsonBody(await new Response(limitedBody(c, MAX_JSON_BYTES, "JSON body")).text());
}
