/**
 * The one module that knows the Deno KV key layout of batch-analysis results.
 * Times in keys and values are epoch milliseconds.
 *
 * Layout:
 * - `["analysis", "run", runId]` a run record ({@linkcode AnalysisRun}); run
 *   ids sort by start time, so the latest runs are a reverse list.
 * - `["analysis", "summary", turbineId, windowStart]` one turbine-window's
 *   power statistics, and how many cleaned-reading parts it has.
 * - `["analysis", "clean", turbineId, windowStart, part]` the cleaned readings
 *   of a turbine-window in typed-array columns, up to
 *   {@linkcode CLEAN_ROWS_PER_PART} rows per value (about 50 KB).
 * - `["analysis", "anomaly", kind, turbineId, time]` one anomaly: `time` is
 *   the window start of a turbine anomaly, the reading's time of a reading
 *   anomaly.
 * - `["analysis", "quarantine", runId, n]` the first
 *   {@linkcode QUARANTINE_LIMIT} rejected rows of a run.
 *
 * Summaries, cleaned readings and anomalies carry no run id, so storing the
 * same input twice leaves the same keys with the same values. A run replaces
 * everything stored for the turbine-windows it summarises — stale anomalies,
 * cleaned-reading parts and summaries of other window lengths starting inside
 * them included — and leaves other turbine-windows alone. Each turbine-window
 * is replaced in one atomic commit when it fits in one (it does unless it
 * holds more than about 20,000 readings).
 *
 * @module
 */

import type { AnalysisResult, RowCounts } from "../analysis/analyse_files.ts";
import type { Rejection, RejectionReason } from "../analysis/ingest.ts";
import type { ReadingAnomaly, TurbineAnomaly, WindowSummary } from "../analysis/summarise.ts";
import type { TurbineSeries } from "../analysis/turbine_series.ts";
import { BYTES_PER_COMMIT, MUTATIONS_PER_COMMIT } from "./kv_store.ts";

/** Rows of cleaned readings per value: 33 bytes a row keeps a value near 50 KB (limit 64 KiB). */
export const CLEAN_ROWS_PER_PART = 1_500;
/** Rejected rows kept per run; the run record counts all of them. */
export const QUARANTINE_LIMIT = 1_000;

const ROOT = "analysis";

/** Where a run is in its life. */
export type RunStatus = "queued" | "running" | "succeeded" | "failed";

/** A run record as stored; times are epoch milliseconds. */
export interface AnalysisRun {
  id: string;
  status: RunStatus;
  /** The inputs, as named to the caller (relative to the data directory for API runs). */
  files: string[];
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  window_seconds: number;
  max_gap_seconds: number;
  spike_threshold: number;
  /** Row and value counts; null until the run succeeds. */
  counts: RowCounts | null;
  rejected_by_reason: Record<RejectionReason, number> | null;
  /** Turbine-windows summarised; null until the run succeeds. */
  summaries: number | null;
  anomalies: { turbine: number; reading: number } | null;
  /** The one-line reason of a failed run. */
  error: string | null;
}

/** What a new run record needs; the rest starts empty. */
export interface NewRun {
  files: string[];
  status: "queued" | "running";
  startedAt: number;
  windowMs: number;
  maxGapMs: number;
  spikeThreshold: number;
}

/** A page of query results; `cursor` continues after its last item, null on the last page. */
export interface Page<T> {
  items: T[];
  cursor: string | null;
}

