// The live dashboard: a snapshot from the REST API, then every change from
// Server-Sent Events (/api/events). Tiles are created once and updated in place,
// so the page stays responsive with a thousand turbines.
import { createDevicesPanel } from "./devices.js";

const Chart = globalThis.Chart;

const STATUS_TEXT = {
  ok: "✔ ok",
  broken: "✖ broken",
  in_repair: "⚙ in repair",
  stopped: "■ stopped",
  unknown: "? unknown",
};
const FLEET_WINDOW_MS = 3600_000;
const FLEET_MAX_POINTS = 3600;
const DETAIL_MAX_POINTS = 600;
const DEAD_LETTER_POLL_MS = 10_000;
const DETAIL_REFRESH_MS = 15_000;
const RETRY_CLOSED_MS = 5_000;

const fleet = {
  simulation: null,
  simNowMs: null,
  turbines: new Map(),
  repairs: new Map(),
  engineers: new Map(),
  stoppedActors: new Map(),
  deadLetters: null,
  selected: null,
};

const $ = (id) => document.getElementById(id);

async function getJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path} answered HTTP ${response.status}`);
  return response.json();
}

const TOKEN_KEY = "gridfleet.apiToken";

/** The bearer header for a server started with --api-token, once the operator gave it. */
function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function postJson(path, body, retried = false) {
  const response = await fetch(path, {
    method: "POST",
    headers: {
      ...authHeaders(),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401 && !retried) {
    // The server wants its API token: ask once, keep it for this tab, try again.
    const token = globalThis.prompt?.("This server needs its API token to make changes:");
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token.trim());
      return postJson(path, body, true);
    }
  }
  if (!response.ok) {
    throw new Error(
      answer.error?.message ?? answer.message ?? `${path} answered HTTP ${response.status}`,
    );
  }
  return answer;
}

function timeLabel(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

function formatSeconds(seconds) {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// --- State from REST and events ------------------------------------------------

function turbine(id) {
  let entry = fleet.turbines.get(id);
  if (!entry) {
    entry = { id, reported: "unknown", powerKw: null, wind: null, awaitingOk: false };
    fleet.turbines.set(id, entry);
  }
  return entry;
}

function repairFromApi(job) {
  return {
    id: job.id,
    turbine: job.turbine,
    status: job.status,
    engineer: job.engineer,
    reportedAt: Date.parse(job.reported_at),
    startedAt: job.started_at ? Date.parse(job.started_at) : null,
  };
}

function repairFromEvent(job) {
  return {
    id: job.id,
    turbine: job.turbine_id,
    status: job.status,
    engineer: job.engineer,
    reportedAt: job.reported_at,
    startedAt: job.started_at,
  };
}

function openRepairsByTurbine() {
  const byTurbine = new Map();
  for (const job of fleet.repairs.values()) byTurbine.set(job.turbine, job);
  return byTurbine;
}

function statusOf(entry, repairs) {
  if (fleet.stoppedActors.has(`turbine/${entry.id}`)) return "stopped";
  const job = repairs.get(entry.id);
  if (job) return job.status === "in_progress" ? "in_repair" : "broken";
  return entry.reported;
}

function applySnapshot({ simulation, turbines, waiting, inProgress, engineers, actors }) {
  fleet.simulation = simulation;
  fleet.simNowMs = simulation.now_ms;
  fleet.repairs.clear();
  for (const job of [...inProgress, ...waiting]) fleet.repairs.set(job.id, repairFromApi(job));
  fleet.stoppedActors.clear();
  for (const actor of actors.actors) {
    if (actor.status === "stopped") {
      fleet.stoppedActors.set(actor.address, actor.last_error ?? "stopped by supervision");
    }
  }
  for (const t of turbines) {
    const entry = turbine(t.turbine_id);
    entry.reported = t.status === "in_repair" || t.status === "stopped" ? "broken" : t.status;
    entry.awaitingOk = false;
    if (t.latest) {
      entry.powerKw = t.latest.power_output_in_kwh * 3600;
      entry.wind = t.latest.wind_speed;
    }
  }
  fleet.engineers.clear();
  for (const engineer of engineers) fleet.engineers.set(engineer.address, engineer);
}

const eventHandlers = {
  "metrics.summary"(summary) {
    fleet.simNowMs = summary.timestamp * 1000;
    let totalKw = 0;
    for (const t of summary.turbines) {
      const entry = turbine(t.id);
      entry.powerKw = t.power_kwh * 3600;
      entry.wind = t.wind_speed;
      totalKw += entry.powerKw;
      // Metrics from before a repair may still say broken; wait for the first ok.
      if (entry.awaitingOk && t.status === "broken") continue;
      entry.awaitingOk = false;
      entry.reported = t.status;
    }
    addFleetPoint(fleet.simNowMs, totalKw);
  },
  "turbine.broken"(event) {
    const entry = turbine(event.turbine_id);
    entry.awaitingOk = false;
    entry.reported = "broken";
    fleet.repairs.set(event.repair_id, {
      id: event.repair_id,
      turbine: event.turbine_id,
      status: "waiting",
      engineer: null,
      reportedAt: event.at,
      startedAt: null,
    });
  },
  "repair.waiting"(event) {
    fleet.repairs.set(event.repair.id, repairFromEvent(event.repair));
  },
  "repair.assigned"(event) {
    const job = repairFromEvent(event.repair);
    fleet.repairs.set(job.id, job);
    const engineer = fleet.engineers.get(job.engineer);
    if (engineer) Object.assign(engineer, { status: "travelling", turbine: job.turbine });
  },
  "turbine.repaired"(event) {
    fleet.repairs.delete(event.repair_id);
    const entry = turbine(event.turbine_id);
    entry.reported = "ok";
    entry.awaitingOk = true;
    const engineer = fleet.engineers.get(event.engineer);
    if (engineer) {
      engineer.status = "idle";
      engineer.turbine = null;
      engineer.repairs_done = (engineer.repairs_done ?? 0) + 1;
    }
  },
  "actor.stopped"(event) {
    fleet.stoppedActors.set(event.address, `${event.restarts} restarts; ${event.error}`);
  },
  "actor.restarted"(event) {
    fleet.stoppedActors.delete(event.address);
  },
  "simulation.paused"() {
    if (fleet.simulation) fleet.simulation.paused = true;
  },
  "simulation.resumed"() {
    if (fleet.simulation) fleet.simulation.paused = false;
  },
};

// --- Rendering -------------------------------------------------------------------

const tiles = new Map();

function createTiles(ids) {
  const template = $("turbine-tile");
  const fragment = document.createDocumentFragment();
  for (const id of ids) {
    const item = template.content.firstElementChild.cloneNode(true);
    const button = item.querySelector(".tile");
    button.dataset.id = String(id);
    item.querySelector(".tile-name").textContent = `Turbine ${id}`;
    tiles.set(id, {
      button,
      status: item.querySelector(".tile-status"),
      power: item.querySelector(".tile-power"),
      wind: item.querySelector(".tile-wind"),
      shown: {},
    });
    fragment.append(item);
  }
  $("turbine-grid").append(fragment);
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function renderTiles(repairs) {
  const counts = { ok: 0, broken: 0, in_repair: 0, stopped: 0, unknown: 0 };
  const missing = [...fleet.turbines.keys()].filter((id) => !tiles.has(id)).sort((a, b) => a - b);
  if (missing.length > 0) createTiles(missing);
  for (const entry of fleet.turbines.values()) {
    const status = statusOf(entry, repairs);
    counts[status] = (counts[status] ?? 0) + 1;
    const tile = tiles.get(entry.id);
    if (tile.shown.status !== status) {
      tile.shown.status = status;
      tile.button.dataset.status = status;
      tile.status.textContent = STATUS_TEXT[status] ?? status;
    }
    setText(tile.power, entry.powerKw === null ? "– kW" : `${entry.powerKw.toFixed(0)} kW`);
    setText(tile.wind, entry.wind === null ? "– m/s" : `${entry.wind.toFixed(1)} m/s`);
  }
  return counts;
}

function renderOverview(counts) {
  for (const status of ["ok", "broken", "in_repair"]) {
    setText($(`count-${status}`), String(counts[status]));
  }
  let totalKw = 0;
  for (const entry of fleet.turbines.values()) totalKw += entry.powerKw ?? 0;
  setText($("power-now"), totalKw.toLocaleString("en", { maximumFractionDigits: 0 }));
  const engineers = [...fleet.engineers.values()];
  const idle = engineers.filter((e) => e.status === "idle").length;
  setText($("engineers-busy"), String(engineers.length - idle));
  setText($("engineers-idle"), String(idle));
  setText($("open-repairs"), String(fleet.repairs.size));
}

function renderSimulation() {
  const simulation = fleet.simulation;
  if (!simulation) return;
  const now = fleet.simNowMs ? new Date(fleet.simNowMs).toISOString().slice(0, 19) : "–";
  setText(
    $("simulation"),
    `${now.replace("T", " ")} UTC · ${
      simulation.paused ? "paused" : `running at ${simulation.time_scale}×`
    } · ${simulation.turbines} turbines · ${simulation.engineers} engineers`,
  );
  const toggle = $("pause-toggle");
  toggle.disabled = false;
  setText(toggle, simulation.paused ? "Resume" : "Pause");
}

function waitingSeconds(job) {
  return Math.max(0, ((job.startedAt ?? fleet.simNowMs ?? job.reportedAt) - job.reportedAt) / 1000);
}

function renderRepairs() {
  const jobs = [...fleet.repairs.values()].sort((a, b) => a.reportedAt - b.reportedAt);
  const rows = jobs.slice(0, 200).map((job) => {
    const row = document.createElement("tr");
    for (
      const text of [
        `#${job.turbine}`,
        job.status === "in_progress" ? "⚙ in progress" : "◔ waiting",
        job.engineer ?? "–",
        formatSeconds(waitingSeconds(job)),
      ]
    ) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  $("repair-queue").replaceChildren(...rows);
  $("repairs-empty").hidden = jobs.length > 0;
  if (jobs.length > 200) $("repairs-empty").textContent = `${jobs.length - 200} more not shown.`;
}

