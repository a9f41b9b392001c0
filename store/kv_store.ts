/**
 * The one module that knows the Deno KV key layout of the fleet (the batch
 * analysis has its own, under `["analysis"]`, in `analysis_store.ts`, and Web
 * Push keys and subscriptions theirs, under `["push"]`, in `push_store.ts`).
 * Everything else reads and writes through these functions.
 *
 * Layout:
 * - `["turbine", id]` latest metric and registration of a turbine
 * - `["ingest_log", seq]` metrics as they were committed: one value per up to
 *   1,200 metrics of any turbines, in columns. A group commit is a handful of
 *   these, which is what lets ingest acknowledge 100,000s of metrics a second.
 * - `["metric", "turbine", id, bucket, seq]` the metric stream: the compactor
 *   moves the log into one segment per turbine, minute bucket (epoch seconds)
 *   and compaction. Readers merge segments and the log; a metric written twice
 *   reads back once.
 * - `["repair", id]` a repair job; `["repair_by_status", status, id]` its index
 * - `["actor", address]` an actor's snapshot (state and durable reminders)
 * - `["alarm", at, address]` supervision alarms
 * - `["simulation"]` the simulation clock, so a restart continues its time
 *
 * @module
 */

import type { ActorSnapshot, SnapshotStore } from "../actors/supervisor.ts";
import type { Address, TurbineMetric } from "../actors/protocol.ts";
import { dirname } from "node:path";
import {
  columnBytes,
  fromColumns,
  metricAt,
  type MetricColumns,
  toColumns,
} from "./metric_columns.ts";

/** Mutations per atomic commit (Deno KV allows 1,000). */
export const MUTATIONS_PER_COMMIT = 1_000;
/** Bytes per atomic commit we allow ourselves (Deno KV allows 800 KiB). */
export const BYTES_PER_COMMIT = 700 * 1024;
/** Width of a metric segment's time bucket, seconds. */
export const SEGMENT_SECONDS = 60;
/** Metrics per segment or log entry at most (Deno KV allows 64 KiB per value). */
export const METRICS_PER_VALUE = 1_200;

function bucketOf(timestamp: number): number {
  return Math.floor(timestamp / SEGMENT_SECONDS) * SEGMENT_SECONDS;
}

/** A stream cursor: the timestamp of the last metric a page returned. */
function encodeCursor(after: number): string {
  return btoa(JSON.stringify({ after })).replaceAll("=", "");
}

/** Reads a cursor this store handed out; throws a TypeError for anything else. */
function decodeCursor(cursor: string): number {
  try {
    const { after } = JSON.parse(atob(cursor));
    if (typeof after === "number" && Number.isFinite(after)) return after;
  } catch {
    // Falls through to the error below.
  }
  throw new TypeError(`"${cursor}" is not a cursor this endpoint returned`);
}

/** An atomic operation that commits itself before the next writes would outgrow Deno KV's limits. */
export interface AtomicBatch {
  op: Deno.AtomicOperation;
  /** Makes room for `count` mutations of about `bytes`, committing what is there first if needed. */
  reserve(count: number, bytes: number): Promise<void>;
  /** Commits what is there, if anything. */
  flush(): Promise<void>;
}

async function commitOrThrow(op: Deno.AtomicOperation): Promise<void> {
  const result = await op.commit();
  if (!result.ok) throw new Error("Deno KV refused an atomic commit");
}

/**
 * Batches writes into as few atomic commits as the limits allow; `commit`
 * carries out each one (default: commit, and throw if refused).
 *
 * @example
 * ```ts ignore
 * const batch = atomicBatch(kv);
 * await batch.reserve(1, 100);
 * batch.op.set(["k"], "v");
 * await batch.flush();
 * ```
 */
export function atomicBatch(
  kv: Deno.Kv,
  commit: (op: Deno.AtomicOperation) => Promise<void> = commitOrThrow,
): AtomicBatch {
  let mutations = 0;
  let size = 0;
  const batch = {
    op: kv.atomic(),
    async flush() {
      if (mutations === 0) return;
      await commit(batch.op);
      batch.op = kv.atomic();
      mutations = 0;
      size = 0;
    },
    async reserve(count: number, bytes: number) {
      if (mutations + count > MUTATIONS_PER_COMMIT || size + bytes > BYTES_PER_COMMIT) {
        await batch.flush();
      }
      mutations += count;
      size += bytes;
    },
  };
  return batch;
}

