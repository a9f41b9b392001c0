import assert from "node:assert/strict";
import webpush from "web-push";
import { loadVapidKeys, validateVapidSubject, VapidError } from "../notifications/vapid.ts";
import { PushStore } from "../store/push_store.ts";

Deno.test("VAPID keys made on first start persist across reopening the KV file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/push.kv`;
    const first = await Deno.openKv(path);
    const made = await loadVapidKeys(new PushStore(first));
    first.close();
    const second = await Deno.openKv(path);
    const reloaded = await loadVapidKeys(new PushStore(second));
    second.close();
    assert.deepEqual(reloaded, made);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VAPID keys given by the environment are used and not stored", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const given = webpush.generateVAPIDKeys();
    assert.deepEqual(await loadVapidKeys(new PushStore(kv), given), given);
    assert.equal((await kv.get(["push", "vapid"])).value, null);
  } finally {
    kv.close();
  }
});

Deno.test("VAPID keys given by the environment are validated", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new PushStore(kv);
    const a = webpush.generateVAPIDKeys();
    const b = webpush.generateVAPIDKeys();
    await assert.rejects(loadVapidKeys(store, { publicKey: a.publicKey }), /both/);
    await assert.rejects(
      loadVapidKeys(store, { publicKey: "short", privateKey: a.privateKey }),
      VapidError,
    );
    await assert.rejects(
      loadVapidKeys(store, { publicKey: a.publicKey, privateKey: "!!" }),
      /VAPID_PRIVATE_KEY/,
    );
    await assert.rejects(
      loadVapidKeys(store, { publicKey: a.publicKey, privateKey: b.privateKey }),
      /not the public half/,
    );
  } finally {
    kv.close();
  }
});

Deno.test("a VAPID subject must be a real mailto: address or https: URL", () => {
  validateVapidSubject("mailto:ops@example.org");
  validateVapidSubject("https://gridfleet.example.org/contact");
  for (const bad of ["ops@example.org", "mailto:ops", "http://example.org", "https://localhost"]) {
    assert.throws(() => validateVapidSubject(bad), VapidError, bad);
  }
});
