// The Devices panel: one card per monitored device (PC or Raspberry Pi) with
// sensor sparklines, the stress forecast, its open alert and, for a simulated
// device, a workload control. Cards are made once and updated in place; a card's
// charts and history are only made once it scrolls into view, so a thousand
// external devices cost little until someone looks at them.
const Chart = globalThis.Chart;

/** Readings kept per device, and points per sparkline. */
const MAX_READINGS = 120;
const SYNC_MS = 15_000;

const STATUS_ICON = { ok: "✔", at_risk: "⚠", stressed: "✖" };
const STATUS_WORD = { ok: "ok", at_risk: "at risk", stressed: "stressed" };
const PROFILE_NAME = { pc: "PC", raspberry: "Raspberry Pi" };

/** The sparklines of a card: what each plots, in what unit, from which field. */
const SERIES = [
  {
    key: "temperature",
    label: "CPU temperature",
    unit: "°C",
    color: "#c2410c",
    value: (r) => r.cpu_temp_c,
    digits: 1,
    // Five ticks: with fewer, a range like 38-92 °C rounds out to 0-100 and flattens the line.
    scale: { ticks: { maxTicksLimit: 5 } },
  },
  {
    key: "load",
    label: "CPU load",
    unit: "%",
    color: "#2a62b8",
    value: (r) => r.cpu_load_percent,
    digits: 0,
    scale: { min: 0, max: 100 },
  },
  {
    key: "power",
    label: "Power",
    unit: "W",
    color: "#1f7a4d",
    value: (r) => r.profile === "pc" ? r.cpu_power_w : r.power_w,
    digits: 1,
    scale: { beginAtZero: true, suggestedMax: 5 },
  },
  {
    key: "fan",
    label: "Fan",
    unit: "CFM",
    color: "#6b4fa0",
    value: (r) => r.fan_cfm,
    digits: 0,
    scale: { beginAtZero: true, suggestedMax: 10 },
  },
  {
    key: "clock",
    label: "CPU clock",
    unit: "MHz",
    color: "#8a5300",
    value: (r) => r.profile === "pc" ? r.cpu_clock_mhz : r.arm_freq_hz / 1e6,
    digits: 0,
    scale: { beginAtZero: true, suggestedMax: 1000 },
  },
];

// A Pi's throttled word: bit 2 throttled now, bit 3 at its soft temperature limit now.
const PI_THROTTLING_NOW = (1 << 2) | (1 << 3);

function clockTime(epochSeconds) {
  return `${new Date(epochSeconds * 1000).toISOString().slice(11, 19)} UTC`;
}

/** A probability as the page says it: never "100 %", a forecast is not a certainty. */
function percent(probability) {
  return `${Math.min(99, Math.round(probability * 100))} %`;
}

function formatValue(value, digits) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "–";
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function setAttribute(element, name, value) {
  if (element.getAttribute(name) !== value) element.setAttribute(name, value);
}

function statusSentence(entry) {
  if (entry.status === "stressed") {
    const since = entry.stressedSince === null ? "" : ` since ${clockTime(entry.stressedSince)}`;
    return `The device is stressed${since}`;
  }
  if (entry.status === "at_risk") {
    const chance = `${percent(entry.probability ?? 0)} chance of being stressed ` +
      `within ${entry.horizonMinutes ?? "–"} minutes`;
    // The alert's hysteresis keeps a device at risk while it cools down.
    return (entry.probability ?? 0) >= (entry.threshold ?? 0)
      ? `The device is at risk: ${chance}`
      : `The device is at risk until it has been back to normal for a minute (now ${chance})`;
  }
  return entry.latest ? "The device is OK" : "No reading yet";
}

