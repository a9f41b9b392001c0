/**
 * The push notifier: listens to the fleet's event bus, turns the events
 * people are paged about into alerts (one per episode) and delivers each to
 * every subscription that wants it, concurrently, with retries, a circuit
 * breaker per endpoint and counted outcomes.
 *
 * @module
 */

import type https from "node:https";
import webpush from "web-push";
import type { EventBus } from "../fleet/event_bus.ts";
import type { PushStore, PushSubscriptionRecord, VapidKeys } from "../store/push_store.ts";
import { type Alert, alertFor } from "./alert.ts";
import { CircuitBreaker } from "./circuit_breaker.ts";

/** Options of a {@linkcode PushNotifier}. */
export interface PushNotifierOptions {
  store: PushStore;
  vapid: VapidKeys;
  /** The VAPID contact, `mailto:` or `https:` (see `validateVapidSubject`). */
  subject: string;
  /** TLS settings for push services (tests pass one that trusts their CA). */
  agent?: https.Agent;
  /** A request without an answer this long fails (and is abandoned), ms (default 10,000). */
  timeoutMs?: number;
  /** Attempts per alert and endpoint (default 4). */
  maxAttempts?: number;
  /** First retry delay, doubled each time, with jitter, ms (default 1,000). */
  baseDelayMs?: number;
  /** Longest wait before a retry, Retry-After included, ms (default 60,000). */
  maxDelayMs?: number;
  /** Consecutive failures that open an endpoint's circuit (default 5). */
  breakerThreshold?: number;
  /** How long an open circuit stays open before a probe, ms (default 60,000). */
  breakerCooldownMs?: number;
  /** How long an episode is remembered for deduplication, ms (default one hour). */
  dedupWindowMs?: number;
}

/** Delivery outcomes since start. */
export interface PushStats {
  /** Alerts the bus raised, duplicates not included. */
  alerts: number;
  /** Events dropped as repeats of an episode already alerted. */
  duplicates: number;
  /** Messages a push service accepted. */
  delivered: number;
  /** Attempts repeated after a 429, a 5xx or a network error. */
  retries: number;
  /** Subscriptions deleted: 404/410 from the push service, or expired. */
  gone: number;
  /** Messages given up on: attempts exhausted or a 4xx other than 404/410/429. */
  failed: number;
  /** Messages not sent because their endpoint's circuit was open. */
  circuit_open: number;
  /** Endpoints whose circuit is open now. */
  open_circuits: number;
}

const DEDUP_MEMORY = 10_000;

function retryAfterMs(headers: Record<string, string | string[] | undefined> | undefined) {
  const value = headers?.["retry-after"];
  if (typeof value !== "string") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
}

/**
 * @example
 * ```ts ignore
 * const notifier = new PushNotifier({ store, vapid, subject: "mailto:ops@example.org" });
 * const stop = notifier.start(fleet.bus);
 * // …
 * stop();
 * await notifier.stop();
 * ```
 */
