/**
 * The Web Push keys in Deno KV. Layout:
 * - `["push", "vapid"]` the server's VAPID key pair, made on first start
 * - `["push", "sub", hash]` a subscription; `hash` is the hex SHA-256 of its
 *   endpoint, so the same browser subscribing twice updates one record and
 *   keys stay short whatever the endpoint's length
 *
 * Delivery statistics are counters of this process and are not persisted.
 *
 * @module
 */

import type { AlertKind } from "../notifications/alert.ts";

/** A VAPID key pair, both halves base64url (public: 65-byte point, private: 32 bytes). */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** A browser's push subscription and which alerts it wants. */
export interface PushSubscriptionRecord {
  endpoint: string;
  /** Epoch ms after which the push service drops the subscription; null: never. */
  expirationTime: number | null;
  keys: { p256dh: string; auth: string };
  /** Alert kinds wanted; null: all. */
  kinds: AlertKind[] | null;
  /** Turbines whose alerts are wanted; null: all. Alerts about no turbine always pass. */
  turbines: number[] | null;
  /** Devices whose alerts are wanted (an owner's machines); null or absent: all. */
  devices?: string[] | null;
  /** Epoch ms (wall) of the subscription. */
  created_at: number;
}

/** The hex SHA-256 of an endpoint: its subscription's key. */
export async function endpointHash(endpoint: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(endpoint));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Subscriptions and the VAPID key pair.
 *
 * @example
 * ```ts
 * const kv = await Deno.openKv(":memory:");
 * const store = new PushStore(kv);
 * console.log(await store.listSubscriptions()); // []
 * kv.close();
 * ```
 */
export class PushStore {
  readonly kv: Deno.Kv;

  constructor(kv: Deno.Kv) {
    this.kv = kv;
  }

  /**
   * The stored key pair, or `make()`'s stored as the first; two processes
   * starting at once on one file end up with the same pair.
   */
  async vapidKeys(make: () => VapidKeys): Promise<VapidKeys> {
    const key = ["push", "vapid"];
    const existing = await this.kv.get<VapidKeys>(key);
    if (existing.value) return existing.value;
    const fresh = make();
    const result = await this.kv.atomic().check(existing).set(key, fresh).commit();
    if (result.ok) return fresh;
    return (await this.kv.get<VapidKeys>(key)).value!;
  }

  async putSubscription(subscription: PushSubscriptionRecord): Promise<void> {
    await this.kv.set(["push", "sub", await endpointHash(subscription.endpoint)], subscription);
  }

  async getSubscription(endpoint: string): Promise<PushSubscriptionRecord | null> {
    const key = ["push", "sub", await endpointHash(endpoint)];
    return (await this.kv.get<PushSubscriptionRecord>(key)).value;
  }

  /** Deletes a subscription; false if there was none. */
  async deleteSubscription(endpoint: string): Promise<boolean> {
    const key = ["push", "sub", await endpointHash(endpoint)];
    const existing = await this.kv.get(key);
    if (!existing.value) return false;
    await this.kv.delete(key);
    return true;
  }

  async listSubscriptions(): Promise<PushSubscriptionRecord[]> {
    const subscriptions: PushSubscriptionRecord[] = [];
    for await (
      const entry of this.kv.list<PushSubscriptionRecord>({ prefix: ["push", "sub"] })
    ) {
      subscriptions.push(entry.value);
    }
    return subscriptions;
  }
}
