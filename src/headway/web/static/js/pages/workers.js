// Workers: the worker processes registered in the store (each `headway worker`, and each
// server that runs a worker), with their last heartbeat; read again every few seconds.
import { fetchRaw } from "../api.js";
import { errorBox } from "../app.js";
import { h, formatAgo, formatDate, replace } from "../dom.js";

const REFRESH_MS = 3000;
const COLUMNS = ["Worker", "Host", "Group", "Slots", "Started", "Last heartbeat", "State"];

// The workers, and the server's clock: a heartbeat's age is counted on it, so a browser
// whose clock is off still reads "3 s ago" (its Date header is to the second: an offset
// within 2 s is the browser's own).
export async function workers() {
  const response = await fetchRaw("/workers");
  const found = await response.json();
  const server = Date.parse(response.headers.get("Date") || "");
  const offset = Number.isNaN(server) ? 0 : server + 500 - Date.now();
  return { ...found, offset: Math.abs(offset) > 2000 ? offset : 0 };
}

export async function render(main, _params, page) {
  const summary = h("p", { class: "lead", id: "workers-summary" });
  const problem = h("div", {});
  const results = h("div", { class: "results workers-results" },
    h("p", { class: "muted" }, "Loading…"));
  replace(main, h("h1", {}, "Workers"), summary, problem, results);
  const rows = new Map();
  let shown = "";

  async function load() {
    const found = await workers();
    if (!page.alive()) return;
    replace(problem);
    const alive = found.results.filter((w) => w.alive).length;
    const said = `${alive} alive of ${found.total} registered. A worker is alive while its ` +
      "last heartbeat is within a lease (HEADWAY_LEASE_SECONDS); read again every " +
      `${REFRESH_MS / 1000} s.`;
    if (summary.textContent !== said) summary.textContent = said;
    if (!found.results.length) {
      rows.clear();
      shown = "";
      replace(results, h("p", { class: "empty" }, "No worker registered: start ",
        h("code", {}, "headway worker"), " or a server with a worker."));
      return;
    }
    // The rows stay in place and only their cells change, so the page does not jump under
    // a reader (or a screen reader) from one read to the next.
    const now = Date.now() + found.offset;
    for (const worker of found.results) {
      if (!rows.has(worker.id)) rows.set(worker.id, h("tr", { dataset: { worker: worker.id } }));
      fill(rows.get(worker.id), worker, now);
    }
    const ids = found.results.map((w) => w.id).join("\n");
    if (ids === shown) return;
    shown = ids;
    for (const id of [...rows.keys()]) {
      if (!found.results.some((w) => w.id === id)) rows.delete(id);
    }
    replace(results, h("table", { class: "table workers", id: "workers" },
      h("thead", {}, h("tr", {}, COLUMNS.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, found.results.map((w) => rows.get(w.id)))));
  }

  try {
    await load();
  } catch (error) {
    if (!page.alive() || error.status === 401) throw error;
    replace(results);
    replace(problem, errorBox(error));
  }
  // Read again while shown (not while the tab is hidden); a failed read says why, above the
  // last table read.
  const timer = setInterval(() => {
    if (document.hidden) return;
    load().catch((error) => {
      if (page.alive()) replace(problem, errorBox(error));
    });
  }, REFRESH_MS);
  page.onLeave(() => clearInterval(timer));
}

function fill(row, worker, now) {
  const cells = [
    h("td", { class: "mono" }, worker.id),
    h("td", {}, worker.host),
    h("td", {}, worker.group || "-"),
    h("td", { class: "num" }, String(worker.slots)),
    h("td", {}, when(worker.started, formatDate(worker.started))),
    h("td", {}, worker.heartbeat ? when(worker.heartbeat, formatAgo(worker.heartbeat, now)) :
      h("span", { class: "muted" }, "never")),
    h("td", {}, workerBadge(worker.alive)),
  ];
  if (row.children.length !== cells.length) {
    replace(row, cells);
    return;
  }
  cells.forEach((cell, i) => {
    const old = row.children[i];
    if (old.innerHTML !== cell.innerHTML || old.className !== cell.className) {
      row.replaceChild(cell, old);
    }
  });
}

function when(iso, text) {
  return h("time", { datetime: iso, title: formatDate(iso) }, text);
}

export function workerBadge(alive) {
  return h("span", { class: `badge worker-${alive ? "alive" : "silent"}` },
    alive ? "alive" : "silent");
}
