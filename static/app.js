// The overview page: polls the API every two seconds.
const statusText = {
  ok: "✔ ok",
  broken: "✖ broken",
  in_repair: "⚙ in repair",
  unknown: "? unknown",
};

async function getJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

async function refresh() {
  const [simulation, turbines, repairs] = await Promise.all([
    getJson("/api/simulation"),
    getJson("/api/turbines"),
    getJson("/api/repairs?status=waiting"),
  ]);
  const inProgress = await getJson("/api/repairs?status=in_progress");
  document.getElementById("simulation").textContent =
    `${simulation.now} · ${simulation.paused ? "paused" : `running at ${simulation.time_scale}×`}` +
    ` · ${simulation.turbines} turbines · ${simulation.engineers} engineers`;
  const rows = turbines.map((t) => {
    const tr = document.createElement("tr");
    tr.append(
      cell(`#${t.turbine_id}`),
      cell(statusText[t.status] ?? t.status, `status-${t.status}`),
      cell(t.latest ? t.latest.wind_speed.toFixed(1) : "–"),
      cell(t.latest ? t.latest.power_output_in_kwh.toFixed(3) : "–"),
      cell(
        t.time_passed_in_seconds === null
          ? "–"
          : `${Math.round(t.time_passed_in_seconds / 60)} min`,
      ),
    );
    return tr;
  });
  document.getElementById("turbines").replaceChildren(...rows);
  const items = [...inProgress, ...repairs].map((r) => {
    const li = document.createElement("li");
    li.textContent = r.engineer
      ? `Turbine ${r.turbine}: ${r.engineer} on the job since ${r.started_at}`
      : `Turbine ${r.turbine}: waiting for an engineer for ${r.waiting_seconds} s`;
    return li;
  });
  document.getElementById("repairs").replaceChildren(...items);
}

refresh().catch(console.error);
setInterval(() => refresh().catch(console.error), 2000);

// "Enable alerts": Web Push through the service worker at /sw.js.
function base64UrlToBytes(text) {
  const padded = text.replaceAll("-", "+").replaceAll("_", "/").padEnd(
    Math.ceil(text.length / 4) * 4,
    "=",
  );
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function enableAlerts() {
  const status = document.getElementById("alerts-status");
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    status.textContent = "This browser cannot receive push alerts.";
    return;
  }
  const keyResponse = await fetch("/api/push/public-key");
  if (!keyResponse.ok) {
    status.textContent = "Alerts are off on this server (start it with VAPID_SUBJECT set).";
    return;
  }
  const { public_key: publicKey } = await keyResponse.json();
  const registration = await navigator.serviceWorker.register("/sw.js");
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: base64UrlToBytes(publicKey),
  });
  const saved = await fetch("/api/push/subscriptions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(subscription.toJSON()),
  });
  status.textContent = saved.ok
    ? "Alerts are on for this browser."
    : saved.status === 401
    ? "This server needs an API token to subscribe."
    : `The server refused the subscription (HTTP ${saved.status}).`;
}

document.getElementById("enable-alerts").addEventListener("click", () => {
  enableAlerts().catch((error) => {
    document.getElementById("alerts-status").textContent =
      `Alerts could not be enabled: ${error.message}`;
  });
});
