/**
 * The one module that knows gridfleet's Deno KV key layout. Everything else
 * reads and writes through these functions.
 *
 * Layout:
 * - `["turbine", id]` latest metric and registration of a turbine
 * - `["metric", "turbine", id, timestamp]` the metric stream (epoch seconds)
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

/** Mutations per atomic commit (Deno KV allows 1,000). */
export const MUTATIONS_PER_COMMIT = 1_000;
/** Bytes per atomic commit we allow ourselves (Deno KV allows 800 KiB). */
export const BYTES_PER_COMMIT = 700 * 1024;

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

  /** Writes a group of metrics in as few atomic commits as the limits allow, in order. */
  async commitMetrics(commit: MetricCommit): Promise<void> {
    let op = this.kv.atomic();
    let mutations = 0;
    const flush = async () => {
      if (mutations === 0) return;
      const result = await op.commit();
      if (!result.ok) throw new Error("Deno KV refused a metric commit");
      op = this.kv.atomic();
      mutations = 0;
    };
    // Repairs and latest states go first, so the commit that holds the metric
    // which broke a turbine never lands without its repair job.
    for (const repair of commit.repairs) {
      if (mutations + 2 > MUTATIONS_PER_COMMIT) await flush();
      this.#setRepair(op, repair, null);
      mutations += 2;
    }
    for (const record of commit.latest) {
      if (mutations + 1 > MUTATIONS_PER_COMMIT) await flush();
      op.set(["turbine", record.turbine_id], record);
      mutations++;
    }
    for (const metric of commit.metrics) {
      if (mutations + 1 > MUTATIONS_PER_COMMIT) await flush();
      op.set(["metric", "turbine", metric.turbine_number, metric.timestamp], metric);
      mutations++;
    }
    await flush();
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

  /** Metrics of one turbine with `since <= timestamp < until`, oldest first. */
  async listMetrics(
    turbineId: number,
    options: { since?: number; until?: number; limit: number; cursor?: string },
  ): Promise<MetricPage> {
    const prefix = ["metric", "turbine", turbineId];
    const start = options.since !== undefined ? [...prefix, options.since] : undefined;
    const end = options.until !== undefined ? [...prefix, options.until] : undefined;
    // Deno KV takes a prefix with one bound, or both bounds without the prefix.
    const selector: Deno.KvListSelector = start && end
      ? { start, end }
      : start
      ? { prefix, start }
      : end
      ? { prefix, end }
      : { prefix };
    const iterator = this.kv.list<TurbineMetric>(selector, {
      limit: options.limit,
      cursor: options.cursor,
      batchSize: Math.min(options.limit, 500),
    });
    const metrics: TurbineMetric[] = [];
    for await (const entry of iterator) metrics.push(entry.value);
    const cursor = metrics.length === options.limit && iterator.cursor ? iterator.cursor : null;
    return { metrics, cursor };
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
    let op = this.kv.atomic();
    let mutations = 0;
    for (const [address, snapshot] of snapshots) {
      op.set(["actor", address], snapshot);
      // A snapshot is about 1 KB: 500 of them stay well inside the commit limits.
      if (++mutations === 500) {
        await op.commit();
        op = this.kv.atomic();
        mutations = 0;
      }
    }
    if (mutations > 0) await op.commit();
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