function renderEngineers() {
  const items = [...fleet.engineers.values()].map((engineer) => {
    const item = document.createElement("li");
    item.dataset.status = engineer.status;
    const job = engineer.turbine ? ` → turbine ${engineer.turbine}` : "";
    const done = engineer.repairs_done ?? 0;
    item.textContent = `${engineer.address}: ${engineer.status}${job} · ${done} repairs done`;
    return item;
  });
  $("engineer-list").replaceChildren(...items);
}

function renderAlarms() {
  const items = devices.alarms().map((alarm) => {
    const item = document.createElement("li");
    item.dataset.device = alarm.id;
    item.dataset.status = alarm.status;
    const link = document.createElement("a");
    link.href = `#device-${alarm.id}`;
    link.textContent = alarm.text;
    item.append(link);
    return item;
  });
  for (const [address, reason] of fleet.stoppedActors) {
    const item = document.createElement("li");
    item.textContent = `⚠ ${address} stopped: ${reason}`;
    items.push(item);
  }
  // Rebuilt only when it changed, so a focused alarm link keeps its focus.
  const shown = items.map((item) => item.textContent).join("\n");
  if ($("alarm-list").dataset.shown !== shown) {
    $("alarm-list").dataset.shown = shown;
    $("alarm-list").replaceChildren(...items);
  }
  $("alarms-empty").hidden = items.length > 0;
  setText($("dead-letters"), fleet.deadLetters === null ? "–" : String(fleet.deadLetters));
}

