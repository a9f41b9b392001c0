import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  browserTest,
  type BrowserTestBody,
  chartPoints,
  hasChromium,
  postJson,
  waitForChartPoints,
} from "./dashboard_harness.ts";

if (!hasChromium()) {
  console.warn("Skipping the Devices panel browser tests: /usr/bin/chromium is not installed.");
}

const SERVER_ARGS = ["--devices", "pc1,raspberry", "--time-scale", "60", "--turbines", "2"];
const SERIES = ["temperature", "load", "power", "fan", "clock"];
// The VM is slow and shared; these bound a hang, they do not measure speed.
const LONG = 60_000;

/** A browser test of the panel on its own server; `path` is where the page opens. */
function devicesTest(
  name: string,
  options: { path?: string; width?: number },
  body: BrowserTestBody,
): void {
  browserTest(name, SERVER_ARGS, body, options);
}

function card(page: Page, id: string, status?: string) {
  return page.locator(`#device-${id}${status ? `[data-status="${status}"]` : ""}`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  const dir = new URL("./artifacts/", import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  await page.screenshot({ path: `${dir}${name}.png`, fullPage: true });
}

devicesTest(
  "every device gets a card with its status in words and sparklines that fill from the stream",
  {},
  async (_server, page, problems, openedAt) => {
    await card(page, "raspberry").waitFor({ timeout: LONG });
    assert.equal(await page.locator("#devices-list .device").count(), 2);
    await page.locator("#devices").scrollIntoViewIfNeeded();
    await waitForChartPoints(page, "#device-pc1 canvas[data-series=temperature]", 1, LONG);
    const firstPointMs = Math.round(performance.now() - openedAt);
    for (const id of ["pc1", "raspberry"]) {
      for (const series of SERIES) {
        await waitForChartPoints(page, `#device-${id} canvas[data-series=${series}]`, 2, LONG);
      }
    }
    const filledMs = Math.round(performance.now() - openedAt);
    console.log(
      `First sparkline point ${firstPointMs} ms after opening; all ten filled by ${filledMs} ms`,
    );
    assert.equal(await card(page, "pc1").locator(".device-kind").textContent(), "PC · simulated");
    assert.equal(
      await card(page, "raspberry").locator(".device-kind").textContent(),
      "Raspberry Pi · simulated",
    );
    for (const id of ["pc1", "raspberry"]) {
      assert.match(
        await card(page, id).locator(".device-status-text").textContent() ?? "",
        /^The device is (OK|at risk: \d+ % chance of being stressed within \d+ minutes|stressed)/,
      );
      assert.match(
        await card(page, id).locator(".device-probability").textContent() ?? "",
        /^\d+ %$/,
      );
      assert.match(
        await card(page, id).locator("figcaption[data-series=temperature]").textContent() ?? "",
        /^CPU temperature \d+\.\d °C · limit \d+ °C$/,
      );
      assert.equal(await card(page, id).locator(".device-workload").isVisible(), true);
    }
    // The temperature sparkline draws its limit as a second line.
    const datasets = await page.evaluate(
      `Chart.getChart(document.querySelector("#device-pc1 canvas[data-series=temperature]"))
        .data.datasets.length`,
    );
    assert.equal(datasets, 2);
    await screenshot(page, "dashboard-devices");
    assert.deepEqual(problems, []);
  },
);

devicesTest(
  "heavy load from the card's control turns a PC at risk then stressed, and feedback is stored",
  {},
  async (server, page, problems) => {
    await card(page, "pc1").waitFor({ timeout: LONG });
    await card(page, "pc1").scrollIntoViewIfNeeded();
    // Every status the card shows, with when it showed (ms since the page opened).
    await page.evaluate(`(() => {
      const card = document.getElementById("device-pc1");
      const seen = (globalThis.pc1Statuses = []);
      const note = () => seen.push({ status: card.dataset.status, at: performance.now() });
      note();
      new MutationObserver(note).observe(card, { attributes: true, attributeFilter: ["data-status"] });
    })()`);
    const clickedAt = await page.evaluate("performance.now()") as number;
    await card(page, "pc1").locator('button[data-mode="heavy"]').click();
    await card(page, "pc1").locator('button[data-mode="heavy"][aria-pressed="true"]').waitFor();
    await card(page, "pc1", "stressed").waitFor({ timeout: LONG });
    const seen = await page.evaluate("globalThis.pc1Statuses") as { status: string; at: number }[];
    const statuses = seen.map((s) => s.status);
    const atRisk = statuses.indexOf("at_risk");
    const stressed = statuses.lastIndexOf("stressed");
    assert.ok(
      atRisk !== -1 && atRisk < stressed,
      `The card went ${statuses.join(" → ")}, not through at_risk to stressed`,
    );
    const seconds = (i: number) => ((seen[i].at - clickedAt) / 1000).toFixed(1);
    console.log(
      `After the click: at risk in ${seconds(atRisk)} s, stressed in ${seconds(stressed)} s`,
    );
    const alertBox = card(page, "pc1").locator(".device-alert");
    await alertBox.waitFor({ state: "visible", timeout: LONG });
    assert.match(
      await alertBox.locator(".device-alert-text").textContent() ?? "",
      /Alert at \d\d:\d\d:\d\d UTC/,
    );
    assert.match(
      await card(page, "pc1").locator(".device-status-text").textContent() ?? "",
      /^The device is stressed since \d\d:\d\d:\d\d UTC$/,
    );
    await page.locator('#alarm-list li[data-device="pc1"][data-status="stressed"]').waitFor();
    const device = await (await fetch(`${server.url}/api/devices/pc1`)).json();
    assert.ok(device.open_alert, "The server has no open alert for pc1");
    await screenshot(page, "dashboard-devices-alert");
    await alertBox.getByRole("button", { name: "False alarm" }).click();
    await alertBox.locator('button[data-correct="false"][aria-pressed="true"]').waitFor();
    assert.equal(
      await alertBox.locator('button[data-correct="true"]').getAttribute("aria-pressed"),
      "false",
    );
    const alerts = await (await fetch(`${server.url}/api/devices/pc1/alerts`)).json();
    const answered = alerts.find((alert: { id: string }) => alert.id === device.open_alert);
    assert.equal(answered?.feedback?.correct, false);
    assert.deepEqual(problems, []);
  },
);

devicesTest(
  "readings posted for a new external device add its card, without a workload control",
  {},
  async (server, page, problems) => {
    await card(page, "raspberry").waitFor({ timeout: LONG });
    const simulation = await (await fetch(`${server.url}/api/simulation`)).json();
    const start = Math.floor(simulation.now_ms / 1000);
    const readings = [0, 5, 10].map((offset, i) => ({
      device_id: "lab-pc",
      profile: "pc",
      timestamp: start + offset,
      cpu_clock_mhz: 3600,
      cpu_temp_c: 55 + i,
      cpu_load_percent: 40 + i * 10,
      cpu_power_w: 45,
      fan_cfm: 30,
    }));
    await postJson(`${server.url}/api/readings`, readings);
    await card(page, "lab-pc").waitFor({ timeout: LONG });
    await page.locator('#device-lab-pc .device-kind:text-is("PC · external")').waitFor({
      timeout: LONG,
    });
    assert.equal(await page.locator("#devices-list .device").count(), 3);
    // Cards stay in id order: lab-pc, pc1, raspberry.
    const ids = await page.evaluate(
      `[...document.querySelectorAll("#devices-list .device")].map((card) => card.dataset.id)`,
    );
    assert.deepEqual(ids, ["lab-pc", "pc1", "raspberry"]);
    await card(page, "lab-pc").scrollIntoViewIfNeeded();
    await waitForChartPoints(page, "#device-lab-pc canvas[data-series=load]", 3, LONG);
    assert.equal(await chartPoints(page, "#device-lab-pc canvas[data-series=load]"), 3);
    assert.equal(await card(page, "lab-pc").locator(".device-workload").isVisible(), false);
    assert.match(
      await card(page, "lab-pc").locator("figcaption[data-series=load]").textContent() ?? "",
      /^CPU load 60 %$/,
    );
    await page.locator('#devices-summary:text-matches("^3 devices")').waitFor();
    assert.deepEqual(problems, []);
  },
);

devicesTest(
  "?device= from a push alert brings that card into view and marks it, one column on a phone",
  { path: "/?device=raspberry", width: 480 },
  async (_server, page, problems) => {
    await page.locator("#device-raspberry.device-target").waitFor({ timeout: LONG });
    assert.equal(await page.evaluate("document.activeElement?.id"), "device-raspberry.name");
    assert.equal(await card(page, "raspberry").isVisible(), true);
    const box = await card(page, "raspberry").boundingBox();
    const scroll = await page.evaluate("scrollY") as number;
    assert.ok(
      box && box.y < 900 && box.y + box.height > 0,
      `The card is not in view: ${JSON.stringify(box)}`,
    );
    assert.ok(scroll > 0, "The page did not scroll to the card");
    const pc1 = await card(page, "pc1").boundingBox();
    assert.equal(pc1?.x, box.x, "Below 60rem the cards stack in one column");
    assert.deepEqual(problems, []);
  },
);