/** A repair job. Times are epoch milliseconds of simulated time. */
export interface RepairJob {
  id: string;
  turbine_id: number;
  status: "waiting" | "in_progress" | "done";
  engineer: Address | null;
  reported_at: number;
  started_at: number | null;
  arrived_at: number | null;
  finished_at: number | null;
}

/** What the store keeps as a turbine's latest state. */
export interface TurbineRecord {
  turbine_id: number;
  latest: TurbineMetric;
  /** Epoch ms (wall) when the first metric arrived. */
  registered_at: number;
}

/** An alarm raised by the supervisor. */
export interface Alarm {
  at: string;
  address: Address;
  kind: "actor.stopped";
  message: string;
}

/** A page of a metric stream. */
export interface MetricPage {
  metrics: TurbineMetric[];
  cursor: string | null;
}

/** One atomic write of ingested metrics, the latest states they leave and the repairs they open. */
export interface MetricCommit {
  metrics: TurbineMetric[];
  latest: TurbineRecord[];
  repairs: RepairJob[];
}

/**
 * Opens the store at `path` (creating its folder), or in memory for `":memory:"`.
 *
 * @example
 * ```ts
 * const store = await KvStore.open(":memory:");
 * store.close();
 * ```
 */
export class KvStore implements SnapshotStore {
  readonly kv: Deno.Kv;
  #seq = 0;

  constructor(kv: Deno.Kv) {
    this.kv = kv;
  }

  static async open(path: string): Promise<KvStore> {
    if (path !== ":memory:") await Deno.mkdir(dirname(path), { recursive: true });
    return new KvStore(await Deno.openKv(path));
  }

  close(): void {
    this.kv.close();
  }

  // ---- metrics and turbines ----

  /**
   * Writes a group of metrics to the ingest log, with the latest states and
   * repairs they bring, in as few atomic commits as the limits allow. Repairs
   * and latest states go in the first commit, so the metric that broke a
   * turbine never lands without its repair job.
   */
  async commitMetrics(commit: MetricCommit): Promise<void> {
    const batch = this.#batch();
    for (const repair of commit.repairs) {
      await batch.reserve(2, 600);
      this.#setRepair(batch.op, repair, null);
    }
    for (const record of commit.latest) {
      await batch.reserve(1, 300);
      batch.op.set(["turbine", record.turbine_id], record);
    }
    for (let i = 0; i < commit.metrics.length; i += METRICS_PER_VALUE) {
      const chunk = commit.metrics.slice(i, i + METRICS_PER_VALUE);
      await batch.reserve(1, columnBytes(chunk.length));
      batch.op.set(["ingest_log", this.#nextSeq()], toColumns(chunk));
    }
    await batch.flush();
  }

  /**
   * Moves up to `entries` of the oldest ingest log entries into per-turbine
   * segments; returns how many metrics it moved. Segments are written before
   * the log entries are deleted, so a crash in between only duplicates, and
   * readers drop duplicates.
   */
  async compactLog(entries = 64): Promise<number> {
    const keys: Deno.KvKey[] = [];
    const groups = new Map<string, TurbineMetric[]>();
    for await (
      const entry of this.kv.list<MetricColumns>({ prefix: ["ingest_log"] }, { limit: entries })
    ) {
      keys.push(entry.key);
      for (const metric of fromColumns(entry.value)) {
        const id = `${metric.turbine_number}:${bucketOf(metric.timestamp)}`;
        const group = groups.get(id);
        if (group) group.push(metric);
        else groups.set(id, [metric]);
      }
    }
    if (keys.length === 0) return 0;
    const batch = this.#batch();
    let moved = 0;
    for (const metrics of groups.values()) {
      const { turbine_number: turbine, timestamp } = metrics[0];
      for (let i = 0; i < metrics.length; i += METRICS_PER_VALUE) {
        const chunk = metrics.slice(i, i + METRICS_PER_VALUE);
        await batch.reserve(1, columnBytes(chunk.length));
        batch.op.set(
          ["metric", "turbine", turbine, bucketOf(timestamp), this.#nextSeq()],
          toColumns(chunk),
        );
        moved += chunk.length;
      }
    }
    await batch.flush();
    for (const key of keys) {
      await batch.reserve(1, 64);
      batch.op.delete(key);
    }
    await batch.flush();
    return moved;
  }

  /** Every metric still in the ingest log, oldest commit first. */
  async *logMetrics(): AsyncGenerator<TurbineMetric[]> {
    for await (const entry of this.kv.list<MetricColumns>({ prefix: ["ingest_log"] })) {
      yield fromColumns(entry.value);
    }
  }

  /** Metrics in the ingest log, waiting for compaction. */
  async logSize(): Promise<number> {
    let size = 0;
    for await (const entry of this.kv.list<MetricColumns>({ prefix: ["ingest_log"] })) {
      size += entry.value.timestamps.length;
    }
    return size;
  }

  #nextSeq(): number {
    this.#seq = Math.max(this.#seq + 1, Date.now() * 1000);
    return this.#seq;
  }

  /** An atomic operation that commits itself before it would outgrow Deno KV's limits. */
  #batch(): AtomicBatch {
    return atomicBatch(this.kv);
  }

  /** Writes latest states on their own (those no status change forced into a metric commit). */
  async saveLatest(records: TurbineRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 500) {
      const op = this.kv.atomic();
      for (const record of records.slice(i, i + 500)) {
        op.set(["turbine", record.turbine_id], record);
      }
      await op.commit();
    }
  }

