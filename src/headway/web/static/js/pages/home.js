// Home: executions by state, what is running, and what waits for someone's approval.
import { enc, get } from "../api.js";
import { errorBox } from "../app.js";
import { h, link, replace } from "../dom.js";
import { badge } from "../states.js";
import { executionsTable } from "./executions.js";

const COUNTED = ["RUNNING", "PAUSED", "QUEUED", "CREATED", "SUCCESS", "WARNING", "FAILED",
  "KILLED"];
const REFRESH_MS = 5000;

export async function render(main, _params, page) {
  const counts = h("div", { class: "counts", id: "counts" });
  const waiting = h("section", { class: "panel", id: "waiting",
    "aria-labelledby": "waiting-title" });
  const running = h("section", { class: "panel", id: "running",
    "aria-labelledby": "running-title" });
  const failed = h("section", { class: "panel", id: "failed",
    "aria-labelledby": "failed-title" });
  replace(main, h("h1", {}, "Home"), counts, waiting, running, failed);

  async function load() {
    const totals = await Promise.all(COUNTED.map((state) =>
      get("/executions/search", { state, size: 1 }).then((r) => r.total)));
    const [paused, active, recentFailures] = await Promise.all([
      get("/executions/search", { state: "PAUSED", size: 50 }),
      get("/executions/search", { state: ["RUNNING", "CREATED", "QUEUED", "KILLING"], size: 20 }),
      get("/executions/search", { state: "FAILED", size: 5 }),
    ]);
    if (!page.alive()) return;
    replace(counts, COUNTED.map((state, i) => h("a", {
      href: `/executions?state=${state}`, "data-link": true, class: "count",
      dataset: { state },
    }, h("span", { class: "count-number" }, String(totals[i])), badge(state))));
    replace(waiting,
      h("h2", { id: "waiting-title" }, "Waiting for approval ",
        h("span", { class: "tag" }, String(paused.total))),
      paused.results.length ? executionsTable(paused.results, {
        actions: (e) => link(`/executions/${enc(e.id)}?resume=1`, "Review and resume"),
      }) : h("p", { class: "empty" }, "Nothing waits for anyone."));
    replace(running,
      h("h2", { id: "running-title" }, "Running ",
        h("span", { class: "tag" }, String(active.total))),
      active.results.length ? executionsTable(active.results) :
        h("p", { class: "empty" }, "Nothing is running."));
    replace(failed, h("h2", { id: "failed-title" }, "Recent failures"),
      recentFailures.results.length ? executionsTable(recentFailures.results) :
        h("p", { class: "empty" }, "No failed execution."));
  }

  try {
    await load();
  } catch (error) {
    replace(counts, errorBox(error));
  }
  // Refreshed while shown, but not under the keyboard of someone moving through it.
  const timer = setInterval(() => {
    const focused = document.activeElement;
    if (document.hidden || (main.contains(focused) && focused !== main)) return;
    load().catch(() => {});
  }, REFRESH_MS);
  page.onLeave(() => clearInterval(timer));
}