function renderDetailSummary(repairs) {
  if (fleet.selected === null) return;
  const entry = fleet.turbines.get(fleet.selected);
  if (!entry) return;
  const status = statusOf(entry, repairs);
  setText(
    $("detail-summary"),
    `${STATUS_TEXT[status] ?? status} · ${entry.powerKw?.toFixed(0) ?? "–"} kW · wind ${
      entry.wind?.toFixed(1) ?? "–"
    } m/s`,
  );
}

let renderQueued = false;

function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    const repairs = openRepairsByTurbine();
    renderOverview(renderTiles(repairs));
    renderSimulation();
    renderRepairs();
    renderEngineers();
    renderAlarms();
    renderDetailSummary(repairs);
    fleetChart?.update("none");
  });
}

// --- Charts ----------------------------------------------------------------------

function lineChart(canvas, label, color) {
  return new Chart(canvas, {
    type: "line",
    data: {
      datasets: [{
        label,
        data: [],
        borderColor: color,
        backgroundColor: `${color}33`,
        fill: true,
        borderWidth: 1.5,
        pointRadius: 0,
        tension: 0.2,
      }],
    },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      maintainAspectRatio: false,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      plugins: { legend: { display: false } },
      scales: {
        x: { type: "linear", bounds: "data", ticks: { callback: timeLabel, maxTicksLimit: 5 } },
        y: { beginAtZero: true },
      },
    },
  });
}

const fleetChart = Chart ? lineChart($("fleet-chart"), "Fleet power (kW)", "#1f7a4d") : null;
const powerChart = Chart ? lineChart($("detail-power"), "Power (kW)", "#1f7a4d") : null;
const windChart = Chart ? lineChart($("detail-wind"), "Wind (m/s)", "#2a62b8") : null;