  async listTurbines(): Promise<TurbineRecord[]> {
    const turbines: TurbineRecord[] = [];
    for await (const entry of this.kv.list<TurbineRecord>({ prefix: ["turbine"] })) {
      turbines.push(entry.value);
    }
    return turbines;
  }

  async getTurbine(id: number): Promise<TurbineRecord | null> {
    return (await this.kv.get<TurbineRecord>(["turbine", id])).value;
  }

  /**
   * Metrics of one turbine with `since <= timestamp < until`, oldest first, at
   * most `limit`; `cursor` (from the previous page) continues after its last.
   * Throws a TypeError for a cursor this store did not hand out.
   */
  async listMetrics(
    turbineId: number,
    options: { since?: number; until?: number; limit: number; cursor?: string },
  ): Promise<MetricPage> {
    const after = options.cursor === undefined ? -Infinity : decodeCursor(options.cursor);
    const since = Math.max(options.since ?? -Infinity, after);
    const until = options.until ?? Infinity;
    const keep = (m: TurbineMetric) =>
      m.timestamp >= since && m.timestamp > after && m.timestamp < until;

    // Not yet compacted metrics, by bucket.
    const logged = new Map<number, Map<number, TurbineMetric>>();
    for await (const entry of this.kv.list<MetricColumns>({ prefix: ["ingest_log"] })) {
      const columns = entry.value;
      for (let i = 0; i < columns.turbines.length; i++) {
        if (columns.turbines[i] !== turbineId) continue;
        const metric = metricAt(columns, i);
        if (!keep(metric)) continue;
        const bucket = bucketOf(metric.timestamp);
        if (!logged.has(bucket)) logged.set(bucket, new Map());
        logged.get(bucket)!.set(metric.timestamp, metric);
      }
    }
    const loggedBuckets = [...logged.keys()].sort((a, b) => a - b);

    const prefix = ["metric", "turbine", turbineId];
    const start = Number.isFinite(since) ? [...prefix, bucketOf(since)] : undefined;
    const end = Number.isFinite(until) ? [...prefix, bucketOf(until) + 1] : undefined;
    // Deno KV takes a prefix with one bound, or both bounds without the prefix.
    const selector: Deno.KvListSelector = start && end
      ? { start, end }
      : start
      ? { prefix, start }
      : end
      ? { prefix, end }
      : { prefix };

    const metrics: TurbineMetric[] = [];
    const emit = (bucket: Map<number, TurbineMetric>) => {
      const sorted = [...bucket.values()].filter(keep).sort((a, b) => a.timestamp - b.timestamp);
      metrics.push(...sorted);
    };
    const emitLoggedBefore = (bucket: number) => {
      while (loggedBuckets.length > 0 && loggedBuckets[0] < bucket) {
        emit(logged.get(loggedBuckets.shift()!)!);
      }
    };
    let current: number | null = null;
    let inBucket = new Map<number, TurbineMetric>();
    let more = false;
    for await (const entry of this.kv.list<MetricColumns>(selector, { batchSize: 200 })) {
      const bucket = entry.key[3] as number;
      if (bucket !== current) {
        if (current !== null) emit(inBucket);
        emitLoggedBefore(bucket);
        if (metrics.length >= options.limit) {
          more = true;
          break;
        }
        current = bucket;
        inBucket = logged.get(bucket) ?? new Map();
        if (loggedBuckets[0] === bucket) loggedBuckets.shift();
      }
      for (const metric of fromColumns(entry.value)) inBucket.set(metric.timestamp, metric);
    }
    if (!more) {
      if (current !== null) emit(inBucket);
      emitLoggedBefore(Infinity);
    } else if (loggedBuckets.length > 0) {
      more = true;
    }
    if (metrics.length > options.limit) {
      metrics.length = options.limit;
      more = true;
    }
    const last = metrics[metrics.length - 1];
    return { metrics, cursor: more && last ? encodeCursor(last.timestamp) : null };
  }