/** Filters of {@linkcode AnalysisStore.listSummaries}; times are epoch ms. */
export interface SummaryQuery {
  turbine?: number;
  /** Windows starting at or after this time. */
  since?: number;
  /** Windows starting before this time. */
  until?: number;
  /** Most items per page; default 1,000. */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

/** Filters of {@linkcode AnalysisStore.listAnomalies}; times are epoch ms. */
export interface AnomalyQuery extends SummaryQuery {
  kind?: "turbine" | "reading";
}

interface SummaryValue {
  window_end: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  count: number;
  imputed: number;
  /** Values under `["analysis", "clean", turbineId, windowStart]`. */
  parts: number;
}

interface CleanPart {
  time: Float64Array;
  power: Float64Array;
  wind_speed: Float64Array;
  wind_direction: Float64Array;
  imputed: Uint8Array;
}

type TurbineAnomalyValue = Pick<TurbineAnomaly, "mean" | "fleetMean" | "fleetStd" | "z">;
type ReadingAnomalyValue = Pick<ReadingAnomaly, "powerOutput" | "windowMean" | "windowStd">;

interface Mutation {
  key: Deno.KvKey;
  /** Absent for a delete. */
  value?: unknown;
  bytes: number;
}

/** What {@linkcode AnalysisStore.saveResults} wrote. */
export interface SaveCounts {
  summaries: number;
  anomalies: number;
  cleanParts: number;
  /** Stale keys removed from the turbine-windows the run covers. */
  deleted: number;
}

/**
 * Analysis runs and their results in Deno KV.
 *
 * @example
 * ```ts
 * import { AnalysisStore } from "./analysis_store.ts";
 * const kv = await Deno.openKv(":memory:");
 * const store = new AnalysisStore(kv);
 * const page = await store.listSummaries({ turbine: 1 });
 * console.log(page.items.length); // 0
 * kv.close();
 * ```
 */
export class AnalysisStore {
  /** The database; the caller opens and closes it. */
  readonly kv: Deno.Kv;

  /** Wraps an open database. */
  constructor(kv: Deno.Kv) {
    this.kv = kv;
  }

  // ---- runs ----

  /** Builds and stores a new run record with an id that sorts by `startedAt`. */
  async createRun(run: NewRun): Promise<AnalysisRun> {
    const random = crypto.getRandomValues(new Uint8Array(3));
    const suffix = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
    const record: AnalysisRun = {
      id: `${new Date(run.startedAt).toISOString().replaceAll(/[-:.]/g, "")}-${suffix}`,
      status: run.status,
      files: run.files,
      started_at: run.startedAt,
      finished_at: null,
      duration_ms: null,
      window_seconds: run.windowMs / 1000,
      max_gap_seconds: run.maxGapMs / 1000,
      spike_threshold: run.spikeThreshold,
      counts: null,
      rejected_by_reason: null,
      summaries: null,
      anomalies: null,
      error: null,
    };
    await this.kv.set([ROOT, "run", record.id], record);
    return record;
  }

  /** The run with this id, or null. */
  async getRun(id: string): Promise<AnalysisRun | null> {
    return (await this.kv.get<AnalysisRun>([ROOT, "run", id])).value;
  }

  /** The latest runs, newest first. */
  async listRuns(limit = 20): Promise<AnalysisRun[]> {
    const runs: AnalysisRun[] = [];
    const entries = this.kv.list<AnalysisRun>({ prefix: [ROOT, "run"] }, { reverse: true, limit });
    for await (const entry of entries) runs.push(entry.value);
    return runs;
  }

  /** Marks a queued run as running. */
  async markRunning(id: string): Promise<void> {
    await this.#updateRun(id, (run) => ({ ...run, status: "running" }));
  }

  /** Stores a run's results (see {@linkcode saveResults}), then marks the run succeeded. */
  async completeRun(id: string, result: AnalysisResult, finishedAt = Date.now()): Promise<void> {
    await this.saveResults(id, result);
    await this.markSucceeded(id, result, finishedAt);
  }