function addFleetPoint(ms, kw) {
  if (!fleetChart) return;
  const points = fleetChart.data.datasets[0].data;
  const last = points.at(-1);
  if (last && last.x >= ms) {
    last.y = kw;
    return;
  }
  points.push({ x: ms, y: Math.round(kw * 10) / 10 });
  let drop = 0;
  while (drop < points.length && points[drop].x < ms - FLEET_WINDOW_MS) drop++;
  drop = Math.max(drop, points.length - FLEET_MAX_POINTS);
  if (drop > 0) points.splice(0, drop);
}

/** Averages `points` into at most `max` buckets, so charts stay cheap. */
function downsample(points, max) {
  if (points.length <= max) return points;
  const size = Math.ceil(points.length / max);
  const out = [];
  for (let i = 0; i < points.length; i += size) {
    const bucket = points.slice(i, i + size);
    out.push({
      x: bucket[0].x,
      y: bucket.reduce((sum, p) => sum + p.y, 0) / bucket.length,
    });
  }
  return out;
}

// A day is 86,400 metrics: read a sample of slices across the range instead.
function metricRequests(id, rangeSeconds, nowSeconds) {
  const start = Math.floor(nowSeconds - rangeSeconds);
  if (rangeSeconds <= 3600) return [`/api/turbines/${id}/metrics?since=${start}&limit=3600`];
  const slices = 48;
  const step = Math.floor(rangeSeconds / slices);
  return Array.from(
    { length: slices },
    (_, i) =>
      `/api/turbines/${id}/metrics?since=${start + i * step}&until=${
        start + (i + 1) * step
      }&limit=60`,
  );
}

let detailRequest = 0;

async function loadDetail() {
  const id = fleet.selected;
  if (id === null) return;
  const request = ++detailRequest;
  const range = Number($("detail-range").value);
  const nowSeconds = (fleet.simNowMs ?? Date.now()) / 1000;
  const [pages, history] = await Promise.all([
    Promise.all(metricRequests(id, range, nowSeconds).map(getJson)),
    getJson(`/api/repairs?turbine=${id}`),
  ]);
  if (request !== detailRequest) return;
  const metrics = pages.flatMap((page) => page.metrics);
  const power = metrics.map((m) => ({ x: m.timestamp * 1000, y: m.power_output_in_kwh * 3600 }));
  const wind = metrics.map((m) => ({ x: m.timestamp * 1000, y: m.wind_speed }));
  if (powerChart && windChart) {
    powerChart.data.datasets[0].data = downsample(power, DETAIL_MAX_POINTS);
    windChart.data.datasets[0].data = downsample(wind, DETAIL_MAX_POINTS);
    powerChart.update("none");
    windChart.update("none");
  }
  const items = history.slice(-50).reverse().map((job) => {
    const item = document.createElement("li");
    const finished = job.finished_at ? `, done ${job.finished_at.slice(0, 19)}` : "";
    item.textContent = `${job.reported_at.slice(0, 19)} reported · ${
      job.status.replace("_", " ")
    } · waited ${formatSeconds(job.waiting_seconds)}${
      job.engineer ? ` · ${job.engineer}` : ""
    }${finished}`;
    return item;
  });
  if (items.length === 0) {
    const item = document.createElement("li");
    item.textContent = "No repairs yet.";
    items.push(item);
  }
  $("detail-repairs").replaceChildren(...items);
}

function select(id) {
  if (fleet.selected !== null) {
    tiles.get(fleet.selected)?.button.setAttribute("aria-pressed", "false");
  }
  fleet.selected = id;
  const detail = $("detail");
  const force = $("force-failure");
  if (id === null) {
    detail.hidden = true;
    force.disabled = true;
    setText(force, "Force breakdown of selected turbine");
    return;
  }
  tiles.get(id)?.button.setAttribute("aria-pressed", "true");
  detail.hidden = false;
  force.disabled = false;
  setText(force, `Force breakdown of turbine ${id}`);
  setText($("detail-title"), `Turbine ${id}`);
  render();
  loadDetail().catch(showError);
}

function showError(error) {
  console.warn(error);
  $("controls-status").textContent = error.message;
}

const devices = createDevicesPanel({ getJson, postJson, onChange: render });
Object.assign(eventHandlers, devices.eventHandlers);

// --- Live events -----------------------------------------------------------------

let loading = false;
let buffered = [];
let source = null;
const live = { lastEventId: null, opened: 0, reloads: 0 };