  /**
   * Deletes a turbine's stream before `cutoff` (epoch seconds), in whole
   * segment buckets; returns how many segments went.
   */
  async deleteMetricsBefore(turbineId: number, cutoff: number): Promise<number> {
    const prefix = ["metric", "turbine", turbineId];
    const batch = this.#batch();
    let deleted = 0;
    for await (const entry of this.kv.list({ start: prefix, end: [...prefix, bucketOf(cutoff)] })) {
      await batch.reserve(1, 64);
      batch.op.delete(entry.key);
      deleted++;
    }
    await batch.flush();
    return deleted;
  }

  // ---- repairs ----

  #setRepair(op: Deno.AtomicOperation, repair: RepairJob, previous: RepairJob | null): void {
    if (previous && previous.status !== repair.status) {
      op.delete(["repair_by_status", previous.status, previous.id]);
    }
    op.set(["repair", repair.id], repair);
    op.set(["repair_by_status", repair.status, repair.id], repair.turbine_id);
  }

  /** Moves a repair job to its next state, with its index, in one commit. */
  async updateRepair(repair: RepairJob, previous: RepairJob): Promise<void> {
    const op = this.kv.atomic();
    this.#setRepair(op, repair, previous);
    const result = await op.commit();
    if (!result.ok) throw new Error(`Deno KV refused to update repair ${repair.id}`);
  }

  async listRepairs(status?: RepairJob["status"]): Promise<RepairJob[]> {
    if (!status) {
      const all: RepairJob[] = [];
      for await (const entry of this.kv.list<RepairJob>({ prefix: ["repair"] })) {
        all.push(entry.value);
      }
      return all;
    }
    const ids: string[] = [];
    for await (const entry of this.kv.list({ prefix: ["repair_by_status", status] })) {
      ids.push(entry.key[2] as string);
    }
    const repairs: RepairJob[] = [];
    for (let i = 0; i < ids.length; i += 10) {
      const entries = await this.kv.getMany<RepairJob[]>(
        ids.slice(i, i + 10).map((id) => ["repair", id]),
      );
      for (const entry of entries) if (entry.value) repairs.push(entry.value);
    }
    return repairs;
  }

  // ---- actor snapshots ----

  async loadSnapshots(addresses: Address[]): Promise<Map<Address, ActorSnapshot>> {
    const wanted = new Set(addresses);
    const snapshots = new Map<Address, ActorSnapshot>();
    if (addresses.length <= 20) {
      for (let i = 0; i < addresses.length; i += 10) {
        const entries = await this.kv.getMany<ActorSnapshot[]>(
          addresses.slice(i, i + 10).map((a) => ["actor", a]),
        );
        for (const entry of entries) {
          if (entry.value) snapshots.set(entry.key[1] as Address, entry.value);
        }
      }
      return snapshots;
    }
    for await (const entry of this.kv.list<ActorSnapshot>({ prefix: ["actor"] })) {
      const address = entry.key[1] as Address;
      if (wanted.has(address)) snapshots.set(address, entry.value);
    }
    return snapshots;
  }

  async saveSnapshots(snapshots: Map<Address, ActorSnapshot>): Promise<void> {
    // A turbine's snapshot is about 1 KB, a device's (its window of readings) up to ~30 KB:
    // commits are cut by size as well as by count.
    const batch = this.#batch();
    for (const [address, snapshot] of snapshots) {
      // KV counts V8-serialised bytes: a number in an array can take 9 where JSON writes 2.
      await batch.reserve(1, 2 * JSON.stringify(snapshot).length + 64);
      batch.op.set(["actor", address], snapshot);
    }
    await batch.flush();
  }

  // ---- alarms and the simulation clock ----

  async addAlarm(alarm: Alarm): Promise<void> {
    await this.kv.set(["alarm", alarm.at, alarm.address], alarm);
  }

  async listAlarms(): Promise<Alarm[]> {
    const alarms: Alarm[] = [];
    for await (const entry of this.kv.list<Alarm>({ prefix: ["alarm"] })) alarms.push(entry.value);
    return alarms;
  }

  async loadSimulationTime(): Promise<number | null> {
    return (await this.kv.get<number>(["simulation"])).value;
  }

  async saveSimulationTime(now: number): Promise<void> {
    await this.kv.set(["simulation"], now);
  }
}