  /** Marks a run whose results are saved as succeeded, with its counts. */
  async markSucceeded(id: string, result: AnalysisResult, finishedAt = Date.now()): Promise<void> {
    const turbine = result.anomalies.filter((a) => a.kind === "turbine").length;
    await this.#updateRun(id, (run) => ({
      ...run,
      status: "succeeded",
      finished_at: finishedAt,
      duration_ms: finishedAt - run.started_at,
      counts: result.rows,
      rejected_by_reason: result.rejectedByReason,
      summaries: result.summaries.length,
      anomalies: { turbine, reading: result.anomalies.length - turbine },
      error: null,
    }));
  }

  /** Marks a run failed with its one-line reason. */
  async failRun(id: string, reason: string, finishedAt = Date.now()): Promise<void> {
    await this.#updateRun(id, (run) => ({
      ...run,
      status: "failed",
      finished_at: finishedAt,
      duration_ms: finishedAt - run.started_at,
      error: reason,
    }));
  }

  /**
   * Marks every queued or running run failed: called when a server starts,
   * since the process that ran them is gone. Returns how many were marked.
   */
  async failInterruptedRuns(finishedAt = Date.now()): Promise<number> {
    let marked = 0;
    for await (const entry of this.kv.list<AnalysisRun>({ prefix: [ROOT, "run"] })) {
      if (entry.value.status !== "queued" && entry.value.status !== "running") continue;
      await this.failRun(entry.value.id, "The server stopped before the run finished", finishedAt);
      marked++;
    }
    return marked;
  }

  async #updateRun(id: string, change: (run: AnalysisRun) => AnalysisRun): Promise<void> {
    const run = await this.getRun(id);
    if (run === null) throw new Error(`No analysis run "${id}" to update`);
    await this.kv.set([ROOT, "run", id], change(run));
  }

  /** The rejected rows kept for a run, in file and line order. */
  async listQuarantine(runId: string, limit = QUARANTINE_LIMIT): Promise<Rejection[]> {
    const rows: Rejection[] = [];
    const entries = this.kv.list<Rejection>({ prefix: [ROOT, "quarantine", runId] }, { limit });
    for await (const entry of entries) rows.push(entry.value);
    return rows;
  }

  // ---- results ----

  /**
   * Stores summaries, anomalies, cleaned readings (when `result` carries its
   * cleaned `series`) and the quarantine of run `runId`, replacing what was
   * stored for the turbine-windows it summarises.
   */
  async saveResults(runId: string, result: AnalysisResult): Promise<SaveCounts> {
    const counts: SaveCounts = { summaries: 0, anomalies: 0, cleanParts: 0, deleted: 0 };
    const writer = new CommitWriter(this.kv);
    const quarantine = result.quarantine.slice(0, QUARANTINE_LIMIT);
    for (const [n, rejection] of quarantine.entries()) {
      await writer.add([mutation([ROOT, "quarantine", runId, n], rejection)]);
    }
    const seriesById = new Map(cleanedSeries(result).map((s) => [s.turbineId, s]));
    for (const [turbineId, summaries] of groupBy(result.summaries, (s) => s.turbineId)) {
      const anomalies = anomaliesByWindow(result, turbineId);
      const series = seriesById.get(turbineId);
      const groups = new Map<number, Mutation[]>();
      for (const summary of summaries) {
        const group: Mutation[] = [];
        const parts = series === undefined ? [] : cleanParts(series, summary);
        const { windowStart } = summary;
        group.push(mutation(
          [ROOT, "summary", turbineId, windowStart],
          {
            window_end: summary.windowEnd,
            min: summary.min,
            max: summary.max,
            mean: summary.mean,
            std: summary.std,
            count: summary.count,
            imputed: summary.imputed,
            parts: parts.length,
          } satisfies SummaryValue,
        ));
        for (const [part, value] of parts.entries()) {
          group.push(mutation([ROOT, "clean", turbineId, windowStart, part], value));
        }
        for (const anomaly of anomalies.get(windowStart) ?? []) {
          group.push(anomalyMutation(anomaly));
        }
        counts.summaries++;
        counts.cleanParts += parts.length;
        counts.anomalies += anomalies.get(windowStart)?.length ?? 0;
        groups.set(windowStart, group);
      }
      for (const stale of await this.#staleKeys(turbineId, result.windowMs, groups)) {
        counts.deleted++;
        const windowStart = Math.floor(stale.time / result.windowMs) * result.windowMs;
        groups.get(windowStart)!.push({ key: stale.key, bytes: keyBytes(stale.key) });
      }
      for (const group of groups.values()) await writer.add(group);
    }
    await writer.flush();
    return counts;
  }

  /**
   * Keys stored for `turbineId` in the windows of `groups` that the new
   * mutations do not overwrite.
   */
  async #staleKeys(
    turbineId: number,
    windowMs: number,
    groups: Map<number, Mutation[]>,
  ): Promise<{ key: Deno.KvKey; time: number }[]> {
    const starts = [...groups.keys()];
    const first = starts[0];
    const end = starts[starts.length - 1] + windowMs;
    const covered = (time: number): boolean => groups.has(Math.floor(time / windowMs) * windowMs);
    const written = new Set<string>();
    for (const group of groups.values()) {
      for (const m of group) written.add(JSON.stringify(m.key));
    }
    const stale: { key: Deno.KvKey; time: number }[] = [];
    const consider = (key: Deno.KvKey, time: number): void => {
      if (covered(time) && !written.has(JSON.stringify(key))) stale.push({ key, time });
    };
    const summaries = this.kv.list<SummaryValue>({
      start: [ROOT, "summary", turbineId, first],
      end: [ROOT, "summary", turbineId, end],
    });
    for await (const entry of summaries) {
      const windowStart = entry.key[3] as number;
      consider(entry.key, windowStart);
      for (let part = 0; part < entry.value.parts; part++) {
        consider([ROOT, "clean", turbineId, windowStart, part], windowStart);
      }
    }
    for (const kind of ["turbine", "reading"]) {
      const anomalies = this.kv.list({
        start: [ROOT, "anomaly", kind, turbineId, first],
        end: [ROOT, "anomaly", kind, turbineId, end],
      });
      for await (const entry of anomalies) consider(entry.key, entry.key[4] as number);
    }
    return stale;
  }

  /**
   * Summaries by turbine, then window start.
   *
   * @throws {TypeError} when `cursor` is not one this store handed out.
   */
  listSummaries(query: SummaryQuery = {}): Promise<Page<WindowSummary>> {
    const selector = timeRange([ROOT, "summary"], query);
    return this.#page([selector], query, (key, value: SummaryValue) => {
      const windowStart = key[3] as number;
      if (!inRange(windowStart, query)) return undefined;
      const { parts: _parts, window_end: windowEnd, ...stats } = value;
      return { turbineId: key[2] as number, windowStart, windowEnd, ...stats };
    });
  }

  /**
   * Anomalies: turbine anomalies before reading anomalies (unless `kind`
   * picks one), each by turbine, then time.
   *
   * @throws {TypeError} when `cursor` is not one this store handed out.
   */
  listAnomalies(query: AnomalyQuery = {}): Promise<Page<TurbineAnomaly | ReadingAnomaly>> {
    const kinds = query.kind === undefined ? ["turbine", "reading"] as const : [query.kind];
    const selectors = kinds.map((kind) => timeRange([ROOT, "anomaly", kind], query));
    return this.#page(selectors, query, (key, value) => {
      const time = key[4] as number;
      if (!inRange(time, query)) return undefined;
      const turbineId = key[3] as number;
      if (key[2] === "turbine") {
        return { kind: "turbine", turbineId, windowStart: time, ...value as TurbineAnomalyValue };
      }
      return { kind: "reading", turbineId, timestamp: time, ...value as ReadingAnomalyValue };
    });
  }

  /**
   * The cleaned readings of one turbine with `since <= time < until`, in
   * time order (missing values are NaN).
   */
  async cleanReadings(
    turbineId: number,
    range: { since?: number; until?: number } = {},
  ): Promise<TurbineSeries> {
    // Start at the last window starting before `since`: it may hold readings after it.
    let start = -Infinity;
    if (range.since !== undefined) {
      const before = this.kv.list({
        start: [ROOT, "summary", turbineId],
        end: [ROOT, "summary", turbineId, range.since],
      }, { reverse: true, limit: 1 });
      for await (const entry of before) start = entry.key[3] as number;
    }
    const selector: Deno.KvListSelector = {
      prefix: [ROOT, "clean", turbineId],
      ...(start > -Infinity ? { start: [ROOT, "clean", turbineId, start] } : {}),
    };
    const parts: CleanPart[] = [];
    for await (const entry of this.kv.list<CleanPart>(selector)) {
      if (range.until !== undefined && (entry.key[3] as number) >= range.until) break;
      parts.push(entry.value);
    }
    const rows = parts.flatMap((part) =>
      [...part.time.keys()].filter((i) => inRange(part.time[i], range)).map((i) =>
        [part, i] as const
      )
    );
    const series: TurbineSeries = {
      turbineId,
      time: new Float64Array(rows.length),
      power: new Float64Array(rows.length),
      windSpeed: new Float64Array(rows.length),
      windDirection: new Float64Array(rows.length),
      imputed: new Uint8Array(rows.length),
    };
    for (const [row, [part, i]] of rows.entries()) {
      series.time[row] = part.time[i];
      series.power[row] = part.power[i];
      series.windSpeed[row] = part.wind_speed[i];
      series.windDirection[row] = part.wind_direction[i];
      series.imputed[row] = part.imputed[i];
    }
    return series;
  }

  async #page<V, T>(
    selectors: Deno.KvListSelector[],
    query: SummaryQuery,
    decode: (key: Deno.KvKey, value: V) => T | undefined,
  ): Promise<Page<T>> {
    const limit = query.limit ?? 1000;
    let { selector: s, after } = decodeCursor(query.cursor, selectors.length);
    const items: T[] = [];
    let last = { selector: s, after };
    for (; s < selectors.length; s++, after = undefined) {
      const entries = this.kv.list<V>(selectors[s], { cursor: after });
      for await (const entry of entries) {
        const item = decode(entry.key, entry.value);
        if (item === undefined) continue;
        if (items.length === limit) return { items, cursor: encodeCursor(last) };
        items.push(item);
        last = { selector: s, after: entries.cursor };
      }
    }
    return { items, cursor: null };
  }
}

