/**
 * The dashboard's static files from `static/`, found relative to this module so
 * the server works from any working directory, and the browser build of
 * chart.js from its npm package, so the page needs no CDN.
 *
 * @module
 */

import { Hono } from "hono";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  json: "application/json",
};

/** Where the page loads chart.js from. */
export const CHART_JS_PATH = "/vendor/chart.umd.min.js";

// The package's exports forbid deep imports, so go from its resolved entry point.
const chartJsFile = new URL("./chart.umd.min.js", import.meta.resolve("chart.js"));

/** Serves `static/` at the root, `index.html` for `/`, and chart.js at {@link CHART_JS_PATH}. */
export function staticRouter(root = new URL("../static/", import.meta.url)): Hono {
  const app = new Hono();
  app.get(CHART_JS_PATH, async (c) => {
    const body = await Deno.readFile(chartJsFile);
    return c.body(body, 200, {
      "content-type": TYPES.js,
      "cache-control": "public, max-age=86400",
    });
  });
  app.get("/:file{[A-Za-z0-9_.-]*}", async (c, next) => {
    const file = c.req.param("file") || "index.html";
    const type = TYPES[file.split(".").pop() ?? ""];
    if (!type || file.startsWith(".")) return next();
    try {
      const body = await Deno.readFile(new URL(file, root));
      return c.body(body, 200, { "content-type": type, "cache-control": "no-cache" });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return next();
      throw error;
    }
  });
  return app;
}
