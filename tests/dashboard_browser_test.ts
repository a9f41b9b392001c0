import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  browserTest,
  chartPoints,
  hasChromium,
  launchChromium,
  post,
  startDashboardServer,
  startFlakyProxy,
  waitForChartPoints,
} from "./dashboard_harness.ts";
import { writeDashboardScreenshot } from "./dashboard_screenshot.ts";

const ignore = !hasChromium();
if (ignore) {
  console.warn("Skipping the dashboard browser tests: /usr/bin/chromium is not installed.");
}

function tile(page: Page, id: number, status?: string) {
  const state = status ? `[data-status="${status}"]` : "[data-status]";
  return page.locator(`.tile[data-id="${id}"]${state}`);
}

async function waitForFleet(page: Page, turbines: number): Promise<void> {
  await page.locator(".tile[data-status]").nth(turbines - 1).waitFor({ timeout: 10_000 });
  for (let id = 1; id <= turbines; id++) await tile(page, id, "ok").waitFor({ timeout: 10_000 });
}

browserTest(
  "the dashboard loads everything locally with no console error, failed request or HTTP error",
  ["--turbines", "10", "--engineers", "2", "--time-scale", "60"],
  async (server, page, problems) => {
    const foreign: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith("data:")) {
        foreign.push(request.url());
      }
    });
    await waitForFleet(page, 10);
    await waitForChartPoints(page, "#fleet-chart", 2);
    await page.locator('#connection[data-state="live"]').waitFor();
    assert.deepEqual(problems, []);
    assert.deepEqual(foreign, []);
  },
);

browserTest(
  "within seconds the fleet chart has points and every tile shows its turbine's status",
  ["--turbines", "10", "--engineers", "2", "--time-scale", "60"],
  async (_server, page) => {
    await waitForChartPoints(page, "#fleet-chart", 1, 5_000);
    assert.ok(await chartPoints(page, "#fleet-chart") > 0);
    await waitForFleet(page, 10);
    assert.equal(await page.locator(".tile").count(), 10);
    assert.equal(await tile(page, 7).locator(".tile-status").textContent(), "✔ ok");
    assert.equal(await page.locator("#count-ok").textContent(), "10");
  },
);

browserTest(
  "a forced breakdown turns its tile broken within 2 s and ok again after the repair",
  [
    "--turbines",
    "4",
    "--engineers",
    "1",
    "--time-scale",
    "60",
    "--travel-seconds",
    "90-90",
    "--repair-seconds",
    "90-90",
  ],
  async (server, page, problems) => {
    await waitForFleet(page, 4);
    await post(`${server.url}/api/turbines/2/fail`);
    // The episode lasts 3 s of wall time (180 simulated seconds), long enough to see; the
    // engineer may already be on the job: broken or in repair, not ok.
    await page.locator('.tile[data-id="2"]:is([data-status="broken"], [data-status="in_repair"])')
      .waitFor({ timeout: 2_000 });
    await tile(page, 2, "ok").waitFor({ timeout: 15_000 });
    const history = await page.evaluate(() =>
      fetch("/api/repairs?turbine=2").then((r) => r.json())
    );
    assert.equal(history.length, 1);
    assert.equal(history[0].status, "done");
    assert.deepEqual(problems, []);
  },
);

browserTest(
  "clicking a tile opens its detail with charts and repair history, and Enter does too",
  ["--turbines", "3", "--engineers", "1", "--time-scale", "60"],
  async (_server, page) => {
    await waitForFleet(page, 3);
    await tile(page, 2).click();
    await page.locator('#detail:not([hidden]) #detail-title:text("Turbine 2")').waitFor();
    await waitForChartPoints(page, "#detail-power", 1);
    await page.locator("#detail-repairs li").first().waitFor();
    await page.locator("#detail-range").selectOption("86400");
    await waitForChartPoints(page, "#detail-wind", 1);
    await tile(page, 3).focus();
    await page.keyboard.press("Enter");
    await page.locator('#detail-title:text("Turbine 3")').waitFor();
    assert.equal(await page.locator("#force-failure").isEnabled(), true);
  },
);

