/**
 * What the dashboard's browser tests and screenshot script share: a real
 * server in a temp dir, headless Chromium, and a page that records every
 * console error, page error, failed request and HTTP error it sees.
 *
 * @module
 */

import { type Browser, chromium, type Page } from "playwright-core";
import { parseConfig } from "../config.ts";
import { type Gridfleet, startGridfleet } from "../main.ts";

/** Where Debian installs Chromium; CI installs it there (see .ci/run). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Whether Chromium is installed, so browser tests can be skipped with a reason. */
export function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
}

/** A gridfleet server in its own temp dir. */
export interface DashboardServer extends Gridfleet {
  close(): Promise<void>;
}

/** Starts a server on a free port with `args` added to a small, fast fleet's flags. */
export async function startDashboardServer(args: string[] = []): Promise<DashboardServer> {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-dashboard-" });
  const config = parseConfig(
    ["--port", "0", "--kv", `${dir}/g.kv`, "--seed", "5", "--mtbf", "1000000000", ...args],
    {},
  )!;
  const gridfleet = await startGridfleet(config);
  return {
    ...gridfleet,
    async close() {
      await gridfleet.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** What a browser test's body gets: its server, its page, the problems the page recorded so far. */
export type BrowserTestBody = (
  server: DashboardServer,
  page: Page,
  problems: string[],
  /** `performance.now()` when the page was asked to open. */
  openedAt: number,
) => Promise<void>;

/**
 * A browser test: a fresh server with `serverArgs` and a page at `path`,
 * everything closed afterwards; ignored (with the reason printed once) when
 * Chromium is not installed.
 */
export function browserTest(
  name: string,
  serverArgs: string[],
  body: BrowserTestBody,
  options: { path?: string; width?: number } = {},
): void {
  Deno.test({
    name,
    ignore: !hasChromium(),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const server = await startDashboardServer(serverArgs);
      let browser: Browser | null = null;
      try {
        browser = await launchChromium();
        const page = await browser.newPage({
          viewport: { width: options.width ?? 1280, height: 900 },
        });
        const problems = recordProblems(page);
        const openedAt = performance.now();
        await page.goto(`${server.url}${options.path ?? "/"}`);
        await body(server, page, problems, openedAt);
      } finally {
        await browser?.close();
        await server.close();
      }
    },
  });
}

/** Launches headless Chromium with nothing that reaches out to the network by itself. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Collects what went wrong on a page, as one line each. */
export function recordProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText ?? "failed";
    // Leaving the page aborts the endless event stream; that is not a failure.
    if (reason === "net::ERR_ABORTED" && request.url().endsWith("/api/events")) return;
    problems.push(`request failed: ${request.method()} ${request.url()} (${reason})`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) {
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
    }
  });
  return problems;
}

/** Posts to the server and fails loudly unless it answers 2xx. */
export async function post(url: string): Promise<void> {
  const response = await fetch(url, { method: "POST" });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`POST ${url} answered HTTP ${response.status}`);
}

/** Posts `body` as JSON and returns the answer's JSON; fails loudly unless it answers 2xx. */
export async function postJson<T = unknown>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} answered HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

// Evaluated in the page, where `Chart` and `document` exist (this module has no DOM types).
function chartPointsExpression(canvasSelector: string): string {
  const canvas = `document.querySelector(${JSON.stringify(canvasSelector)})`;
  return `(Chart.getChart(${canvas})?.data.datasets[0].data.length ?? 0)`;
}

/** Points in the chart drawn on `canvasSelector`, read from chart.js itself. */
export function chartPoints(page: Page, canvasSelector: string): Promise<number> {
  return page.evaluate(chartPointsExpression(canvasSelector));
}

/** Waits until the chart on `canvasSelector` has at least `count` points. */
export async function waitForChartPoints(
  page: Page,
  canvasSelector: string,
  count: number,
  timeout = 10_000,
): Promise<void> {
  const expression = `${chartPointsExpression(canvasSelector)} >= ${count}`;
  await page.waitForFunction(expression, undefined, { timeout });
}

/** Options of {@link captureDashboard}. */
export interface CaptureOptions {
  width?: number;
  height?: number;
  /** Runs on the page after the turbines are staged, just before the screenshot. */
  beforeCapture?: (page: Page) => Promise<void>;
}

/**
 * Opens the dashboard of a running server, waits for live data, breaks two
 * turbines so every status shows, selects another and writes a PNG to `path`.
 */
export async function captureDashboard(
  server: DashboardServer,
  path: string,
  options: CaptureOptions = {},
): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    });
    await page.goto(server.url);
    await waitForChartPoints(page, "#fleet-chart", 5, 20_000);
    for (const id of [2, 5]) {
      await post(`${server.url}/api/turbines/${id}/fail`);
      await page.locator(`.tile[data-id="${id}"]:not([data-status="ok"])`).waitFor({
        timeout: 5_000,
      });
    }
    await page.locator('.tile[data-id="1"]').click();
    await page.locator("#detail-repairs li").first().waitFor();
    await options.beforeCapture?.(page);
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
    await Deno.mkdir(dir, { recursive: true });
    await page.screenshot({ path, fullPage: true });
  } finally {
    await browser.close();
  }
}

/** A TCP proxy in front of a server whose connections a test can cut, like a network drop. */
export interface FlakyProxy {
  url: string;
  /** Closes every open connection and refuses new ones until {@link FlakyProxy.restore}. */
  cut(): void;
  restore(): void;
  close(): void;
}

/** Starts a {@link FlakyProxy} to the server at `target`. */
export function startFlakyProxy(target: string): FlakyProxy {
  const { hostname, port } = new URL(target);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let refusing = false;
  const closeQuietly = (conn: Deno.Conn) => {
    open.delete(conn);
    try {
      conn.close();
    } catch {
      // Already closed by the other side.
    }
  };
  (async () => {
    for await (const client of listener) {
      if (refusing) {
        closeQuietly(client);
        continue;
      }
      const upstream = await Deno.connect({
        hostname: hostname.replace(/^\[|\]$/g, ""),
        port: Number(port),
      });
      open.add(client);
      open.add(upstream);
      const end = () => {
        closeQuietly(client);
        closeQuietly(upstream);
      };
      client.readable.pipeTo(upstream.writable).catch(() => {}).finally(end);
      upstream.readable.pipeTo(client.writable).catch(() => {}).finally(end);
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    cut() {
      refusing = true;
      for (const conn of [...open]) closeQuietly(conn);
    },
    restore() {
      refusing = false;
    },
    close() {
      this.cut();
      listener.close();
    },
  };
}
