/**
 * The single path every turbine metric takes, from a simulated turbine or from
 * outside over HTTP: a bounded queue, group commit to Deno KV, and only then the
 * acknowledgement, the latest state per turbine and the repair dispatch rule.
 *
 * @module
 */

import type { TurbineMetric } from "../actors/protocol.ts";
import type { KvStore, RepairJob, TurbineRecord } from "../store/kv_store.ts";

/** What one group commit changed, handed to the rest of the system after it is durable. */
export interface CommittedMetrics {
  metrics: TurbineMetric[];
  /** Turbines whose latest metric changed, with that metric. */
  latest: TurbineRecord[];
  /** Repair jobs opened by metrics that broke a turbine. */
  repairs: RepairJob[];
}

/** Raised when the queue cannot take more metrics; the HTTP edge answers 503 with Retry-After. */
export class IngestOverloaded extends Error {
  constructor(readonly queued: number, readonly capacity: number, readonly offered: number) {
    super(
      `The ingest queue holds ${queued} of ${capacity} metrics and cannot take ${offered} more`,
    );
    this.name = "IngestOverloaded";
  }
}

/** Options of the ingest pipeline. */
export interface MetricIngestOptions {
  /** Metrics the queue holds before it refuses more; default 200,000. */
  capacity?: number;
  /** Metrics one group commit takes at most; default 10,000. */
  groupSize?: number;
  onCommitted?(committed: CommittedMetrics): void;
}

/**
 * Compaction runs this long after a commit, or as soon as the log holds
 * `COMPACT_AT_METRICS`: rarer compactions write fuller segments (a turbine
 * reporting every second gets ten metrics a segment), while readers scan a log
 * of at most that many metrics.
 */
const COMPACT_EVERY_MS = 10_000;
const COMPACT_AT_METRICS = 50_000;

interface Pending {
  metrics: TurbineMetric[];
  resolve(): void;
  reject(error: Error): void;
}

/**
 * The repair id of a broken episode: the turbine and the second it broke. The
 * same episode always gets the same id, so a re-sent metric cannot open a
 * second job.
 */
export function repairIdFor(metric: TurbineMetric): string {
  return `r-${metric.turbine_number}-${metric.timestamp}`;
}

/**
 * Queues, commits and dispatches metrics.
 *
 * @example
 * ```ts ignore
 * const ingest = new MetricIngest(store, { onCommitted: (c) => console.log(c.repairs) });
 * await ingest.load();
 * await ingest.submit([metric]); // resolves once the metric is in Deno KV
 * ```
 */
export class MetricIngest {
  readonly capacity: number;
  #store: KvStore;
  #groupSize: number;
  #onCommitted: (committed: CommittedMetrics) => void;
  #queue: Pending[] = [];
  #queued = 0;
  #latest = new Map<number, TurbineRecord>();
  #committing: Promise<void> | null = null;
  #spaceWaiters: (() => void)[] = [];
  #committed = 0;
  /** Latest states whose status did not change: written by a flush at most a second later. */
  #unsavedLatest = new Map<number, TurbineRecord>();
  #latestTimer: ReturnType<typeof setTimeout> | undefined;
  #compactTimer: ReturnType<typeof setTimeout> | undefined;
  #compacting: Promise<void> | null = null;
  /** Metrics committed to the log since the last compaction started. */
  #logged = 0;

  constructor(store: KvStore, options: MetricIngestOptions = {}) {
    this.#store = store;
    this.capacity = options.capacity ?? 200_000;
    this.#groupSize = options.groupSize ?? 10_000;
    this.#onCommitted = options.onCommitted ?? (() => {});
  }

  /**
   * Reads every turbine's latest state from the store, brings it up to date
   * with what a crash left in the ingest log, and compacts the log.
   */
  async load(): Promise<void> {
    for (const record of await this.#store.listTurbines()) {
      this.#latest.set(record.turbine_id, record);
    }
    // Latest states are written up to a second after their metrics, but always
    // before the log holding those metrics is compacted: the log has the rest.
    for await (const metrics of this.#store.logMetrics()) {
      for (const metric of metrics) {
        const previous = this.#latest.get(metric.turbine_number);
        if (previous && previous.latest.timestamp >= metric.timestamp) continue;
        const record = {
          turbine_id: metric.turbine_number,
          latest: metric,
          registered_at: previous?.registered_at ?? Date.now(),
        };
        this.#latest.set(record.turbine_id, record);
        this.#unsavedLatest.set(record.turbine_id, record);
      }
    }
    await this.compact();
  }

  /** Moves the whole ingest log into the per-turbine streams. */
  compact(): Promise<void> {
    clearTimeout(this.#compactTimer);
    this.#compactTimer = undefined;
    this.#logged = 0;
    this.#compacting ??= (async () => {
      try {
        // The latest states go first: once the log is gone, they are all that says what it held.
        await this.#saveLatest();
        while (await this.#store.compactLog() > 0);
      } catch (error) {
        console.error(`Cannot compact the ingest log: ${(error as Error).message}`);
      } finally {
        this.#compacting = null;
      }
    })();
    return this.#compacting;
  }

  /** Metrics waiting to be committed. */
  get queued(): number {
    return this.#queued;
  }

  /** Metrics committed since start. */
  get committed(): number {
    return this.#committed;
  }

  latest(turbineId: number): TurbineRecord | undefined {
    return this.#latest.get(turbineId);
  }

