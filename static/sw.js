// gridfleet's push service worker: shows fleet alerts and opens the dashboard on a click.
// The payload is the JSON of notifications/alert.ts (AlertPayload).

self.addEventListener("push", (event) => {
  let alert;
  try {
    alert = event.data ? event.data.json() : null;
  } catch {
    alert = null;
  }
  if (!alert) alert = { title: "gridfleet", body: event.data?.text() ?? "", url: "/" };
  event.waitUntil(
    self.registration.showNotification(alert.title, {
      body: alert.body,
      // Same tag as the push Topic: a newer alert about the same thing replaces the older one.
      tag: alert.topic,
      renotify: Boolean(alert.topic),
      requireInteraction: alert.kind === "turbine.broken" || alert.kind === "actor.stopped",
      timestamp: typeof alert.at === "number" ? alert.at : Date.now(),
      data: { url: alert.url ?? "/", kind: alert.kind, ids: alert.ids },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url ?? "/", self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).origin !== self.location.origin) continue;
      await client.focus();
      if ("navigate" in client && client.url !== target) await client.navigate(target);
      return;
    }
    await self.clients.openWindow(target);
  })());
});

self.addEventListener("pushsubscriptionchange", (event) => {
  // The browser rotated the subscription: register the new one so alerts keep coming.
  const subscription = event.newSubscription;
  if (!subscription) return;
  event.waitUntil(
    fetch("/api/push/subscriptions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(subscription.toJSON()),
    }),
  );
});