/** Commits mutations in as few atomic operations as Deno KV's limits allow. */
class CommitWriter {
  #kv: Deno.Kv;
  #op: Deno.AtomicOperation;
  #mutations = 0;
  #bytes = 0;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
    this.#op = kv.atomic();
  }

  /** Adds a group that should commit together; it is split only if no commit could hold it. */
  async add(group: Mutation[]): Promise<void> {
    const bytes = group.reduce((total, m) => total + m.bytes, 0);
    if (
      this.#mutations + group.length > MUTATIONS_PER_COMMIT ||
      this.#bytes + bytes > BYTES_PER_COMMIT
    ) {
      await this.flush();
    }
    for (const m of group) {
      if (this.#mutations + 1 > MUTATIONS_PER_COMMIT || this.#bytes + m.bytes > BYTES_PER_COMMIT) {
        await this.flush();
      }
      if ("value" in m) this.#op.set(m.key, m.value);
      else this.#op.delete(m.key);
      this.#mutations++;
      this.#bytes += m.bytes;
    }
  }

  async flush(): Promise<void> {
    if (this.#mutations === 0) return;
    const result = await this.#op.commit();
    if (!result.ok) throw new Error("Deno KV refused an atomic commit of analysis results");
    this.#op = this.#kv.atomic();
    this.#mutations = 0;
    this.#bytes = 0;
  }
}

