// Flows: search by namespace and text, paginated on the server; the states of each flow's
// last executions at a glance.
import { permissions } from "../access.js";
import { enc, get } from "../api.js";
import { navigate } from "../app.js";
import { h, link, formatDate, replace } from "../dom.js";
import { badge } from "../states.js";
import { pager } from "../components/pager.js";

const SIZE = 25;
const RECENT = 10;

export async function render(main, _params, page) {
  const may = await permissions(); // "New flow" needs editor somewhere
  if (!page.alive()) return;
  const q = page.query;
  const namespace = q.get("namespace") || "";
  const text = q.get("q") || "";
  const number = Number(q.get("page") || 1);

  const nsInput = h("input", { id: "flows-namespace", name: "namespace", type: "search",
    value: namespace, list: "namespaces", placeholder: "demo" });
  const qInput = h("input", { id: "flows-q", name: "q", type: "search", value: text,
    placeholder: "id, namespace or text in the source" });
  const namespaces = h("datalist", { id: "namespaces" });
  const search = h("form", { class: "filters", role: "search", onSubmit: (event) => {
    event.preventDefault();
    navigate(`/flows?${new URLSearchParams({ namespace: nsInput.value, q: qInput.value })}`);
  } },
  h("div", { class: "field" }, h("label", { for: "flows-namespace" }, "Namespace"), nsInput),
  h("div", { class: "field grow" }, h("label", { for: "flows-q" }, "Search"), qInput),
  h("button", { type: "submit" }, "Search"), namespaces);

  const results = h("div", { class: "results" }, h("p", { class: "muted" }, "Loading…"));
  replace(main,
    h("div", { class: "page-head" }, h("h1", {}, "Flows"),
      may.edit ? h("a", { href: "/flows/new", "data-link": true, class: "button primary" },
        "New flow") : null),
    search, results);

  get("/namespaces/search").then((found) => {
    replace(namespaces, found.results.map((n) => h("option", { value: n.id })));
  }).catch(() => {});

  const found = await get("/flows/search",
    { namespace, q: text, page: number, size: SIZE });
  if (!page.alive()) return;
  if (!found.results.length) {
    replace(results, h("p", { class: "empty" }, "No flow matches. ",
      link("/flows/new", "Create one"), "."));
    return;
  }
  const rows = found.results.map((flow) => {
    const recent = h("td", { class: "recent" }, h("span", { class: "muted" }, "…"));
    lastStates(flow).then((executions) => {
      if (!page.alive()) return;
      replace(recent, executions.length ? recentStates(executions) :
        h("span", { class: "muted" }, "never run"));
    }).catch(() => replace(recent, ""));
    const href = `/flows/${enc(flow.namespace)}/${enc(flow.id)}`;
    return h("tr", { dataset: { flow: `${flow.namespace}.${flow.id}` } },
      h("td", {}, link(`/namespaces/${enc(flow.namespace)}`, flow.namespace)),
      h("td", {}, link(href, flow.id)),
      h("td", { class: "muted" }, flow.description || ""),
      h("td", { class: "num" }, String(flow.revision)),
      h("td", {}, formatDate(flow.updated)),
      recent);
  });
  replace(results,
    h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Namespace", "Flow", "Description", "Revision", "Updated",
        "Last executions"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)),
    pager(found.total, number, SIZE, (n) => {
      const next = new URLSearchParams(page.query);
      next.set("page", n);
      return `/flows?${next}`;
    }));
}

async function lastStates(flow) {
  const found = await get("/executions/search",
    { namespace: flow.namespace, flowId: flow.id, size: RECENT });
  // The namespace filter is a prefix: keep this flow's own executions.
  return found.results.filter((e) => e.namespace === flow.namespace);
}

function recentStates(executions) {
  const [last] = executions;
  return h("span", { class: "recent-states" },
    link(`/executions/${enc(last.id)}`, badge(last.state.current)),
    h("span", { class: "dots", "aria-label": "earlier executions" },
      executions.slice(1).reverse().map((e) => h("a", {
        href: `/executions/${enc(e.id)}`, "data-link": true,
        class: `dot state-${e.state.current.toLowerCase()}`,
        title: `${e.state.current} ${formatDate(e.state.startDate)}`,
        "aria-label": `${e.state.current} ${formatDate(e.state.startDate)}`,
      }))));
}
