/**
 * The fleet's events as a numbered stream for live pages: every event gets an
 * id, the most recent ones are kept so a reconnecting client resumes after the
 * last id it saw, and metric batches are downsampled to one summary a second;
 * device readings are gathered into one event a second too.
 *
 * @module
 */

import type { ScoredReading, TurbineMetric } from "../actors/protocol.ts";
import type { EventBus, FleetEvent } from "./event_bus.ts";

/** Readings per device kept for one second's `device.readings` event. */
const DEVICE_READINGS_PER_SUMMARY = 24;

/** Readings one `device.readings` event carries at most, unless there are more devices. */
const DEVICE_READINGS_PER_EVENT = 2_000;

/** An event as sent to live clients. */
export interface StreamEvent {
  /** `<boot>-<sequence>`: the boot part tells a client its id is from before a restart. */
  id: string;
  type: string;
  data: unknown;
}

/** One second of metrics, condensed for a page: the fleet's total and each turbine's latest. */
export interface MetricsSummary {
  /** Epoch seconds of the newest metric in the summary. */
  timestamp: number;
  /** Energy of all metrics in the summary, kWh. */
  energy_kwh: number;
  turbines: { id: number; wind_speed: number; power_kwh: number; status: "ok" | "broken" }[];
}

/** Options of an event stream. */
export interface EventStreamOptions {
  /** Events kept for resuming clients; default 5,000. */
  history?: number;
  /** Wall milliseconds between metric summaries; default 1,000. */
  summaryEveryMs?: number;
}

/** A live client: events after `after` so far, and then each new one. */
export interface StreamSubscription {
  /** Events the client missed; `reset` when its id is too old or from another boot. */
  missed: StreamEvent[];
  reset: boolean;
  close(): void;
}

/**
 * Numbers and keeps the bus's events for live clients.
 *
 * @example
 * ```ts ignore
 * const stream = new EventStream(fleet.bus);
 * const { missed } = stream.subscribe(lastEventId, (event) => send(event));
 * ```
 */
export class EventStream {
  readonly boot = crypto.randomUUID().slice(0, 8);
  #history: StreamEvent[] = [];
  #limit: number;
  #sequence = 0;
  #listeners = new Map<(event: StreamEvent) => void, () => void>();
  #pending = new Map<number, TurbineMetric>();
  #energy = 0;
  #deviceReadings = new Map<string, ScoredReading[]>();
  #timer: ReturnType<typeof setInterval>;
  #unsubscribe: () => void;

  constructor(bus: EventBus, options: EventStreamOptions = {}) {
    this.#limit = options.history ?? 5_000;
    this.#unsubscribe = bus.subscribe((event) => this.#onEvent(event));
    this.#timer = setInterval(() => this.#summarise(), options.summaryEveryMs ?? 1_000);
  }

  /**
   * Registers a client that saw events up to `lastEventId` (none: a new
   * client); returns what it missed. `listener` gets every later event.
   */
  subscribe(
    lastEventId: string | null,
    listener: (event: StreamEvent) => void,
    onClose: () => void = () => {},
  ): StreamSubscription {
    let missed: StreamEvent[] = [];
    let reset = false;
    if (lastEventId) {
      const [boot, sequence] = lastEventId.split("-");
      const seen = Number(sequence);
      const oldest = this.#history[0]
        ? Number(this.#history[0].id.split("-")[1])
        : this.#sequence + 1;
      if (
        boot !== this.boot || !Number.isInteger(seen) || seen < oldest - 1 || seen > this.#sequence
      ) {
        reset = true;
      } else {
        missed = this.#history.slice(this.#history.length - (this.#sequence - seen));
      }
    }
    this.#listeners.set(listener, onClose);
    return { missed, reset, close: () => this.#listeners.delete(listener) };
  }

  /** Live clients connected now. */
  get clients(): number {
    return this.#listeners.size;
  }

  /** Stops listening to the bus and ends every client's stream. */
  close(): void {
    clearInterval(this.#timer);
    this.#unsubscribe();
    const closers = [...this.#listeners.values()];
    this.#listeners.clear();
    for (const onClose of closers) onClose();
  }

  /** Sends the metrics and device readings gathered since the last summary, if any. */
  flushSummary(): void {
    this.#summarise();
  }

  #onEvent(event: FleetEvent): void {
    if (event.type === "device.readings") {
      for (const scored of event.readings) {
        const id = scored.reading.device_id;
        const kept = this.#deviceReadings.get(id) ?? [];
        kept.push(scored);
        // A sped-up simulation makes many readings a second; a page needs the recent ones.
        if (kept.length > DEVICE_READINGS_PER_SUMMARY) kept.shift();
        this.#deviceReadings.set(id, kept);
      }
      return;
    }
    if (event.type !== "metrics") {
      const { type, ...data } = event;
      this.#emit(type, data);
      return;
    }
    for (const metric of event.metrics) {
      this.#energy += metric.power_output_in_kwh;
      const previous = this.#pending.get(metric.turbine_number);
      if (!previous || previous.timestamp <= metric.timestamp) {
        this.#pending.set(metric.turbine_number, metric);
      }
    }
  }

  #summarise(): void {
    if (this.#deviceReadings.size > 0) {
      // Many devices share the event's budget: each keeps its newest readings.
      const perDevice = Math.max(
        1,
        Math.floor(DEVICE_READINGS_PER_EVENT / this.#deviceReadings.size),
      );
      const readings = [...this.#deviceReadings.values()].flatMap((kept) => kept.slice(-perDevice));
      this.#deviceReadings.clear();
      this.#emit("device.readings", { readings });
    }
    if (this.#pending.size === 0) return;
    const latest = [...this.#pending.values()].sort((a, b) => a.turbine_number - b.turbine_number);
    const summary: MetricsSummary = {
      timestamp: Math.max(...latest.map((m) => m.timestamp)),
      energy_kwh: Math.round(this.#energy * 1e6) / 1e6,
      turbines: latest.map((m) => ({
        id: m.turbine_number,
        wind_speed: m.wind_speed,
        power_kwh: m.power_output_in_kwh,
        status: m.operational_status,
      })),
    };
    this.#pending.clear();
    this.#energy = 0;
    this.#emit("metrics.summary", summary);
  }

  #emit(type: string, data: unknown): void {
    const event = { id: `${this.boot}-${++this.#sequence}`, type, data };
    this.#history.push(event);
    if (this.#history.length > this.#limit) this.#history.shift();
    for (const listener of [...this.#listeners.keys()]) listener(event);
  }
}