/**
 * The cleaned series a result carries: `AnalysisResult.series` once
 * analyse_files.ts returns them; none before.
 */
function cleanedSeries(result: AnalysisResult): readonly TurbineSeries[] {
  const { series } = result as { series?: readonly TurbineSeries[] };
  return series ?? [];
}

function mutation(key: Deno.KvKey, value: unknown): Mutation {
  return { key, value, bytes: keyBytes(key) + valueBytes(value) };
}

function anomalyMutation(anomaly: TurbineAnomaly | ReadingAnomaly): Mutation {
  if (anomaly.kind === "turbine") {
    const { mean, fleetMean, fleetStd, z } = anomaly;
    return mutation(
      [ROOT, "anomaly", "turbine", anomaly.turbineId, anomaly.windowStart],
      { mean, fleetMean, fleetStd, z } satisfies TurbineAnomalyValue,
    );
  }
  const { powerOutput, windowMean, windowStd } = anomaly;
  return mutation(
    [ROOT, "anomaly", "reading", anomaly.turbineId, anomaly.timestamp],
    { powerOutput, windowMean, windowStd } satisfies ReadingAnomalyValue,
  );
}

/** A generous estimate of a key's encoded size. */
function keyBytes(key: Deno.KvKey): number {
  return JSON.stringify(key).length + 16;
}