function handle(type, data) {
  if (loading) {
    buffered.push([type, data]);
    return;
  }
  eventHandlers[type]?.(data);
  render();
}

// Events that arrive while the snapshot loads are applied after it, so none is lost.
async function reload() {
  live.reloads++;
  loading = true;
  buffered = [];
  try {
    const [simulation, turbines, waiting, inProgress, engineers, actors] = await Promise.all([
      getJson("/api/simulation"),
      getJson("/api/turbines"),
      getJson("/api/repairs?status=waiting"),
      getJson("/api/repairs?status=in_progress"),
      getJson("/api/engineers"),
      getJson("/api/actors"),
      devices.reload(),
    ]);
    applySnapshot({ simulation, turbines, waiting, inProgress, engineers, actors });
  } finally {
    loading = false;
    for (const [type, data] of buffered) eventHandlers[type]?.(data);
    buffered = [];
  }
  render();
}

function setConnection(state, text) {
  const element = $("connection");
  element.dataset.state = state;
  setText(element, text);
}

function connect() {
  source = new EventSource("/api/events");
  let opens = 0;
  source.addEventListener("open", () => {
    live.opened++;
    setConnection("live", "● Live");
    // Dropped before any event: the browser had no id to resume from, so ask the API.
    if (++opens > 1 && live.lastEventId === null) reload().catch(showError);
  });
  source.addEventListener("error", () => {
    if (source.readyState !== EventSource.CLOSED) {
      setConnection("connecting", "◌ Reconnecting…");
      return;
    }
    // The browser gives up on an answer that is not an event stream; try again later.
    setConnection("down", "○ Disconnected, retrying in 5 s");
    setTimeout(() => globalThis.gridfleet.reconnect().catch(showError), RETRY_CLOSED_MS);
  });
  source.addEventListener("reset", () => {
    reload().catch(showError);
  });
  for (const type of Object.keys(eventHandlers)) {
    source.addEventListener(type, (message) => {
      live.lastEventId = message.lastEventId;
      handle(type, JSON.parse(message.data));
    });
  }
}

async function pollDeadLetters() {
  const { count } = await getJson("/api/dead-letters");
  fleet.deadLetters = count;
  render();
}

// --- Controls --------------------------------------------------------------------

$("turbine-grid").addEventListener("click", (event) => {
  const tile = event.target.closest(".tile");
  if (!tile) return;
  const id = Number(tile.dataset.id);
  select(fleet.selected === id ? null : id);
});

$("detail-close").addEventListener("click", () => {
  const id = fleet.selected;
  select(null);
  if (id !== null) tiles.get(id)?.button.focus();
});

$("detail-range").addEventListener("change", () => loadDetail().catch(showError));

$("pause-toggle").addEventListener("click", () => {
  const action = fleet.simulation?.paused ? "resume" : "pause";
  postJson(`/api/simulation/${action}`).then((simulation) => {
    fleet.simulation = simulation;
    render();
  }).catch(showError);
});

$("force-failure").addEventListener("click", () => {
  const id = fleet.selected;
  if (id === null) return;
  postJson(`/api/turbines/${id}/fail`).then(() => {
    $("controls-status").textContent = `Turbine ${id} will break down at its next second.`;
  }).catch(showError);
});

// Hooks for tests and the console: drop the stream and open a fresh one. A new
// EventSource cannot send Last-Event-ID, so it reloads the state from the API.
globalThis.gridfleet = {
  live,
  fleet,
  devices: devices.entries,
  disconnect() {
    source?.close();
    setConnection("down", "○ Disconnected");
  },
  reconnect() {
    source?.close();
    live.lastEventId = null;
    connect();
    return reload();
  },
};

connect();
reload().catch(showError);
pollDeadLetters().catch(showError);
setInterval(() => pollDeadLetters().catch(showError), DEAD_LETTER_POLL_MS);
setInterval(() => {
  if (fleet.selected !== null && !document.hidden) loadDetail().catch(showError);
}, DETAIL_REFRESH_MS);

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
  try {
    await postJson("/api/push/subscriptions", subscription.toJSON());
    status.textContent = "Alerts are on for this browser.";
  } catch (error) {
    status.textContent = `The server refused the subscription: ${error.message}`;
  }
}

document.getElementById("enable-alerts").addEventListener("click", () => {
  enableAlerts().catch((error) => {
    document.getElementById("alerts-status").textContent =
      `Alerts could not be enabled: ${error.message}`;
  });
});