  latestAll(): TurbineRecord[] {
    return [...this.#latest.values()].sort((a, b) => a.turbine_id - b.turbine_id);
  }

  /**
   * Queues metrics and resolves once they are committed. Rejects at once with
   * `IngestOverloaded`, writing nothing, when the queue cannot take them all.
   */
  submit(metrics: TurbineMetric[]): Promise<void> {
    if (metrics.length === 0) return Promise.resolve();
    if (this.#queued + metrics.length > this.capacity && this.#queued > 0) {
      return Promise.reject(new IngestOverloaded(this.#queued, this.capacity, metrics.length));
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push({ metrics, resolve, reject });
    this.#queued += metrics.length;
    this.#commitSoon();
    return promise;
  }

  /**
   * Queues metrics from a producer that can wait (a simulated turbine): resolves
   * once they are queued, waiting for room first. Commit errors are logged.
   */
  async enqueue(metrics: TurbineMetric[]): Promise<void> {
    while (this.#queued > 0 && this.#queued + metrics.length > this.capacity) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#spaceWaiters.push(resolve);
      await promise;
    }
    this.submit(metrics).catch((error) =>
      console.error(`Cannot commit simulated metrics: ${error.message}`)
    );
  }

  /** Resolves once everything queued so far is committed, latest states included. */
  async drain(): Promise<void> {
    while (this.#committing || this.#queue.length > 0) {
      this.#commitSoon();
      await this.#committing;
    }
    await this.#saveLatest();
    await this.compact();
  }

  async #saveLatest(): Promise<void> {
    clearTimeout(this.#latestTimer);
    this.#latestTimer = undefined;
    const records = [...this.#unsavedLatest.values()];
    this.#unsavedLatest.clear();
    await this.#store.saveLatest(records).catch((error) =>
      console.error(`Cannot save the latest turbine states: ${error.message}`)
    );
  }

  #commitSoon(): void {
    if (this.#committing) return;
    this.#committing = this.#commitLoop();
  }

  async #commitLoop(): Promise<void> {
    try {
      // Let producers of the same tick join the group before it is cut.
      await Promise.resolve();
      while (this.#queue.length > 0) await this.#commitGroup();
    } finally {
      // Cleared in the same step that saw the queue empty, so a later submit starts a new loop.
      this.#committing = null;
    }
  }

  async #commitGroup(): Promise<void> {
    const group: Pending[] = [];
    let size = 0;
    while (
      this.#queue.length > 0 &&
      (size === 0 || size + this.#queue[0].metrics.length <= this.#groupSize)
    ) {
      const pending = this.#queue.shift()!;
      group.push(pending);
      size += pending.metrics.length;
    }
    const metrics = group.flatMap((p) => p.metrics);
    const { latest, repairs } = this.#apply(metrics);
    // A status change (or a new turbine) is written with its metrics: the
    // dispatch rule reads it after a restart. Other latest states can wait.
    const urgent = latest.filter((record) =>
      this.#latest.get(record.turbine_id)?.latest.operational_status !==
        record.latest.operational_status
    );
    try {
      await this.#store.commitMetrics({ metrics, latest: urgent, repairs });
    } catch (error) {
      for (const pending of group) pending.reject(error as Error);
      this.#release(size);
      return;
    }
    const written = new Set(urgent);
    for (const record of latest) {
      this.#latest.set(record.turbine_id, record);
      if (written.has(record)) this.#unsavedLatest.delete(record.turbine_id);
      else this.#unsavedLatest.set(record.turbine_id, record);
    }
    if (this.#unsavedLatest.size > 0) {
      this.#latestTimer ??= setTimeout(() => this.#saveLatest(), 1_000);
    }
    this.#logged += metrics.length;
    if (this.#logged >= COMPACT_AT_METRICS) this.compact();
    else this.#compactTimer ??= setTimeout(() => this.compact(), COMPACT_EVERY_MS);
    this.#committed += metrics.length;
    this.#release(size);
    for (const pending of group) pending.resolve();
    this.#onCommitted({ metrics, latest, repairs });
  }

  #release(size: number): void {
    this.#queued -= size;
    for (const wake of this.#spaceWaiters.splice(0)) wake();
  }

  /**
   * Works out the latest metric per turbine and the repairs to open. Only a
   * metric newer than the turbine's latest counts; a broken one after an ok one
   * (or after none) opens exactly one job for the episode.
   */
  #apply(metrics: TurbineMetric[]): { latest: TurbineRecord[]; repairs: RepairJob[] } {
    const changed = new Map<number, TurbineRecord>();
    const repairs: RepairJob[] = [];
    for (const metric of metrics) {
      const id = metric.turbine_number;
      const previous = changed.get(id) ?? this.#latest.get(id);
      if (previous && metric.timestamp <= previous.latest.timestamp) continue;
      if (
        metric.operational_status === "broken" &&
        previous?.latest.operational_status !== "broken"
      ) {
        repairs.push({
          id: repairIdFor(metric),
          turbine_id: id,
          status: "waiting",
          engineer: null,
          reported_at: metric.timestamp * 1000,
          started_at: null,
          arrived_at: null,
          finished_at: null,
        });
      }
      changed.set(id, {
        turbine_id: id,
        latest: metric,
        registered_at: previous?.registered_at ?? Date.now(),
      });
    }
    return { latest: [...changed.values()], repairs };
  }
}