export class PushNotifier {
  readonly #options: Required<Omit<PushNotifierOptions, "agent">> & { agent?: https.Agent };
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #episodes = new Map<string, number>();
  readonly #pending = new Set<Promise<void>>();
  readonly #stopping = new AbortController();
  #unsubscribe: (() => void) | null = null;
  #stats: Omit<PushStats, "open_circuits"> = {
    alerts: 0,
    duplicates: 0,
    delivered: 0,
    retries: 0,
    gone: 0,
    failed: 0,
    circuit_open: 0,
  };

  constructor(options: PushNotifierOptions) {
    this.#options = {
      timeoutMs: 10_000,
      maxAttempts: 4,
      baseDelayMs: 1_000,
      maxDelayMs: 60_000,
      breakerThreshold: 5,
      breakerCooldownMs: 60_000,
      dedupWindowMs: 3_600_000,
      ...options,
    };
  }

  /** Starts listening to `bus`; the returned function stops listening. */
  start(bus: EventBus): () => void {
    this.#unsubscribe = bus.subscribe((event) => {
      const alert = alertFor(event);
      if (alert) this.raise(alert);
    });
    return () => this.#unsubscribe?.();
  }

  /** Sends `alert` unless its episode was alerted within the dedup window; returns at once. */
  raise(alert: Alert): void {
    if (this.#stopping.signal.aborted) return;
    const now = Date.now();
    if ((this.#episodes.get(alert.episode) ?? 0) > now) {
      this.#stats.duplicates++;
      return;
    }
    this.#episodes.delete(alert.episode);
    this.#episodes.set(alert.episode, now + this.#options.dedupWindowMs);
    if (this.#episodes.size > DEDUP_MEMORY) {
      this.#episodes.delete(this.#episodes.keys().next().value!);
    }
    this.#stats.alerts++;
    const sending = this.#fanOut(alert).finally(() => this.#pending.delete(sending));
    this.#pending.add(sending);
  }

  stats(): PushStats {
    let open = 0;
    for (const breaker of this.#breakers.values()) if (breaker.state === "open") open++;
    return { ...this.#stats, open_circuits: open };
  }

  /** Resolves when every alert raised so far is delivered or given up on. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Stops listening, cancels pending retries and waits for requests in flight. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#stopping.abort();
    await this.idle();
  }

  async #fanOut(alert: Alert): Promise<void> {
    const subscriptions = (await this.#options.store.listSubscriptions()).filter((s) =>
      wants(s, alert)
    );
    const body = JSON.stringify(alert.payload);
    // One endpoint's retries never hold up another's delivery.
    await Promise.allSettled(subscriptions.map((s) => this.#deliver(s, alert, body)));
  }

  #breakerOf(endpoint: string): CircuitBreaker {
    let breaker = this.#breakers.get(endpoint);
    if (!breaker) {
      breaker = new CircuitBreaker({
        threshold: this.#options.breakerThreshold,
        cooldownMs: this.#options.breakerCooldownMs,
      });
      this.#breakers.set(endpoint, breaker);
    }
    return breaker;
  }

  async #deliver(subscription: PushSubscriptionRecord, alert: Alert, body: string): Promise<void> {
    const { store, maxAttempts } = this.#options;
    if (subscription.expirationTime !== null && subscription.expirationTime < Date.now()) {
      await store.deleteSubscription(subscription.endpoint);
      this.#stats.gone++;
      return;
    }
    const breaker = this.#breakerOf(subscription.endpoint);
    for (let attempt = 1;; attempt++) {
      if (!breaker.allows()) {
        this.#stats.circuit_open++;
        return;
      }
      let status: number | undefined;
      let retryAfter: number | null = null;
      try {
        await this.#send(subscription, alert, body);
        breaker.succeeded();
        this.#stats.delivered++;
        return;
      } catch (error) {
        const pushError = error as { statusCode?: number; headers?: Record<string, string> };
        status = pushError.statusCode;
        retryAfter = retryAfterMs(pushError.headers);
      }
      if (status === 404 || status === 410) {
        breaker.succeeded();
        await store.deleteSubscription(subscription.endpoint);
        this.#stats.gone++;
        return;
      }
      const transient = status === undefined || status === 429 || status >= 500;
      if (!transient) {
        // The push service refused the message itself (401, 403, 413…): retrying cannot help.
        this.#stats.failed++;
        return;
      }
      breaker.failed();
      if (attempt >= maxAttempts || this.#stopping.signal.aborted) {
        this.#stats.failed++;
        return;
      }
      this.#stats.retries++;
      await this.#sleep(retryAfter ?? this.#backoff(attempt));
    }
  }

  /**
   * One request. The deadline is kept here, not with web-push's `timeout`
   * (a socket idle timeout under which Deno's node:https was seen to send a
   * request twice); a request past it is abandoned, its late answer ignored.
   */
  #send(subscription: PushSubscriptionRecord, alert: Alert, body: string): Promise<unknown> {
    const request = webpush.sendNotification(subscription, body, {
      vapidDetails: { subject: this.#options.subject, ...this.#options.vapid },
      TTL: alert.ttl,
      urgency: alert.urgency,
      topic: alert.payload.topic,
      ...(this.#options.agent ? { agent: this.#options.agent } : {}),
    });
    const { promise: deadline, reject } = Promise.withResolvers<never>();
    const timer = setTimeout(
      () => reject(new Error(`No answer in ${this.#options.timeoutMs} ms`)),
      this.#options.timeoutMs,
    );
    request.catch(() => {});
    return Promise.race([request, deadline]).finally(() => clearTimeout(timer));
  }

  #backoff(attempt: number): number {
    const exponential = this.#options.baseDelayMs * 2 ** (attempt - 1);
    return Math.min(this.#options.maxDelayMs, exponential * (0.5 + Math.random() / 2));
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#stopping.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.min(ms, this.#options.maxDelayMs));
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }
}

/** Whether a subscription's filter lets `alert` through. */
export function wants(subscription: PushSubscriptionRecord, alert: Alert): boolean {
  const { kind, ids } = alert.payload;
  if (subscription.kinds && !subscription.kinds.includes(kind)) return false;
  if (subscription.turbines && ids.turbine_id !== undefined) {
    return subscription.turbines.includes(ids.turbine_id);
  }
  if (subscription.devices && ids.device_id !== undefined) {
    return subscription.devices.includes(ids.device_id);
  }
  return true;
}
