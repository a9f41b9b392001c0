/**
 * Monitored devices in Deno KV. Layout:
 * - `["device", id]` the device: profile, where its readings come from, its
 *   latest scored reading and the stress episode or alert in progress
 * - `["reading", id, timestamp]` one scored reading (epoch seconds in the key,
 *   so a time range is a key range)
 * - `["device_alert", id, alertId]` a stress forecast alert and the owner's
 *   feedback on it
 *
 * Readings arrive in batches and are written in as few atomic commits as the
 * KV limits allow; a reading's key is its device and second, so writing the
 * same batch twice (a retry, an actor replaying after a crash) stores it once.
 *
 * @module
 */

import type { DeviceProfile, DeviceReading } from "../actors/device_readings.ts";
import type { DeviceAlert, DeviceStatus, ScoredReading } from "../actors/protocol.ts";
import { atomicBatch } from "./kv_store.ts";

/** A device as stored and listed. */
export interface DeviceRecord {
  id: string;
  profile: DeviceProfile;
  /** retired: simulated in an earlier run and not in this one's `--devices`; its history stays. */
  source: "simulated" | "external" | "retired";
  latest: ScoredReading | null;
  status: DeviceStatus;
  /** Epoch seconds at which the current stress episode began. */
  stressed_since: number | null;
  /** The alert of the episode in progress. */
  open_alert: string | null;
  /** Wall time of the last change, ISO 8601. */
  updated_at: string;
}

/** A stored reading: the sensor values with the model's verdict. */
export type StoredReading = DeviceReading & {
  probability: number;
  status: DeviceStatus;
  model: number;
};

/** An owner's verdict on an alert. */
export interface AlertFeedback {
  correct: boolean;
  comment: string | null;
  /** Wall time, ISO 8601. */
  at: string;
}

/** An alert as stored, with its feedback once the owner gave it. */
export type AlertRecord = DeviceAlert & { feedback: AlertFeedback | null };

/** An alert the owner judged, with the readings the model saw: a labelled example for training. */
export interface FeedbackSample {
  alertId: string;
  deviceId: string;
  profile: DeviceProfile;
  correct: boolean;
  /** Oldest first, ending at the reading that raised the alert. */
  window: DeviceReading[];
}

/** What one batch of device activity writes. */
export interface DeviceCommit {
  readings: ScoredReading[];
  alerts: DeviceAlert[];
  devices: DeviceRecord[];
}

/** The sensor part of a stored reading. */
export function sensorReading(stored: StoredReading): DeviceReading {
  const { probability: _p, status: _s, model: _m, ...reading } = stored;
  return reading as DeviceReading;
}

/**
 * Devices, readings, alerts and feedback.
 *
 * @example
 * ```ts ignore
 * const devices = new DeviceStore(await Deno.openKv(":memory:"));
 * await devices.commit({ readings, alerts: [], devices: [record] });
 * ```
 */
export class DeviceStore {
  readonly kv: Deno.Kv;

  constructor(kv: Deno.Kv) {
    this.kv = kv;
  }

  /** Writes readings, alerts and device records, batched within the KV limits. */
  async commit(commit: DeviceCommit): Promise<void> {
    const writes: [Deno.KvKey, unknown][] = [
      ...commit.readings.map((scored): [Deno.KvKey, unknown] => [
        ["reading", scored.reading.device_id, scored.reading.timestamp],
        {
          ...scored.reading,
          probability: scored.probability,
          status: scored.status,
          model: scored.model,
        },
      ]),
      // An alert is written once: a replay must not wipe the owner's feedback.
      ...commit.devices.map((device): [Deno.KvKey, unknown] => [["device", device.id], device]),
    ];
    const batch = atomicBatch(this.kv, commitWithRetry);
    for (const [key, value] of writes) {
      // KV counts V8-serialised bytes, which can be twice the JSON for numbers.
      await batch.reserve(1, 2 * JSON.stringify(value).length + 64);
      batch.op.set(key, value);
    }
    await batch.flush();
    for (const alert of commit.alerts) {
      const key = ["device_alert", alert.device_id, alert.id];
      const record: AlertRecord = { ...alert, feedback: null };
      const op = this.kv.atomic().check({ key, versionstamp: null }).set(key, record);
      await commitWithRetry(op, { alreadyThereIsFine: true });
    }
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    return (await this.kv.get<DeviceRecord>(["device", id])).value;
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const devices: DeviceRecord[] = [];
    for await (const entry of this.kv.list<DeviceRecord>({ prefix: ["device"] })) {
      devices.push(entry.value);
    }
    return devices;
  }

