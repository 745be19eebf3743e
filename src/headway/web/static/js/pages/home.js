// Home: executions by state, over the last day, what is running, what waits for someone's
// approval, the failures of the last day and the next scheduled runs; how many workers are
// alive.
import { allows, caller } from "../access.js";
import { enc, get } from "../api.js";
import { errorBox } from "../app.js";
import { h, formatDate, link, replace } from "../dom.js";
import { badge } from "../states.js";
import { executionsTable } from "./executions.js";
import { workers } from "./workers.js";

const COUNTED = ["RUNNING", "PAUSED", "QUEUED", "CREATED", "SUCCESS", "WARNING", "FAILED",
  "KILLED"];
const CHARTED = ["SUCCESS", "WARNING", "FAILED", "KILLED", "RUNNING", "PAUSED", "CREATED",
  "QUEUED"];
const REFRESH_MS = 5000;
const HOUR_MS = 3600e3;
const DAY_SIZE = 1000;

export async function render(main, _params, page) {
  const counts = h("div", { class: "counts", id: "counts" });
  const section = (id, title) => h("section", { class: "panel", id,
    "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title));
  const chart = section("over-time", "Last 24 hours");
  const waiting = section("waiting", "Waiting for approval");
  const running = section("running", "Running");
  const failed = section("failed", "Failures of the last 24 hours");
  const next = section("next", "Next scheduled runs");
  // Next to the title, not among the eight counts (their grid is of eight).
  const workersCount = h("a", { href: "/workers", "data-link": true, class: "workers-count",
    id: "workers-count", hidden: true });
  replace(main, h("div", { class: "page-head home-head" }, h("h1", {}, "Home"),
    workersCount), counts, chart, waiting, running, failed, next);
  const me = await caller();
  if (!page.alive()) return;

  async function load() {
    showWorkers(workersCount, page);
    const since = new Date(Date.now() - 24 * HOUR_MS).toISOString();
    const [totals, day, paused, active, recentFailures, triggers] = await Promise.all([
      Promise.all(COUNTED.map((state) =>
        get("/executions/search", { state, size: 1 }).then((r) => r.total))),
      get("/executions/search", { startDate: since, size: DAY_SIZE }),
      get("/executions/search", { state: "PAUSED", size: 50 }),
      get("/executions/search", { state: ["RUNNING", "CREATED", "QUEUED", "KILLING"], size: 20 }),
      get("/executions/search", { state: "FAILED", startDate: since, size: 10 }),
      get("/triggers/search", { size: 1000 }).catch(() => ({ results: [] })),
    ]);
    if (!page.alive()) return;
    replace(counts, COUNTED.map((state, i) => h("a", {
      href: `/executions?state=${state}`, "data-link": true, class: "count",
      dataset: { state },
    }, h("span", { class: "count-number" }, String(totals[i])), badge(state))));
    replace(chart, chart.firstChild, overTime(day));
    replace(waiting, waiting.firstChild,
      paused.results.length ? executionsTable(paused.results, {
        // Who may not resume it (a viewer) is offered to look at it.
        actions: (e) => (allows(me, "runner", e.namespace) ?
          link(`/executions/${enc(e.id)}?resume=1`, "Review and resume") :
          link(`/executions/${enc(e.id)}`, "View")),
      }) : h("p", { class: "empty" }, "Nothing waits for anyone."));
    replace(running, running.firstChild,
      active.results.length ? executionsTable(active.results) :
        h("p", { class: "empty" }, "Nothing is running."));
    replace(failed, failed.firstChild,
      recentFailures.results.length ? [executionsTable(recentFailures.results),
        recentFailures.total > recentFailures.results.length ? h("p", {},
          link("/executions?state=FAILED&since=P1D", `All ${recentFailures.total} →`)) : null] :
        h("p", { class: "empty" }, "No failure in the last 24 hours."));
    replace(next, next.firstChild, nextRuns(triggers.results));
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

// "Workers alive N / M", linking to the Workers page (hidden if the server cannot tell).
function showWorkers(box, page) {
  workers().then((found) => {
    if (!page.alive()) return;
    const alive = found.results.filter((w) => w.alive).length;
    const health = !found.total ? "none" : alive === found.total ? "ok" : "silent";
    box.hidden = false;
    replace(box, h("span", { class: `worker-dot ${health}`, "aria-hidden": "true" }),
      h("span", {}, "Workers alive ", h("strong", {}, `${alive} / ${found.total}`)));
  }).catch(() => {
    box.hidden = true;
  });
}

// Executions started in each of the last 24 hours, stacked by state.
function overTime(found) {
  const now = Date.now();
  const start = Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
  const buckets = Array.from({ length: 24 }, () => new Map());
  for (const e of found.results) {
    const index = Math.floor((Date.parse(e.state.startDate) - start) / HOUR_MS);
    if (index < 0 || index > 23) continue;
    const state = e.state.current;
    buckets[index].set(state, (buckets[index].get(state) || 0) + 1);
  }
  const highest = Math.max(1, ...buckets.map((b) => [...b.values()].reduce((a, n) => a + n, 0)));
  const label = (i) => new Date(start + i * HOUR_MS).toLocaleTimeString(undefined,
    { hour: "2-digit", minute: "2-digit" });
  return [
    h("div", { class: "chart", role: "img", "aria-label":
      `${found.results.length} executions started in the last 24 hours, by hour and state` },
    buckets.map((bucket, i) => {
      const total = [...bucket.values()].reduce((a, n) => a + n, 0);
      const title = `${label(i)}: ${total} execution${total === 1 ? "" : "s"}` +
        [...bucket.entries()].map(([s, n]) => `, ${n} ${s}`).join("");
      return h("a", { class: "chart-col", title, "aria-label": title, "data-link": true,
        href: `/executions?since=P1D` },
      h("span", { class: "chart-stack", style: { height: `${(total / highest) * 100}%` } },
        CHARTED.filter((s) => bucket.has(s)).map((s) => h("span", {
          class: `chart-seg state-${s.toLowerCase()}`,
          style: { flexGrow: String(bucket.get(s)) },
        }))));
    })),
    h("div", { class: "chart-axis" }, h("span", {}, label(0)), h("span", {}, label(12)),
      h("span", {}, "now")),
    found.total > found.results.length ?
      h("p", { class: "hint" }, `The latest ${found.results.length} of ${found.total}.`) : null,
  ];
}

function nextRuns(triggers) {
  const upcoming = triggers
    .map((t) => t.triggerContext)
    .filter((c) => !c.disabled && c.nextExecutionDate)
    .sort((a, b) => Date.parse(a.nextExecutionDate) - Date.parse(b.nextExecutionDate))
    .slice(0, 10);
  if (!upcoming.length) return h("p", { class: "empty" }, "No schedule is due.");
  return h("table", { class: "table" },
    h("thead", {}, h("tr", {}, ["When", "Flow", "Trigger"].map((t) =>
      h("th", { scope: "col" }, t)))),
    h("tbody", {}, upcoming.map((c) => h("tr", {},
      h("td", {}, formatDate(c.nextExecutionDate)),
      h("td", {}, link(`/flows/${enc(c.namespace)}/${enc(c.flowId)}?tab=Triggers`,
        `${c.namespace}.${c.flowId}`)),
      h("td", { class: "mono" }, c.triggerId)))));
}
