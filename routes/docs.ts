/**
 * The OpenAPI document (`/openapi.json`) and Swagger UI (`/docs`), whose assets
 * come from the `swagger-ui-dist` npm package on this server, not a CDN.
 *
 * @module
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { fileURLToPath } from "node:url";

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>gridfleet API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  validatorUrl: null,
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
});`;

/** Marks every mutating operation as needing the bearer token (when the server has one). */
function withSecurity<T extends { paths?: object }>(document: T): T {
  for (const operations of Object.values(document.paths ?? {}) as Record<string, unknown>[]) {
    for (const [method, operation] of Object.entries(operations)) {
      if (method === "get" || typeof operation !== "object" || operation === null) continue;
      (operation as { security?: unknown }).security = [{ bearer: [] }];
    }
  }
  return document;
}

/**
 * Mounts `/openapi.json` for `api` and the Swagger UI pages.
 *
 * @example
 * ```ts ignore
 * app.route("/", docsRouter(app));
 * ```
 */
export function docsRouter(api: OpenAPIHono): Hono {
  const app = new Hono();
  const assetDir = fileURLToPath(new URL(".", import.meta.resolve("swagger-ui-dist/package.json")));
  const document = () =>
    api.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "gridfleet",
        version: "0.1.0",
        description: "Simulate and operate a power-grid fleet: turbines, engineers, metrics.",
      },
    });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
  });

  app.get("/openapi.json", (c) => c.json(withSecurity(document())));
  app.get("/docs", (c) => c.html(PAGE));
  app.get("/docs/", (c) => c.redirect("/docs", 301));
  app.get("/docs/init.js", (c) => c.body(INIT, 200, { "content-type": "text/javascript" }));
  app.get("/docs/assets/:file", async (c) => {
    const file = c.req.param("file");
    const type = ASSETS[file];
    if (!type) return c.notFound();
    const body = await Deno.readFile(`${assetDir}/${file}`);
    return c.body(body, 200, { "content-type": type, "cache-control": "public, max-age=86400" });
  });
  return app;
}