  /**
   * A device's readings with `since <= timestamp < until` (epoch seconds),
   * oldest first, at most `limit`; `latest` returns the newest `limit` instead
   * (still oldest first).
   */
  async listReadings(
    id: string,
    range: { since?: number; until?: number; limit: number; latest?: boolean },
  ): Promise<StoredReading[]> {
    const selector: Deno.KvListSelector = {
      start: ["reading", id, range.since ?? 0],
      end: ["reading", id, range.until ?? Number.MAX_SAFE_INTEGER],
    };
    const readings: StoredReading[] = [];
    const iterator = this.kv.list<StoredReading>(selector, {
      limit: range.limit,
      reverse: range.latest ?? false,
      batchSize: Math.min(range.limit, 500),
    });
    for await (const entry of iterator) readings.push(entry.value);
    return range.latest ? readings.reverse() : readings;
  }

  /** Deletes a device's readings older than `cutoff` epoch seconds; returns how many. */
  async deleteReadingsBefore(id: string, cutoff: number): Promise<number> {
    let deleted = 0;
    const batch = atomicBatch(this.kv, commitWithRetry);
    for await (
      const entry of this.kv.list({ start: ["reading", id, 0], end: ["reading", id, cutoff] })
    ) {
      await batch.reserve(1, 0);
      batch.op.delete(entry.key);
      deleted++;
    }
    await batch.flush();
    return deleted;
  }

  async getAlert(deviceId: string, alertId: string): Promise<AlertRecord | null> {
    return (await this.kv.get<AlertRecord>(["device_alert", deviceId, alertId])).value;
  }

  /** A device's alerts, newest first. */
  async listAlerts(deviceId: string, limit = 100): Promise<AlertRecord[]> {
    const alerts: AlertRecord[] = [];
    const iterator = this.kv.list<AlertRecord>({ prefix: ["device_alert", deviceId] }, {
      reverse: true,
      limit,
    });
    for await (const entry of iterator) alerts.push(entry.value);
    return alerts.sort((a, b) => b.at - a.at);
  }

  /** Records the owner's verdict on an alert (a later verdict replaces an earlier one). */
  async setFeedback(
    deviceId: string,
    alertId: string,
    feedback: AlertFeedback,
  ): Promise<AlertRecord | null> {
    const key = ["device_alert", deviceId, alertId];
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await this.kv.get<AlertRecord>(key);
      if (!entry.value) return null;
      const record = { ...entry.value, feedback };
      const result = await this.kv.atomic().check(entry).set(key, record).commit();
      if (result.ok) return record;
    }
    throw new Error(`Feedback on alert ${alertId} kept conflicting with other writes`);
  }

  /**
   * Every judged alert with the readings up to it: the examples the next
   * training run learns from.
   */
  async *feedbackSamples(windowReadings: number): AsyncGenerator<FeedbackSample> {
    for await (const entry of this.kv.list<AlertRecord>({ prefix: ["device_alert"] })) {
      const alert = entry.value;
      if (!alert.feedback) continue;
      const stored = await this.listReadings(alert.device_id, {
        until: alert.at + 1,
        limit: windowReadings,
        latest: true,
      });
      if (stored.length === 0) continue;
      yield {
        alertId: alert.id,
        deviceId: alert.device_id,
        profile: alert.profile,
        correct: alert.feedback.correct,
        window: stored.map(sensorReading),
      };
    }
  }
}

/** Commits, retrying when another handle holds the database lock. */
async function commitWithRetry(
  op: Deno.AtomicOperation,
  options: { alreadyThereIsFine?: boolean } = {},
): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      const result = await op.commit();
      if (!result.ok && !options.alreadyThereIsFine) {
        throw new Error("A device write lost a check against a concurrent write");
      }
      return;
    } catch (error) {
      if (attempt >= 5 || !/database is locked/i.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
}
