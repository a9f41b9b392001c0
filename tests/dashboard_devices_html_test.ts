import assert from "node:assert/strict";
import { DOMParser } from "linkedom";

const html = await Deno.readTextFile(new URL("../static/index.html", import.meta.url));
const document = new DOMParser().parseFromString(html, "text/html");
const template = document.getElementById("devices-card-template");
const card = new DOMParser().parseFromString(template?.innerHTML ?? "", "text/html");

Deno.test("the Devices panel is a full-width section, no longer a placeholder", () => {
  const section = document.getElementById("devices");
  assert.equal(section?.tagName, "SECTION");
  assert.ok(section!.classList.contains("span-3"), "#devices must span the grid");
  assert.ok(!section!.classList.contains("soon"), "#devices is still marked as coming soon");
  assert.doesNotMatch(section!.textContent, /coming soon/i);
  assert.equal(document.querySelector("#devices h2")?.textContent.trim(), "Devices");
  assert.equal(document.querySelector(".later #devices"), null);
});

Deno.test("the Devices panel has a list for the cards and one polite live region", () => {
  assert.equal(document.getElementById("devices-list")?.tagName, "UL");
  assert.ok(document.getElementById("devices-list")!.getAttribute("aria-label"));
  const live = document.querySelectorAll("#devices [aria-live]");
  assert.equal(live.length, 1, "Cards update every second: one live region, for status changes");
  assert.equal(live[0].getAttribute("aria-live"), "polite");
});

Deno.test("a device card shows its status with an icon and text, not colour alone", () => {
  assert.equal(template?.tagName, "TEMPLATE");
  assert.ok(card.querySelector("article.device h3.device-name"), "A card is an article with h3");
  assert.equal(card.querySelector(".device-icon")?.getAttribute("aria-hidden"), "true");
  assert.ok(card.querySelector(".device-status-text"), "The status needs words beside its icon");
});

Deno.test("a device card's risk is a labelled meter from 0 to 100 with its percentage", () => {
  const meter = card.querySelector("meter.device-meter");
  assert.equal(meter?.getAttribute("min"), "0");
  assert.equal(meter?.getAttribute("max"), "100");
  assert.equal(card.querySelector(".device-risk label")?.tagName, "LABEL");
  assert.ok(card.querySelector(".device-probability"));
});

Deno.test("a device card has a sparkline canvas with a caption for each sensor", () => {
  const series = [...card.querySelectorAll("canvas")].map((c) => c.getAttribute("data-series"));
  assert.deepEqual(series, ["temperature", "load", "power", "fan", "clock"]);
  for (const canvas of card.querySelectorAll("canvas")) {
    assert.equal(canvas.getAttribute("role"), "img");
    const figure = canvas.closest("figure");
    assert.ok(
      figure?.querySelector("figcaption")?.textContent.trim(),
      "A sparkline needs a caption",
    );
  }
});

Deno.test("a device card has hidden alert feedback and workload controls made of named buttons", () => {
  assert.ok(card.querySelector(".device-alert")?.hasAttribute("hidden"));
  assert.ok(card.querySelector(".device-workload")?.hasAttribute("hidden"));
  const feedback = [...card.querySelectorAll(".device-alert button")];
  assert.deepEqual(feedback.map((b) => b.textContent.trim()), ["Right", "False alarm"]);
  const workload = [...card.querySelectorAll(".device-workload button")];
  assert.deepEqual(workload.map((b) => b.getAttribute("data-mode")), ["heavy", "idle", "auto"]);
  for (const button of [...feedback, ...workload]) {
    assert.equal(button.getAttribute("type"), "button");
    assert.equal(button.getAttribute("aria-pressed"), "false");
  }
});

Deno.test("the page loads the dashboard as a module, which imports the Devices panel", async () => {
  assert.equal(document.querySelector('script[src="/app.js"]')?.getAttribute("type"), "module");
  const app = await Deno.readTextFile(new URL("../static/app.js", import.meta.url));
  assert.match(app, /from "\.\/devices\.js"/);
});
