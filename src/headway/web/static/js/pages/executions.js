// Executions: filters (namespace, flow, state) and pages, both answered by the server.
import { permissions } from "../access.js";
import { enc, get, request } from "../api.js";
import { navigate, notify } from "../app.js";
import { h, link, formatDate, formatMillis, replace, stateMillis } from "../dom.js";
import { STATES, badge } from "../states.js";
import { pager } from "../components/pager.js";

const SIZE = 25;
const LIVE_MS = 5000;
const SINCE = { "": "any time", PT1H: "last hour", P1D: "last 24 hours", P7D: "last 7 days" };
const SINCE_MS = { PT1H: 3600e3, P1D: 86400e3, P7D: 7 * 86400e3 };

export async function render(main, _params, page) {
  // Restart and kill need runner somewhere, delete editor: a viewer selects nothing.
  const may = await permissions();
  if (!page.alive()) return;
  const q = page.query;
  const filters = {
    namespace: q.get("namespace") || "",
    flowId: q.get("flowId") || "",
    state: q.get("state") || "",
    labels: q.get("labels") || "",
    since: q.get("since") || "",
  };
  const number = Number(q.get("page") || 1);
  const ns = h("input", { id: "ex-namespace", type: "search", value: filters.namespace,
    placeholder: "namespace prefix" });
  const flow = h("input", { id: "ex-flow", type: "search", value: filters.flowId,
    placeholder: "flow id" });
  const state = h("select", { id: "ex-state" }, h("option", { value: "" }, "any state"),
    STATES.map((s) => h("option", { value: s }, s)));
  state.value = filters.state;
  const labels = h("input", { id: "ex-labels", type: "search", value: filters.labels,
    placeholder: "team:ops, env:dev" });
  const since = h("select", { id: "ex-since" },
    Object.entries(SINCE).map(([value, label]) => h("option", { value }, label)));
  since.value = filters.since in SINCE ? filters.since : "";
  const form = h("form", { class: "filters", role: "search", onSubmit: (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (ns.value) next.set("namespace", ns.value);
    if (flow.value) next.set("flowId", flow.value);
    if (state.value) next.set("state", state.value);
    if (labels.value) next.set("labels", labels.value);
    if (since.value) next.set("since", since.value);
    navigate(`/executions?${next}`);
  } },
  h("div", { class: "field" }, h("label", { for: "ex-namespace" }, "Namespace"), ns),
  h("div", { class: "field" }, h("label", { for: "ex-flow" }, "Flow"), flow),
  h("div", { class: "field" }, h("label", { for: "ex-state" }, "State"), state),
  h("div", { class: "field" }, h("label", { for: "ex-labels" }, "Labels"), labels),
  h("div", { class: "field" }, h("label", { for: "ex-since" }, "Started"), since),
  h("button", { type: "submit" }, "Filter"));
  for (const select of [state, since]) {
    select.addEventListener("change", () => form.requestSubmit());
  }

  const results = h("div", { class: "results" }, h("p", { class: "muted" }, "Loading…"));
  const selected = new Set();
  const bulk = h("div", { class: "bulk actions", id: "bulk", hidden: true });
  const live = h("input", { type: "checkbox", id: "ex-live", checked: true });
  replace(main, h("div", { class: "page-head" }, h("h1", {}, "Executions"),
    h("label", { class: "live", for: "ex-live" }, live, " Live")), form, bulk, results);

  const query = {
    namespace: filters.namespace,
    flowId: filters.flowId,
    state: filters.state,
    labels: filters.labels.split(",").map((l) => l.trim()).filter(Boolean),
    startDate: SINCE_MS[filters.since] ?
      new Date(Date.now() - SINCE_MS[filters.since]).toISOString() : "",
    page: number,
    size: SIZE,
  };

  async function load() {
    const found = await get("/executions/search", query);
    if (!page.alive()) return;
    for (const id of [...selected]) {
      if (!found.results.some((e) => e.id === id)) selected.delete(id);
    }
    replace(results, found.results.length ?
      executionsTable(found.results, may.run ? { selected, onSelect: showBulk } : {}) :
      h("p", { class: "empty" }, "No execution matches."),
    pager(found.total, number, SIZE, (n) => {
      const next = new URLSearchParams(page.query);
      next.set("page", n);
      return `/executions?${next}`;
    }));
    showBulk();
  }

  function showBulk() {
    bulk.hidden = selected.size === 0;
    const act = (label, method, path) => h("button", { type: "button", onClick: async () => {
      try {
        const answer = await request(method, path, { json: { ids: [...selected] } });
        const problems = (answer.errors || []).map((e) => `${e.id}: ${e.message}`);
        notify(`${label}: ${answer.count} done` + (problems.length ?
          `; refused: ${problems.join("; ")}` : ""), problems.length ? "error" : "success");
        selected.clear();
      } catch (error) {
        notify(`${label} failed: ${error.message}`, "error");
      }
      await load().catch(() => {});
    } }, label);
    replace(bulk, h("span", {}, `${selected.size} selected`),
      act("Restart", "POST", "/executions/restart/by-ids"),
      act("Kill", "DELETE", "/executions/kill/by-ids"),
      may.edit ? act("Delete", "DELETE", "/executions/by-ids") : null);
  }

  await load();
  // Live: the page is read again every few seconds, unless something is selected or the
  // keyboard is in the results.
  const timer = setInterval(() => {
    const focused = document.activeElement;
    if (!live.checked || document.hidden || selected.size || results.contains(focused)) return;
    load().catch(() => {});
  }, LIVE_MS);
  page.onLeave(() => clearInterval(timer));
}

export function executionsTable(executions, { actions, selected, onSelect } = {}) {
  const pick = (e) => h("input", { type: "checkbox", "aria-label": `Select ${e.id}`,
    checked: selected.has(e.id), onChange: (event) => {
      if (event.target.checked) selected.add(e.id);
      else selected.delete(e.id);
      onSelect();
    } });
  const all = selected ? h("input", { type: "checkbox", "aria-label": "Select all",
    checked: executions.length > 0 && executions.every((e) => selected.has(e.id)),
    onChange: (event) => {
      for (const e of executions) {
        if (event.target.checked) selected.add(e.id);
        else selected.delete(e.id);
      }
      for (const box of event.target.closest("table").querySelectorAll("tbody input")) {
        box.checked = event.target.checked;
      }
      onSelect();
    } }) : null;
  return h("table", { class: "table executions" },
    h("thead", {}, h("tr", {}, selected ? h("th", { scope: "col" }, all) : null,
      ["Execution", "Namespace", "Flow", "State", "Started", "Duration", actions ? "" : null]
        .filter((t) => t !== null).map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, executions.map((e) => h("tr", { dataset: { execution: e.id } },
      selected ? h("td", {}, pick(e)) : null,
      h("td", { class: "mono" }, link(`/executions/${enc(e.id)}`, e.id)),
      h("td", {}, e.namespace),
      h("td", {}, link(`/flows/${enc(e.namespace)}/${enc(e.flowId)}`, e.flowId)),
      h("td", {}, badge(e.state.current)),
      h("td", {}, formatDate(e.state.startDate)),
      h("td", {}, formatMillis(stateMillis(e.state))),
      actions ? h("td", { class: "actions" }, actions(e)) : null))));
}
