/**
 * What a fleet event says to a person on call: the pure mapping from
 * `FleetEvent` to a push alert, with its delivery hints and the episode it
 * belongs to (so a storm of events sends one alert per episode).
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { FleetEvent } from "../fleet/event_bus.ts";

/** The alert kinds a subscription can choose from. */
export const ALERT_KINDS = [
  "turbine.broken",
  "turbine.repaired",
  "repair.waiting",
  "actor.stopped",
  "device.stress_predicted",
] as const;

/** One alert kind. */
export type AlertKind = typeof ALERT_KINDS[number];

/** The JSON a service worker receives (well under the 4 KB a push message may carry). */
export interface AlertPayload {
  kind: AlertKind;
  title: string;
  body: string;
  /** Where a click on the notification leads, relative to the dashboard. */
  url: string;
  /** Also the notification's tag, so a newer alert replaces an older one on screen. */
  topic: string;
  ids: {
    turbine_id?: number;
    repair_id?: string;
    address?: string;
    device_id?: string;
    alert_id?: string;
  };
  /** Epoch ms of simulated time. */
  at: number;
}

/** An alert and how to deliver it. */
export interface Alert {
  payload: AlertPayload;
  /** Same episode, same alert: the notifier sends the first and drops the rest. */
  episode: string;
  /** Seconds the push service keeps it for an offline browser. */
  ttl: number;
  urgency: "very-low" | "low" | "normal" | "high";
}

/**
 * Seconds a push service keeps an undelivered alert: a breakdown matters for
 * a day, the rest for hours (a day-old "repaired" or "waiting" is noise).
 */
export const TTL_SECONDS: Record<AlertKind, number> = {
  "turbine.broken": 24 * 3600,
  "actor.stopped": 24 * 3600,
  "repair.waiting": 3600,
  "turbine.repaired": 4 * 3600,
  // A forecast of stress within minutes is stale within the hour.
  "device.stress_predicted": 3600,
};

/**
 * A `Topic` header value: at most 32 characters of the URL-safe base64
 * alphabet (RFC 8030 §5.4). Long names become a hash of themselves.
 */
export function topicOf(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, "-");
  if (safe.length <= 32) return safe;
  return createHash("sha256").update(name).digest("base64url").slice(0, 32);
}

/**
 * The alert for an event, or null for events nobody is paged about.
 *
 * @example
 * ```ts
 * const alert = alertFor({ type: "turbine.broken", turbine_id: 7, at: 0, repair_id: "r1" });
 * console.log(alert?.payload.title); // "Turbine 7 broke down"
 * ```
 */
export function alertFor(event: FleetEvent): Alert | null {
  switch (event.type) {
    case "turbine.broken":
      return {
        episode: `broken:${event.repair_id}`,
        ttl: TTL_SECONDS["turbine.broken"],
        urgency: "high",
        payload: {
          kind: event.type,
          title: `Turbine ${event.turbine_id} broke down`,
          body: `Repair ${event.repair_id} is open; an engineer will be sent.`,
          url: `/?turbine=${event.turbine_id}`,
          topic: topicOf(`turbine-${event.turbine_id}-broken`),
          ids: { turbine_id: event.turbine_id, repair_id: event.repair_id },
          at: event.at,
        },
      };
    case "turbine.repaired":
      return {
        episode: `repaired:${event.repair_id}`,
        ttl: TTL_SECONDS["turbine.repaired"],
        urgency: "normal",
        payload: {
          kind: event.type,
          title: `Turbine ${event.turbine_id} is repaired`,
          body: `${event.engineer} finished repair ${event.repair_id}.`,
          url: `/?turbine=${event.turbine_id}`,
          topic: topicOf(`turbine-${event.turbine_id}-repaired`),
          ids: {
            turbine_id: event.turbine_id,
            repair_id: event.repair_id,
            address: event.engineer,
          },
          at: event.at,
        },
      };
    case "repair.waiting": {
      const { repair } = event;
      return {
        episode: `waiting:${repair.id}`,
        ttl: TTL_SECONDS["repair.waiting"],
        urgency: "normal",
        payload: {
          kind: event.type,
          title: `No engineer free for turbine ${repair.turbine_id}`,
          body: `Repair ${repair.id} waits; ${event.waiting} repair(s) are queued.`,
          url: `/?turbine=${repair.turbine_id}`,
          topic: topicOf(`turbine-${repair.turbine_id}-waiting`),
          ids: { turbine_id: repair.turbine_id, repair_id: repair.id },
          at: repair.reported_at,
        },
      };
    }
    case "actor.stopped": {
      const turbine = /^turbine\/(\d+)$/.exec(event.address)?.[1];
      return {
        // An actor stops once per run of crashes; the restart count tells runs apart.
        episode: `stopped:${event.address}:${event.restarts}`,
        ttl: TTL_SECONDS["actor.stopped"],
        urgency: "high",
        payload: {
          kind: event.type,
          title: `${event.address} was stopped`,
          body: `It crashed ${event.restarts} times: ${event.error}`.slice(0, 300),
          url: "/",
          topic: topicOf(`stopped-${event.address}`),
          ids: {
            address: event.address,
            ...(turbine ? { turbine_id: Number(turbine) } : {}),
          },
          at: Date.now(),
        },
      };
    }
    case "device.stress_predicted": {
      const { alert } = event;
      const percent = Math.round(alert.probability * 100);
      return {
        episode: `stress:${alert.id}`,
        ttl: TTL_SECONDS["device.stress_predicted"],
        urgency: "high",
        payload: {
          kind: event.type,
          title: `${alert.device_id} is about to be stressed`,
          body: `${percent} % chance of stress within ${alert.horizon_minutes} minutes ` +
            `(CPU at ${alert.cpu_temp_c} °C). Is this right? Tell us on the dashboard.`,
          url: `/?device=${encodeURIComponent(alert.device_id)}`,
          topic: topicOf(`device-${alert.device_id}-stress`),
          ids: { device_id: alert.device_id, alert_id: alert.id },
          at: alert.at * 1000,
        },
      };
    }
    default:
      return null;
  }
}
