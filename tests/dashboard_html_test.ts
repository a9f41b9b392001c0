import assert from "node:assert/strict";
import { DOMParser } from "linkedom";
import { CHART_JS_PATH, staticRouter } from "../routes/static_files.ts";

const html = await Deno.readTextFile(new URL("../static/index.html", import.meta.url));
const document = new DOMParser().parseFromString(html, "text/html");

Deno.test("the dashboard has a title, one h1 and a heading for every section", () => {
  assert.equal(document.documentElement.getAttribute("lang"), "en");
  assert.ok(document.querySelector("title")?.textContent);
  assert.equal(document.querySelectorAll("h1").length, 1);
  const headings = [...document.querySelectorAll("h2")].map((h) => h.textContent.trim());
  for (
    const heading of [
      "Fleet overview",
      "Simulation",
      "Turbines",
      "Engineers",
      "Repair queue",
      "Alarms",
      "Devices",
      "Grid",
      "Dispatch",
      "Analysis",
    ]
  ) {
    assert.ok(headings.includes(heading), `No h2 "${heading}" in ${JSON.stringify(headings)}`);
  }
  for (const section of document.querySelectorAll("section")) {
    const labelledBy = section.getAttribute("aria-labelledby");
    assert.ok(labelledBy, `<section id="${section.id}"> has no aria-labelledby`);
    assert.match(document.getElementById(labelledBy)?.tagName ?? "", /^H[23]$/);
  }
});

Deno.test("the sections still to come say so", () => {
  for (const id of ["grid", "dispatch", "analysis"]) {
    assert.match(document.getElementById(id)?.textContent ?? "", /coming soon/i, `#${id}`);
  }
  assert.ok(document.querySelector('#analysis a[href="/api/analysis/runs"]'));
});

Deno.test("every form control has a label and every button a type and a name", () => {
  for (const control of document.querySelectorAll("select, input, textarea")) {
    const labelled = document.querySelector(`label[for="${control.id}"]`) ||
      control.getAttribute("aria-label");
    assert.ok(labelled, `<${control.tagName.toLowerCase()} id="${control.id}"> has no label`);
  }
  for (const button of document.querySelectorAll("button")) {
    assert.equal(button.getAttribute("type"), "button", button.outerHTML);
  }
  for (const id of ["enable-alerts", "pause-toggle", "force-failure", "detail-close"]) {
    assert.ok(document.getElementById(id)?.textContent.trim(), `#${id} has no text`);
  }
});

Deno.test("the turbine grid has a container and a tile template with a status text", () => {
  assert.equal(document.getElementById("turbine-grid")?.tagName, "UL");
  const template = document.getElementById("turbine-tile");
  assert.equal(template?.tagName, "TEMPLATE");
  const tileHtml = template!.innerHTML;
  for (const part of ["tile-name", "tile-status", "tile-power", "tile-wind"]) {
    assert.ok(tileHtml.includes(`class="${part}"`), `The tile template has no .${part}`);
  }
  assert.ok(tileHtml.includes("<button"), "A tile must be a button to be reachable by keyboard");
});

Deno.test("charts are canvases with an accessible name", () => {
  for (const id of ["fleet-chart", "detail-power", "detail-wind"]) {
    const canvas = document.getElementById(id);
    assert.equal(canvas?.tagName, "CANVAS", `#${id}`);
    assert.ok(canvas!.getAttribute("aria-label"), `#${id} has no aria-label`);
  }
});

Deno.test("the page loads nothing from another origin", () => {
  const urls = [...document.querySelectorAll("[src], [href]")]
    .map((element) => element.getAttribute("src") ?? element.getAttribute("href") ?? "");
  assert.ok(urls.includes("/vendor/chart.umd.min.js"));
  for (const url of urls) {
    assert.match(url, /^(\/(?!\/)|#|data:)/, `"${url}" is not a local URL`);
  }
});

Deno.test("the server serves chart.js from its npm package at /vendor/chart.umd.min.js", async () => {
  const response = await staticRouter().request(CHART_JS_PATH);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/javascript/);
  assert.match(await response.text(), /Chart\.js v4\./);
});
