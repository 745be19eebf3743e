// A flow: its YAML source, its revisions (view, diff, restore), its last executions, and
// the Execute dialog.
import { enc, get, request } from "../api.js";
import { permissions } from "../access.js";
import { errorBox, navigate, notify } from "../app.js";
import { h, link, formatDate, formatMillis, replace, stateMillis } from "../dom.js";
import { badge } from "../states.js";
import { formDialog } from "../components/dialog.js";
import { openExecuteDialog } from "../components/execute-dialog.js";
import { sideBySide, unified } from "../components/diff.js";
import { tabs } from "../components/tabs.js";
import { topology } from "../components/topology.js";
import { triggersPanel } from "../components/triggers.js";
import { yamlView } from "../components/yaml.js";

export async function render(main, [namespace, id], page) {
  const base = `/flows/${enc(namespace)}/${enc(id)}`;
  const [flow, may] = await Promise.all([get(base), permissions(namespace)]);
  if (!page.alive()) return;
  const graph = get(`${base}/graph`, { revision: flow.revision });
  graph.catch(() => {}); // shown by the Topology tab, when it is opened
  // Actions the caller's role does not allow on this namespace are not shown.
  const execute = may.run ? h("button", { type: "button", class: "primary", id: "execute",
    onClick: () => openExecuteDialog(flow) }, "Execute") : null;
  replace(main,
    h("div", { class: "page-head" },
      h("div", {},
        h("p", { class: "crumbs" }, link("/flows", "Flows"), " / ",
          link(`/flows?namespace=${enc(namespace)}`, namespace)),
        h("h1", {}, flow.id, " ", h("span", { class: "tag" }, `revision ${flow.revision}`))),
      h("div", { class: "actions" },
        may.edit ? [
          h("button", { type: "button", class: "danger", onClick: () => remove(flow) },
            "Delete"),
          h("a", { href: `${base}/edit`, "data-link": true, class: "button" }, "Edit"),
        ] : null,
        execute)),
    flow.description ? h("p", { class: "lead" }, flow.description) : null,
    tabs([
      ["Topology", () => topologyPanel(flow, graph)],
      ["Source", () => yamlView(flow.source)],
      ["Triggers", () => triggersPanel(flow, page, may)],
      ["Revisions", () => revisions(namespace, id, flow, page, may)],
      ["Executions", () => executions(namespace, id, page)],
    ], page.query.get("tab")));
  if (page.query.get("execute") && may.run) openExecuteDialog(flow);
}

// The topology once the graph has arrived (or why it could not be drawn).
function topologyPanel(flow, graph) {
  const panel = h("div", { class: "panel" }, h("p", { class: "muted" }, "Loading…"));
  graph.then((found) => replace(panel, topology(flow, found)))
    .catch((error) => replace(panel, errorBox(error)));
  return panel;
}

function remove(flow) {
  formDialog({
    title: `Delete ${flow.namespace}.${flow.id}?`,
    body: h("p", {}, "The flow is deleted with its triggers; its executions stay."),
    submitLabel: "Delete",
    onSubmit: async () => {
      try {
        await request("DELETE", `/flows/${enc(flow.namespace)}/${enc(flow.id)}`);
        notify(`Deleted ${flow.namespace}.${flow.id}`, "success");
        navigate("/flows");
      } catch (error) {
        notify(error.message, "error");
      }
    },
  });
}

function revisions(namespace, id, latest, page, may) {
  const base = `/flows/${enc(namespace)}/${enc(id)}`;
  const box = h("div", { class: "revisions" }, h("p", { class: "muted" }, "Loading…"));
  const view = h("div", { class: "revision-view" });
  get(`${base}/revisions`).then((records) => {
    if (!page.alive()) return;
    const rows = records.slice().reverse().map((r) => h("tr", {},
      h("td", { class: "num" }, String(r.revision)),
      h("td", {}, formatDate(r.updated)),
      h("td", { class: "actions" },
        h("button", { type: "button", onClick: () =>
          replace(view, h("h3", {}, `Revision ${r.revision}`), yamlView(r.source)) }, "View"),
        r.revision === latest.revision ? h("span", { class: "tag" }, "current") : [
          h("button", { type: "button", onClick: () => showDiff(r.revision) },
            `Diff ${r.revision} → ${latest.revision}`),
          may.edit ? h("button", { type: "button", onClick: () => restore(r.revision) },
            "Restore") : null,
        ])));
    replace(box, h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Revision", "Saved", ""].map((t) =>
        h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)), view);
  }).catch((error) => replace(box, errorBox(error)));

  async function showDiff(from) {
    try {
      const diff = await get(`${base}/revisions/diff`, { from, to: latest.revision });
      replace(view, h("h3", {}, `Changes from revision ${from} to ${latest.revision}`),
        diffView(diff.diff, { from, to: latest.revision }));
    } catch (error) {
      replace(view, errorBox(error));
    }
  }

  async function restore(revision) {
    try {
      const saved = await request("POST", `${base}/revisions/${revision}/restore`);
      notify(`Revision ${revision} restored as revision ${saved.revision}`, "success");
      navigate(`${base}?tab=Revisions`, { replaceState: true });
    } catch (error) {
      notify(error.message, "error");
    }
  }
  return box;
}

function diffView(text, revisions) {
  if (!text) return h("p", { class: "muted" }, "No difference.");
  const body = h("div", {}, sideBySide(text, revisions));
  const toggle = h("button", { type: "button", class: "small", "aria-pressed": "false" },
    "Unified view");
  toggle.addEventListener("click", () => {
    const unifiedNow = toggle.getAttribute("aria-pressed") !== "true";
    toggle.setAttribute("aria-pressed", String(unifiedNow));
    replace(body, unifiedNow ? unified(text) : sideBySide(text, revisions));
  });
  return h("div", { class: "diff-view" }, h("div", { class: "actions" }, toggle), body);
}

function executions(namespace, id, page) {
  const box = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  get("/executions/search", { namespace, flowId: id, size: 10 }).then((found) => {
    if (!page.alive()) return;
    const mine = found.results.filter((e) => e.namespace === namespace);
    replace(box,
      mine.length ? h("table", { class: "table" },
        h("thead", {}, h("tr", {}, ["Execution", "State", "Started", "Duration"].map((t) =>
          h("th", { scope: "col" }, t)))),
        h("tbody", {}, mine.map((e) => h("tr", {},
          h("td", { class: "mono" }, link(`/executions/${enc(e.id)}`, e.id)),
          h("td", {}, badge(e.state.current)),
          h("td", {}, formatDate(e.state.startDate)),
          h("td", {}, formatMillis(stateMillis(e.state))))))) :
        h("p", { class: "empty" }, "This flow has not run yet."),
      h("p", {}, link(`/executions?namespace=${enc(namespace)}&flowId=${enc(id)}`,
        "All executions of this flow →")));
  }).catch((error) => replace(box, errorBox(error)));
  return box;
}
