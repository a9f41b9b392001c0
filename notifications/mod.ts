/**
 * Web Push alerts: which fleet events page someone, the VAPID identity and
 * the notifier that delivers them.
 *
 * @module
 */

export * from "./alert.ts";
export * from "./circuit_breaker.ts";
export * from "./notifier.ts";
export * from "./vapid.ts";
