/**
 * Writes a screenshot of the live dashboard, e.g. the README's:
 * `deno run --allow-all tests/dashboard_screenshot.ts docs/dashboard.png`.
 *
 * @module
 */

import type { Page } from "playwright-core";
import {
  captureDashboard,
  hasChromium,
  startDashboardServer,
  waitForChartPoints,
} from "./dashboard_harness.ts";

const DEVICES = ["pc1", "pc2", "raspberry"];

// Fills every device's sparklines and drives pc1 into heavy load until its alert is open.
async function stageDevices(page: Page): Promise<void> {
  await page.locator("#devices").scrollIntoViewIfNeeded();
  for (const id of DEVICES) {
    await waitForChartPoints(page, `#device-${id} canvas[data-series=clock]`, 2, 30_000);
  }
  await page.locator('#device-pc1 button[data-mode="heavy"]').click();
  await page.locator("#device-pc1 .device-alert").waitFor({ state: "visible", timeout: 60_000 });
  await waitForChartPoints(page, "#device-pc1 canvas[data-series=temperature]", 60, 30_000);
}

/**
 * Starts a 24-turbine fleet with one engineer (so repairs queue up) and three
 * monitored devices, one of them under heavy load, and writes its dashboard to `path`.
 */
export async function writeDashboardScreenshot(path: string): Promise<void> {
  const server = await startDashboardServer([
    "--turbines",
    "24",
    "--engineers",
    "1",
    "--time-scale",
    "60",
    "--travel-seconds",
    "600-600",
    "--repair-seconds",
    "600-600",
    "--devices",
    DEVICES.join(","),
  ]);
  try {
    await captureDashboard(server, path, { beforeCapture: stageDevices });
  } finally {
    await server.close();
  }
}

if (import.meta.main) {
  const path = Deno.args[0] ?? "tests/artifacts/dashboard.png";
  if (!hasChromium()) {
    console.error("Cannot take a screenshot: /usr/bin/chromium is not installed.");
    Deno.exit(1);
  }
  await writeDashboardScreenshot(path);
  console.log(`Wrote ${path}`);
}
