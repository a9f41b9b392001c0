/**
 * Web Push: the VAPID public key a browser subscribes with, subscriptions
 * (with which alerts they want) and delivery statistics.
 *
 * @module
 */

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { createECDH } from "node:crypto";
import { DEVICE_ID_PATTERN } from "../actors/device_readings.ts";
import { ALERT_KINDS } from "../notifications/alert.ts";
import type { PushNotifier } from "../notifications/notifier.ts";
import { decodeBase64Url } from "../notifications/vapid.ts";
import type { PushStore } from "../store/push_store.ts";
import { ApiError, invalidRequest, rejectInvalid } from "./api_error.ts";
import { errorResponse } from "./schemas.ts";

/** Longest endpoint accepted; real ones (FCM, autopush, Apple, WNS) are under 600 characters. */
const MAX_ENDPOINT_CHARACTERS = 2048;

/** What the push routes need; null when push alerts are not configured. */
export interface PushRoutesContext {
  store: PushStore;
  notifier: PushNotifier;
  publicKey: string;
}

const Endpoint = z.string().max(MAX_ENDPOINT_CHARACTERS).refine((text) => {
  try {
    const url = new URL(text);
    return url.protocol === "https:" && !url.username && !url.password && !url.hash;
  } catch {
    return false;
  }
}, "must be an https: URL without credentials or fragment").openapi({
  example: "https://fcm.googleapis.com/fcm/send/dpH5lCsTSSM:APA91bH…",
});

function base64UrlBytes(bytes: number, what: string) {
  return z.string().max(200).refine((text) => {
    const decoded = decodeBase64Url(text);
    return decoded !== null && decoded.length === bytes && (bytes !== 65 || decoded[0] === 4);
  }, `must be base64url of ${what}`);
}

const SubscriptionSchema = z.object({
  endpoint: Endpoint,
  expirationTime: z.number().int().nonnegative().nullable().optional(),
  keys: z.object({
    p256dh: base64UrlBytes(65, "a 65-byte uncompressed P-256 point"),
    auth: base64UrlBytes(16, "16 bytes"),
  }),
  kinds: z.array(z.enum(ALERT_KINDS)).min(1).max(ALERT_KINDS.length).optional().openapi({
    description: "Alert kinds wanted (default: all)",
  }),
  turbines: z.array(z.number().int().min(1).max(1_000_000)).min(1).max(10_000).optional()
    .openapi({
      description: "Turbines whose alerts are wanted (default: all); alerts about no turbine " +
        "(an engineer stopped) always pass",
    }),
  devices: z.array(z.string().regex(DEVICE_ID_PATTERN, "must be a device id")).min(1).max(10_000)
    .optional().openapi({
      description: "Devices whose alerts are wanted, e.g. the owner's machines (default: all)",
    }),
}).openapi("PushSubscription");

const StoredSubscriptionSchema = SubscriptionSchema.extend({
  expirationTime: z.number().nullable(),
  kinds: z.array(z.enum(ALERT_KINDS)).nullable(),
  turbines: z.array(z.number()).nullable(),
  devices: z.array(z.string()).nullable(),
  created_at: z.number(),
}).openapi("StoredPushSubscription");

const UnsubscribeSchema = z.object({ endpoint: Endpoint });

const StatsSchema = z.object({
  subscriptions: z.number(),
  alerts: z.number(),
  duplicates: z.number(),
  delivered: z.number(),
  retries: z.number(),
  gone: z.number(),
  failed: z.number(),
  circuit_open: z.number(),
  open_circuits: z.number(),
}).openapi("PushStats");

/** Whether `p256dh` is a point on P-256 (a 65-byte string of the right shape may not be). */
function onCurve(p256dh: string): boolean {
  try {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    ecdh.computeSecret(decodeBase64Url(p256dh)!);
    return true;
  } catch {
    return false;
  }
}

/** The push routes; with `push` null they answer 503 (no VAPID subject configured). */
export function pushRouter(push: PushRoutesContext | null): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });

  function configured(): PushRoutesContext {
    if (push) return push;
    throw new ApiError(
      503,
      "push_disabled",
      "Push alerts are off: start gridfleet with VAPID_SUBJECT=mailto:you@your.domain",
    );
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/push/public-key",
      tags: ["push"],
      summary: "The VAPID public key to pass to PushManager.subscribe as applicationServerKey",
      responses: {
        200: {
          description: "The key, base64url",
          content: { "application/json": { schema: z.object({ public_key: z.string() }) } },
        },
        503: errorResponse("Push alerts are not configured"),
      },
    }),
    (c) => c.json({ public_key: configured().publicKey }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/push/subscriptions",
      tags: ["push"],
      summary: "Subscribe a browser (PushSubscription.toJSON(), plus an optional filter)",
      request: {
        body: { content: { "application/json": { schema: SubscriptionSchema } }, required: true },
      },
      responses: {
        201: {
          description: "Subscribed (again: a known endpoint's record is replaced)",
          content: { "application/json": { schema: StoredSubscriptionSchema } },
        },
        400: errorResponse("The body names the bad field"),
        503: errorResponse("Push alerts are not configured"),
      },
    }),
    async (c) => {
      const { store } = configured();
      const body = c.req.valid("json");
      if (!onCurve(body.keys.p256dh)) {
        throw invalidRequest([{
          field: "keys.p256dh",
          problem: "is not a point on the P-256 curve",
          value: body.keys.p256dh,
        }]);
      }
      const record = {
        endpoint: body.endpoint,
        expirationTime: body.expirationTime ?? null,
        keys: body.keys,
        kinds: body.kinds ? [...new Set(body.kinds)] : null,
        turbines: body.turbines ? [...new Set(body.turbines)] : null,
        devices: body.devices ? [...new Set(body.devices)] : null,
        created_at: Date.now(),
      };
      await store.putSubscription(record);
      return c.json(record, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/push/subscriptions",
      tags: ["push"],
      summary: "Unsubscribe a browser by its endpoint",
      request: {
        body: { content: { "application/json": { schema: UnsubscribeSchema } }, required: true },
      },
      responses: {
        204: { description: "Unsubscribed" },
        400: errorResponse("The endpoint is not a push endpoint"),
        404: errorResponse("No subscription has that endpoint"),
        503: errorResponse("Push alerts are not configured"),
      },
    }),
    async (c) => {
      const { endpoint } = c.req.valid("json");
      if (!(await configured().store.deleteSubscription(endpoint))) {
        throw new ApiError(404, "not_found", "No subscription has that endpoint", [
          { field: "endpoint", problem: "is not subscribed", value: endpoint },
        ]);
      }
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/push/stats",
      tags: ["push"],
      summary: "Alert delivery outcomes since start",
      responses: {
        200: {
          description: "Counters",
          content: { "application/json": { schema: StatsSchema } },
        },
        503: errorResponse("Push alerts are not configured"),
      },
    }),
    async (c) => {
      const { store, notifier } = configured();
      const subscriptions = (await store.listSubscriptions()).length;
      return c.json({ subscriptions, ...notifier.stats() }, 200);
    },
  );
  return app;
}
