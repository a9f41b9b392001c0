/**
 * Writes a screenshot of the live dashboard, e.g. the README's:
 * `deno run --allow-all tests/dashboard_screenshot.ts docs/dashboard.png`.
 *
 * @module
 */

import { captureDashboard, hasChromium, startDashboardServer } from "./dashboard_harness.ts";

/** Starts a 24-turbine fleet with one engineer (so repairs queue up) and writes its dashboard to `path`. */
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
  ]);
  try {
    await captureDashboard(server, path);
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