function sparkline(canvas, series) {
  return new Chart(canvas, {
    type: "line",
    data: {
      datasets: [{
        label: series.label,
        data: [],
        borderColor: series.color,
        backgroundColor: `${series.color}26`,
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
      events: [],
      plugins: { legend: { display: false }, tooltip: { enabled: false } },
      scales: {
        x: { type: "linear", display: false, bounds: "data" },
        y: {
          ...series.scale,
          ticks: { maxTicksLimit: 3, font: { size: 10 }, ...series.scale.ticks },
        },
      },
    },
  });
}

function limitDataset(limit) {
  return {
    label: `Limit ${limit} °C`,
    data: [],
    borderColor: "#b00020",
    borderDash: [4, 3],
    borderWidth: 1,
    pointRadius: 0,
    fill: false,
  };
}

/**
 * Creates the Devices panel inside `#devices`. `getJson(path)` and
 * `postJson(path, body)` talk to the API; `onChange()` is called when the
 * alarms the panel reports may have changed.
 */
export function createDevicesPanel({ getJson, postJson, onChange }) {
  const $ = (id) => document.getElementById(id);
  const list = $("devices-list");
  const template = $("devices-card-template");
  const entries = new Map();
  const fetchingDevices = new Set();
  const targetId = new URLSearchParams(location.search).get("device");
  let targetShown = false;
  let model = null;
  let renderQueued = false;
  const visibility = new IntersectionObserver((changes) => {
    for (const change of changes) {
      const entry = entries.get(change.target.dataset.id);
      if (!entry) continue;
      entry.visible = change.isIntersecting;
      if (entry.visible) {
        entry.dirty = true;
        if (!entry.historyRequested) loadHistory(entry);
      }
    }
    render();
  }, { rootMargin: "200px 0px" });

  // Assigned even when unchanged, so a second episode is announced like the first.
  function announce(text) {
    $("devices-announcer").textContent = text;
  }

  function entryFor(id, profile) {
    let entry = entries.get(id);
    if (entry) return entry;
    entry = {
      id,
      profile,
      source: "external",
      status: "ok",
      statusAt: -Infinity,
      probability: null,
      latest: null,
      stressedSince: null,
      alert: null,
      limit: null,
      horizonMinutes: null,
      threshold: null,
      workload: null,
      actor: null,
      readings: [],
      card: null,
      charts: null,
      visible: false,
      dirty: true,
      historyRequested: false,
      busy: false,
      note: "",
    };
    entries.set(id, entry);
    createCard(entry);
    return entry;
  }

  function createCard(entry) {
    const item = template.content.firstElementChild.cloneNode(true);
    const article = item.querySelector(".device");
    const id = entry.id;
    article.id = `device-${id}`;
    article.dataset.id = id;
    const name = item.querySelector(".device-name");
    name.id = `device-${id}.name`;
    name.textContent = id;
    article.setAttribute("aria-labelledby", name.id);
    const meter = item.querySelector(".device-meter");
    meter.id = `device-${id}.risk`;
    item.querySelector(".device-risk-label").htmlFor = meter.id;
    item.querySelector(".device-feedback").setAttribute(
      "aria-label",
      `Was the alert for ${id} right?`,
    );
    item.querySelector(".device-workload .buttons")
      .setAttribute("aria-label", `Workload of ${id}`);
    for (const canvas of item.querySelectorAll("canvas")) {
      const series = SERIES.find((s) => s.key === canvas.dataset.series);
      canvas.setAttribute("aria-label", `${series.label} of ${id}, last ${MAX_READINGS} readings`);
    }
    entry.card = {
      item,
      article,
      name,
      kind: item.querySelector(".device-kind"),
      icon: item.querySelector(".device-icon"),
      statusText: item.querySelector(".device-status-text"),
      riskLabel: item.querySelector(".device-risk-label"),
      meter,
      threshold: item.querySelector(".device-threshold"),
      probability: item.querySelector(".device-probability"),
      alert: item.querySelector(".device-alert"),
      alertText: item.querySelector(".device-alert-text"),
      feedbackButtons: [...item.querySelectorAll(".device-feedback button")],
      feedbackNote: item.querySelector(".device-feedback-note"),
      captions: new Map(
        [...item.querySelectorAll(".spark figcaption")].map((c) => [c.dataset.series, c]),
      ),
      canvases: new Map(
        [...item.querySelectorAll(".spark canvas")].map((c) => [c.dataset.series, c]),
      ),
      workload: item.querySelector(".device-workload"),
      workloadButtons: [...item.querySelectorAll(".device-workload button")],
      workloadNow: item.querySelector(".device-workload-now"),
      note: item.querySelector(".device-note"),
      shown: {},
    };
    const next = [...entries.keys()].filter((other) => other > id).sort()[0];
    const before = next === undefined ? null : entries.get(next).card?.item ?? null;
    list.insertBefore(item, before);
    visibility.observe(article);
  }

  function applyDevice(device) {
    const entry = entryFor(device.id, device.profile);
    entry.profile = device.profile;
    entry.source = device.source;
    entry.limit = device.temperature_limit_c;
    entry.horizonMinutes = device.horizon_minutes;
    entry.threshold = device.threshold;
    entry.workload = device.workload;
    entry.actor = device.actor;
    model = { version: device.model_version, horizon: device.horizon_minutes };
    const latestAt = device.latest?.timestamp ?? -Infinity;
    // Events may already have told of newer readings than this answer.
    if (latestAt >= entry.statusAt) {
      entry.status = device.status;
      entry.statusAt = latestAt;
      entry.probability = device.probability;
      entry.stressedSince = device.stressed_since;
      if (device.latest) {
        entry.latest = device.latest;
        addReadings(entry, [device.latest]);
      }
      if (device.open_alert === null) {
        if (answered(entry.alert) && entry.alert.at <= latestAt) entry.alert = null;
      } else if (entry.alert?.id !== device.open_alert) {
        loadAlert(entry, device.open_alert);
      }
    }
    entry.dirty = true;
    return entry;
  }

  // Readings come from the stream and from history requests, in either order.
  function addReadings(entry, readings) {
    let kept = entry.readings;
    let ordered = true;
    for (const reading of readings) {
      const last = kept.at(-1);
      if (last && reading.timestamp <= last.timestamp) ordered = false;
      kept.push(reading);
    }
    if (!ordered) {
      const byTimestamp = new Map(kept.map((reading) => [reading.timestamp, reading]));
      kept = [...byTimestamp.values()].sort((a, b) => a.timestamp - b.timestamp);
    }
    entry.readings = kept.length > MAX_READINGS ? kept.slice(-MAX_READINGS) : kept;
    entry.dirty = true;
  }

  function loadHistory(entry) {
    entry.historyRequested = true;
    getJson(`/api/devices/${entry.id}/readings?limit=${MAX_READINGS}`).then((answer) => {
      addReadings(entry, answer.readings);
      render();
    }).catch((error) => {
      entry.historyRequested = false;
      console.warn(error);
    });
  }

  /** Whether an alert is gone from the page's point of view: none, or the owner answered it. */
  function answered(alert) {
    return alert !== null && alert !== undefined && alert.feedback !== null &&
      alert.feedback !== undefined;
  }

  function loadAlert(entry, alertId) {
    getJson(`/api/devices/${entry.id}/alerts`).then((alerts) => {
      const alert = alerts.find((a) => a.id === alertId);
      if (alert && (entry.alert === null || entry.alert.at <= alert.at)) entry.alert = alert;
      entry.dirty = true;
      render();
    }).catch((error) => console.warn(error));
  }

  // A reading from a device this page has not seen: make its card, then ask who it is.
  function discover(id, profile) {
    const entry = entryFor(id, profile);
    if (entry.limit !== null || fetchingDevices.has(id)) return entry;
    fetchingDevices.add(id);
    getJson(`/api/devices/${encodeURIComponent(id)}`).then((device) => {
      applyDevice(device);
      render();
    }).catch((error) => console.warn(error)).finally(() => fetchingDevices.delete(id));
    return entry;
  }

  function setStatus(entry, status, at) {
    if (entry.status === status) return;
    const was = entry.status;
    entry.status = status;
    entry.statusAt = at;
    if (status === "stressed") announce(`${entry.id} is stressed.`);
    else if (status === "at_risk") announce(`${entry.id} is at risk of stress.`);
    else if (was !== "ok") announce(`${entry.id} is OK again.`);
  }

  const eventHandlers = {
    "device.readings"({ readings }) {
      const byDevice = new Map();
      for (const scored of readings) {
        const reading = {
          ...scored.reading,
          probability: scored.probability,
          status: scored.status,
          model: scored.model,
        };
        const group = byDevice.get(reading.device_id) ?? [];
        group.push(reading);
        byDevice.set(reading.device_id, group);
      }
      for (const [id, group] of byDevice) {
        const entry = entries.get(id) ?? discover(id, group[0].profile);
        addReadings(entry, group);
        for (const reading of group) {
          // An alert event can run ahead of its second's readings: they are still the latest.
          if (reading.timestamp > (entry.latest?.timestamp ?? -Infinity)) entry.latest = reading;
          if (reading.timestamp <= entry.statusAt) continue;
          setStatus(entry, reading.status, reading.timestamp);
          entry.statusAt = reading.timestamp;
          entry.probability = reading.probability;
          if (reading.status !== "stressed") entry.stressedSince = null;
          // The server closes an alert once a reading after it is back to ok; the page keeps
          // it until the owner has said whether it was right.
          if (
            answered(entry.alert) && reading.status === "ok" && reading.timestamp > entry.alert.at
          ) {
            entry.alert = null;
          }
        }
      }
      render();
    },
    "device.stress_predicted"({ alert }) {
      const entry = entries.get(alert.device_id) ?? discover(alert.device_id, alert.profile);
      entry.alert = { ...alert, feedback: null };
      if (alert.at >= entry.statusAt && entry.status === "ok") {
        entry.probability = alert.probability;
        setStatus(entry, "at_risk", alert.at);
      }
      entry.dirty = true;
      render();
    },
    "device.stressed"({ device_id: id, at }) {
      const entry = entries.get(id);
      if (!entry || at / 1000 < entry.statusAt) return;
      entry.stressedSince = at / 1000;
      setStatus(entry, "stressed", at / 1000);
      entry.dirty = true;
      render();
    },
    "device.recovered"({ device_id: id, at }) {
      const entry = entries.get(id);
      if (!entry || at / 1000 < entry.statusAt) return;
      entry.stressedSince = null;
      entry.dirty = true;
      render();
    },
  };

  // --- Rendering -----------------------------------------------------------------

  function render() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      for (const entry of entries.values()) {
        if (entry.dirty) renderCard(entry);
      }
      renderSummary();
      showTarget();
      onChange();
    });
  }

  function renderCard(entry) {
    const card = entry.card;
    const shown = card.shown;
    entry.dirty = false;
    if (shown.status !== entry.status) {
      shown.status = entry.status;
      card.article.dataset.status = entry.status;
      card.icon.textContent = STATUS_ICON[entry.status] ?? "?";
    }
    setText(card.statusText, statusSentence(entry));
    setText(
      card.kind,
      `${PROFILE_NAME[entry.profile] ?? entry.profile} · ${entry.source}` +
        (entry.actor && entry.actor !== "running" ? ` · actor ${entry.actor}` : ""),
    );
    setText(card.riskLabel, `Risk of stress within ${entry.horizonMinutes ?? "–"} min`);
    const value = entry.probability === null ? 0 : Math.round(entry.probability * 100);
    if (card.meter.value !== value) card.meter.value = value;
    if (entry.threshold !== null && shown.threshold !== entry.threshold) {
      shown.threshold = entry.threshold;
      card.meter.high = entry.threshold * 100;
      card.meter.low = entry.threshold * 50;
      card.threshold.style.left = `${entry.threshold * 100}%`;
      card.threshold.title = `Alert at ${percent(entry.threshold)}`;
    }
    setText(card.probability, entry.probability === null ? "–" : percent(entry.probability));
    renderAlert(entry);
    renderWorkload(entry);
    setText(card.note, entry.note || latestNote(entry));
    renderSparklines(entry);
  }

  function latestNote(entry) {
    if (!entry.latest) return "Waiting for its first reading.";
    const throttled = entry.profile === "raspberry" &&
        (entry.latest.throttled & PI_THROTTLING_NOW) !== 0
      ? " · firmware throttling now"
      : "";
    return `Last reading ${clockTime(entry.latest.timestamp)}${throttled}`;
  }

  function renderAlert(entry) {
    const card = entry.card;
    const alert = entry.alert;
    card.alert.hidden = alert === null;
    if (alert === null) return;
    setText(
      card.alertText,
      `⚠ Alert at ${clockTime(alert.at)}: ${percent(alert.probability)} chance of stress ` +
        `within ${alert.horizon_minutes} minutes (CPU ${formatValue(alert.cpu_temp_c, 1)} °C).`,
    );
    const answer = alert.feedback?.correct;
    for (const button of card.feedbackButtons) {
      const correct = button.dataset.correct === "true";
      setAttribute(button, "aria-pressed", String(answer === correct));
      button.disabled = entry.busy;
    }
    setText(
      card.feedbackNote,
      answer === undefined
        ? "Did the device get stressed? Your answer trains the model."
        : `Recorded: ${answer ? "right" : "false alarm"}. Thank you.`,
    );
  }

  function renderWorkload(entry) {
    const card = entry.card;
    card.workload.hidden = entry.source !== "simulated";
    if (card.workload.hidden) return;
    const mode = entry.workload?.mode ?? null;
    for (const button of card.workloadButtons) {
      setAttribute(button, "aria-pressed", String(button.dataset.mode === mode));
      button.disabled = entry.busy;
    }
    const regime = entry.workload?.regime;
    setText(card.workloadNow, mode === "auto" && regime ? `now ${regime}` : "");
  }

  function renderSparklines(entry) {
    const card = entry.card;
    const latest = entry.readings.at(-1) ?? null;
    for (const series of SERIES) {
      const value = latest ? formatValue(series.value(latest), series.digits) : "–";
      const limit = series.key === "temperature" && entry.limit !== null
        ? ` · limit ${entry.limit} °C`
        : "";
      setText(card.captions.get(series.key), `${series.label} ${value} ${series.unit}${limit}`);
    }
    if (!entry.visible || !Chart) return;
    if (!entry.charts) {
      entry.charts = new Map(
        SERIES.map((series) => [series.key, sparkline(card.canvases.get(series.key), series)]),
      );
    }
    const first = entry.readings[0];
    for (const series of SERIES) {
      const chart = entry.charts.get(series.key);
      chart.data.datasets[0].data = entry.readings.map((r) => ({
        x: r.timestamp * 1000,
        y: series.value(r),
      }));
      if (series.key === "temperature" && entry.limit !== null) {
        if (chart.data.datasets.length === 1) chart.data.datasets.push(limitDataset(entry.limit));
        chart.options.scales.y.suggestedMax = entry.limit + 2;
        chart.data.datasets[1].data = first
          ? [{ x: first.timestamp * 1000, y: entry.limit }, {
            x: latest.timestamp * 1000,
            y: entry.limit,
          }]
          : [];
      }
      chart.update("none");
    }
  }

  function renderSummary() {
    const counts = { ok: 0, at_risk: 0, stressed: 0 };
    for (const entry of entries.values()) counts[entry.status] = (counts[entry.status] ?? 0) + 1;
    const parts = Object.entries(counts).map(([status, count]) =>
      `${count} ${STATUS_ICON[status]} ${STATUS_WORD[status]}`
    );
    const about = model
      ? ` · model v${model.version} forecasts stress within ${model.horizon} minutes`
      : "";
    setText(
      $("devices-summary"),
      entries.size === 0
        ? "No devices yet: start the server with --devices, or post readings to /api/readings."
        : `${entries.size} devices: ${parts.join(", ")}${about}`,
    );
  }

  // A Web Push alert links to /?device=<id>: bring that card into view once it exists.
  function showTarget() {
    if (targetShown || !targetId) return;
    const entry = entries.get(targetId);
    if (!entry) return;
    targetShown = true;
    entry.card.article.classList.add("device-target");
    entry.card.article.scrollIntoView({ block: "center" });
    entry.card.name.focus({ preventScroll: true });
  }

  // --- Controls ------------------------------------------------------------------

  function act(entry, request, done) {
    entry.busy = true;
    entry.dirty = true;
    render();
    request.then((answer) => {
      entry.note = "";
      done(answer);
    }).catch((error) => {
      console.warn(error);
      entry.note = error.message;
      announce(`${entry.id}: ${error.message}`);
    }).finally(() => {
      entry.busy = false;
      entry.dirty = true;
      render();
    });
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const article = button?.closest(".device");
    const entry = article && entries.get(article.dataset.id);
    if (!entry || entry.busy) return;
    if (button.dataset.mode) {
      const mode = button.dataset.mode;
      act(entry, postJson(`/api/devices/${entry.id}/workload`, { mode }), () => {
        entry.workload = { mode, until: null, regime: mode === "auto" ? null : mode };
        announce(`${entry.id}: workload set to ${mode}.`);
      });
    } else if (button.dataset.correct && entry.alert) {
      const body = { alert_id: entry.alert.id, correct: button.dataset.correct === "true" };
      act(entry, postJson(`/api/devices/${entry.id}/feedback`, body), (alert) => {
        if (entry.alert?.id === alert.id) entry.alert = alert;
        announce(`${entry.id}: feedback recorded.`);
      });
    }
  });

  // --- Loading -------------------------------------------------------------------

  /** Replaces what the panel knows with the server's view; history is fetched again. */
  async function reload() {
    const devices = await getJson("/api/devices");
    for (const entry of entries.values()) {
      entry.readings = [];
      entry.statusAt = -Infinity;
      entry.alert = null;
      entry.historyRequested = false;
      if (entry.visible) loadHistory(entry);
    }
    for (const device of devices) applyDevice(device);
    render();
  }

  // Workloads, actor states and missed alerts are not in the event stream: look now and then.
  async function sync() {
    if (document.hidden) return;
    for (const device of await getJson("/api/devices")) applyDevice(device);
    render();
  }
  setInterval(() => sync().catch((error) => console.warn(error)), SYNC_MS);

  /** What the page's alarm list should show: devices at risk or stressed, most urgent first. */
  function alarms() {
    // A retired device (simulated in an earlier run, not now) keeps its last state as history.
    const urgent = [...entries.values()].filter((e) =>
      e.source !== "retired" && (e.status !== "ok" || e.alert !== null)
    );
    urgent.sort((a, b) => (b.status === "stressed") - (a.status === "stressed"));
    return urgent.map((entry) => ({
      id: entry.id,
      status: entry.status,
      text: entry.status === "stressed"
        ? `✖ Device ${entry.id} is stressed${
          entry.stressedSince === null ? "" : ` since ${clockTime(entry.stressedSince)}`
        }`
        : `⚠ Device ${entry.id}: ${percent(entry.alert?.probability ?? entry.probability ?? 0)}` +
          ` chance of stress within ${entry.horizonMinutes ?? "–"} minutes` +
          (entry.alert ? ` (alert at ${clockTime(entry.alert.at)})` : ""),
    }));
  }

  return { eventHandlers, reload, alarms, entries };
}