/** A generous estimate of a value's serialised size (typed arrays by their bytes). */
function valueBytes(value: unknown): number {
  if (ArrayBuffer.isView(value)) return value.byteLength + 16;
  if (value !== null && typeof value === "object") {
    return Object.values(value).reduce((total: number, v) => total + 16 + valueBytes(v), 16);
  }
  return 2 * (JSON.stringify(value)?.length ?? 0) + 8;
}

/** The rows of `series` inside the summary's window, in parts of at most CLEAN_ROWS_PER_PART. */
function cleanParts(series: TurbineSeries, summary: WindowSummary): CleanPart[] {
  const from = lowerBound(series.time, summary.windowStart);
  const to = lowerBound(series.time, summary.windowEnd);
  const parts: CleanPart[] = [];
  for (let start = from; start < to; start += CLEAN_ROWS_PER_PART) {
    const end = Math.min(to, start + CLEAN_ROWS_PER_PART);
    // slice, not subarray: a view would serialise its whole underlying buffer.
    parts.push({
      time: series.time.slice(start, end),
      power: series.power.slice(start, end),
      wind_speed: series.windSpeed.slice(start, end),
      wind_direction: series.windDirection.slice(start, end),
      imputed: series.imputed.slice(start, end),
    });
  }
  return parts;
}

/** The first index whose time is at least `time`. */
function lowerBound(times: Float64Array, time: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle] < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/** One turbine's anomalies by the start of the window they fall in. */
function anomaliesByWindow(
  result: AnalysisResult,
  turbineId: number,
): Map<number, (TurbineAnomaly | ReadingAnomaly)[]> {
  const mine = result.anomalies.filter((a) => a.turbineId === turbineId);
  return groupBy(mine, (a) => {
    const time = a.kind === "turbine" ? a.windowStart : a.timestamp;
    return Math.floor(time / result.windowMs) * result.windowMs;
  });
}

function inRange(time: number, range: { since?: number; until?: number }): boolean {
  return (range.since === undefined || time >= range.since) &&
    (range.until === undefined || time < range.until);
}

/** The selector of `prefix`, narrowed to a turbine and time range when the query names a turbine. */
function timeRange(prefix: Deno.KvKey, query: SummaryQuery): Deno.KvListSelector {
  if (query.turbine === undefined) return { prefix };
  const turbine = [...prefix, query.turbine];
  if (query.since !== undefined && query.until !== undefined) {
    return { start: [...turbine, query.since], end: [...turbine, query.until] };
  }
  if (query.since !== undefined) return { prefix: turbine, start: [...turbine, query.since] };
  if (query.until !== undefined) return { prefix: turbine, end: [...turbine, query.until] };
  return { prefix: turbine };
}

interface Cursor {
  /** Index of the selector the page stopped in. */
  selector: number;
  /** Deno KV's cursor within that selector. */
  after: string | undefined;
}

function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.selector, cursor.after ?? null])).replaceAll("=", "");
}

function decodeCursor(cursor: string | undefined, selectors: number): Cursor {
  if (cursor === undefined) return { selector: 0, after: undefined };
  try {
    const [selector, after] = JSON.parse(atob(cursor));
    if (
      Number.isInteger(selector) && selector >= 0 && selector < selectors &&
      (after === null || typeof after === "string")
    ) {
      return { selector, after: after ?? undefined };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new TypeError(`"${cursor}" is not a cursor this endpoint returned`);
}