Deno.test({
  name: "status changes while the connection is cut arrive after EventSource resumes from its id",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = await startDashboardServer([
      "--turbines",
      "6",
      "--engineers",
      "0",
      "--time-scale",
      "60",
    ]);
    const proxy = startFlakyProxy(server.url);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(proxy.url);
      await waitForFleet(page, 6);
      await page.locator('#connection[data-state="live"]').waitFor();
      // Resuming needs an id: wait for the first event that carries one.
      await page.waitForFunction("gridfleet.live.lastEventId !== null");
      const before = await page.evaluate("gridfleet.live.opened") as number;
      proxy.cut();
      await page.locator('#connection[data-state="connecting"]').waitFor({ timeout: 5_000 });
      for (const id of [3, 5]) await post(`${server.url}/api/turbines/${id}/fail`);
      // Both breakdowns happen on the server while the page cannot hear them.
      for (const id of [3, 5]) {
        await waitUntil(async () => {
          const response = await fetch(`${server.url}/api/turbines/${id}`);
          return (await response.json()).status === "broken";
        });
      }
      proxy.restore();
      await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 });
      await tile(page, 3, "broken").waitFor({ timeout: 10_000 });
      await tile(page, 5, "broken").waitFor({ timeout: 10_000 });
      // Repair jobs travel only as events, never in the metric summaries.
      await page.locator('#open-repairs:text-is("2")').waitFor({ timeout: 5_000 });
      assert.ok(await page.evaluate("gridfleet.live.opened") as number > before);
      // Resumed from Last-Event-ID: no reset, so no reload from the REST API.
      assert.equal(await page.evaluate("gridfleet.live.reloads"), 1);
    } finally {
      await browser.close();
      proxy.close();
      await server.close();
    }
  },
});

browserTest(
  "the reconnect hook reloads the state, so breakdowns while disconnected show",
  ["--turbines", "4", "--engineers", "0", "--time-scale", "60"],
  async (server, page) => {
    await waitForFleet(page, 4);
    await page.evaluate("gridfleet.disconnect()");
    await post(`${server.url}/api/turbines/4/fail`);
    await waitUntil(async () => {
      const response = await fetch(`${server.url}/api/turbines/4`);
      return (await response.json()).status === "broken";
    });
    await page.evaluate("gridfleet.reconnect()");
    await tile(page, 4, "broken").waitFor({ timeout: 5_000 });
    await page.locator('#open-repairs:text-is("1")').waitFor({ timeout: 5_000 });
  },
);

browserTest(
  "with 1,000 turbines the tiles are made once, updated in place and the page stays responsive",
  ["--turbines", "1000", "--engineers", "5", "--placement", "pool", "--pool-size", "4"],
  async (_server, page, problems) => {
    await page.locator(".tile[data-status]").nth(999).waitFor({ timeout: 30_000 });
    await waitForChartPoints(page, "#fleet-chart", 1, 10_000);
    await page.evaluate(`document.querySelector('.tile[data-id="500"]').dataset.marker = "same"`);
    const points = await chartPoints(page, "#fleet-chart");
    await waitForChartPoints(page, "#fleet-chart", points + 2, 10_000);
    assert.equal(await page.locator(".tile").count(), 1000);
    assert.equal(await page.locator('.tile[data-marker="same"]').count(), 1);
    // A frame is drawn soon after it is asked for: no long task blocks the page.
    const frameMs = await page.evaluate(`new Promise((resolve) => {
      const start = performance.now();
      requestAnimationFrame(() => resolve(performance.now() - start));
    })`) as number;
    assert.ok(frameMs < 500, `A frame took ${frameMs} ms`);
    assert.deepEqual(problems, []);
  },
);

Deno.test({
  name: "a screenshot of the dashboard is written to tests/artifacts/dashboard.png",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const path = new URL("./artifacts/dashboard.png", import.meta.url).pathname;
    await Deno.remove(path).catch(() => {});
    await writeDashboardScreenshot(path);
    assert.ok((await Deno.stat(path)).size > 10_000);
  },
});

/** Polls `condition` every 50 ms until it holds, or fails after `timeoutMs`. */
async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`The condition did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

browserTest(
  "on a server with an API token the page asks for it once, then its controls work",
  ["--turbines", "2", "--engineers", "1", "--time-scale", "60", "--api-token", "s3cret"],
  async (server, page, problems) => {
    const asked: string[] = [];
    page.on("dialog", (dialog) => {
      asked.push(dialog.message());
      dialog.accept("s3cret");
    });
    await waitForFleet(page, 2);
    const pause = page.locator("#pause-toggle");
    await pause.click();
    await page.waitForFunction(async (url) => {
      const response = await fetch(`${url}/api/simulation`);
      return (await response.json()).paused === true;
    }, server.url);
    assert.equal(asked.length, 1);
    assert.match(asked[0], /API token/);
    // The token is kept for the tab: the next change is not asked again.
    await pause.click();
    await page.waitForFunction(async (url) => {
      const response = await fetch(`${url}/api/simulation`);
      return (await response.json()).paused === false;
    }, server.url);
    assert.equal(asked.length, 1);
    // The one refused request is the first, tokenless one (the browser logs it too).
    assert.deepEqual(problems.filter((p) => !/\b401\b/.test(p)), []);
    assert.equal(problems.filter((p) => p.includes("HTTP 401")).length, 1);
  },
);
