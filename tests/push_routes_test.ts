import assert from "node:assert/strict";
import webpush from "web-push";
import { OpenAPIHono } from "@hono/zod-openapi";
import { PushNotifier } from "../notifications/notifier.ts";
import { handleError } from "../routes/api_error.ts";
import { pushRouter } from "../routes/push.ts";
import { PushStore } from "../store/push_store.ts";

const P256DH =
  "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
const AUTH = "tBHItJI5svbpez7KI4CCXg";
const ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc:def";

async function app(): Promise<{ app: OpenAPIHono; store: PushStore; close(): void }> {
  const kv = await Deno.openKv(":memory:");
  const store = new PushStore(kv);
  const vapid = webpush.generateVAPIDKeys();
  const notifier = new PushNotifier({ store, vapid, subject: "mailto:ops@example.org" });
  const app = new OpenAPIHono();
  app.onError(handleError);
  app.route("/", pushRouter({ store, notifier, publicKey: vapid.publicKey }));
  return { app, store, close: () => kv.close() };
}

function post(app: OpenAPIHono, body: unknown): Promise<Response> | Response {
  return app.request("/api/push/subscriptions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function rejectedField(response: Response): Promise<string> {
  assert.equal(response.status, 400);
  const { error } = await response.json();
  return error.details[0].field;
}

Deno.test("POST /api/push/subscriptions stores a standard PushSubscription with its filter", async () => {
  const { app: a, store, close } = await app();
  try {
    const response = await post(a, {
      endpoint: ENDPOINT,
      expirationTime: null,
      keys: { p256dh: P256DH, auth: AUTH },
      kinds: ["turbine.broken"],
      turbines: [7, 7, 8],
    });
    assert.equal(response.status, 201);
    const stored = await store.getSubscription(ENDPOINT);
    assert.deepEqual(stored?.kinds, ["turbine.broken"]);
    assert.deepEqual(stored?.turbines, [7, 8]);
  } finally {
    close();
  }
});

Deno.test("a subscription whose endpoint is not https is a 400 naming endpoint", async () => {
  const { app: a, close } = await app();
  try {
    for (
      const endpoint of [
        "http://push.example.org/x",
        "not a url",
        `https://a.org/${"x".repeat(3000)}`,
      ]
    ) {
      const response = await post(a, { endpoint, keys: { p256dh: P256DH, auth: AUTH } });
      assert.equal(await rejectedField(response), "endpoint");
    }
  } finally {
    close();
  }
});

Deno.test("a p256dh that is not a 65-byte P-256 point is a 400 naming keys.p256dh", async () => {
  const { app: a, close } = await app();
  try {
    const notOnCurve = "BA" + "A".repeat(85);
    for (const p256dh of ["abc", AUTH, "not base64url!", notOnCurve]) {
      const response = await post(a, { endpoint: ENDPOINT, keys: { p256dh, auth: AUTH } });
      assert.equal(await rejectedField(response), "keys.p256dh", p256dh);
    }
  } finally {
    close();
  }
});

Deno.test("an auth secret that is not 16 bytes is a 400 naming keys.auth", async () => {
  const { app: a, close } = await app();
  try {
    for (const auth of ["abc", P256DH, ""]) {
      const response = await post(a, { endpoint: ENDPOINT, keys: { p256dh: P256DH, auth } });
      assert.equal(await rejectedField(response), "keys.auth");
    }
  } finally {
    close();
  }
});

Deno.test("DELETE /api/push/subscriptions removes the subscription by endpoint, then 404s", async () => {
  const { app: a, store, close } = await app();
  try {
    await post(a, { endpoint: ENDPOINT, keys: { p256dh: P256DH, auth: AUTH } });
    const remove = () =>
      a.request("/api/push/subscriptions", {
        method: "DELETE",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ endpoint: ENDPOINT }),
      });
    assert.equal((await remove()).status, 204);
    assert.equal(await store.getSubscription(ENDPOINT), null);
    assert.equal((await remove()).status, 404);
  } finally {
    close();
  }
});

Deno.test("GET /api/push/public-key and /api/push/stats answer, and 503 when push is off", async () => {
  const { app: a, close } = await app();
  try {
    const key = await (await a.request("/api/push/public-key")).json();
    assert.match(key.public_key, /^B[A-Za-z0-9_-]{86}$/);
    const stats = await (await a.request("/api/push/stats")).json();
    assert.equal(stats.subscriptions, 0);
    assert.equal(stats.delivered, 0);
    const off = new OpenAPIHono();
    off.onError(handleError);
    off.route("/", pushRouter(null));
    assert.equal((await off.request("/api/push/public-key")).status, 503);
  } finally {
    close();
  }
});
