// The topology of a flow, drawn from its graph (GET /flows/{namespace}/{id}/graph: tasks as
// nodes with their parent and branch, edges `next`, a branch name or `dependsOn`): a sequence
// of tasks top to bottom, flowable tasks as groups around their branches (If's then/else,
// Switch's cases, Parallel's children side by side), a Dag's tasks in layers with lines (SVG)
// from each task to those that depend on it, errors and finally apart, subflows expandable in
// place. On an execution's page each task is coloured by the state of its TaskRuns (a task in
// a loop shows how many it had), an expanded subflow by its own execution's.
import { enc, get } from "../api.js";
import { h, link, replace } from "../dom.js";
import { badge } from "../states.js";

const SECTIONS = ["tasks", "errors", "finally", "afterExecution"];
const SVG = "http://www.w3.org/2000/svg";

// The flow (as JSON) and its graph, of a revision or the latest.
export function loadTopology(namespace, id, revision) {
  const base = `/flows/${enc(namespace)}/${enc(id)}`;
  const query = revision ? { revision } : undefined;
  return Promise.all([get(base, query), get(`${base}/graph`, query)]);
}

// `states`: task id -> {state, count}; `subflows`: task id -> the execution id its last
// TaskRun started (an expanded subflow then shows that execution's states); `expanded`: the
// ids of the subflow tasks to show expanded, kept up to date as they are expanded and
// collapsed (a page that draws the topology again keeps them open).
export function topology(flow, graph, {
  states = new Map(), subflows = new Map(), expanded = new Set(),
} = {}) {
  const view = graphView(flow, graph, { states, subflows, expanded });
  const roots = view.branchesOf(null);
  return h("div", { class: "topology", role: "group", "aria-label": `Tasks of ${flow.id}` },
    SECTIONS.filter((name) => roots.has(name)).map((name) =>
      h("div", { class: `topo-section topo-${name}` },
        name === "tasks" ? null : h("p", { class: "topo-label" }, name),
        view.branch(null, name, roots.get(name)))));
}

export function statesByTask(execution) {
  const out = new Map();
  for (const tr of execution.taskRunList || []) {
    const seen = out.get(tr.taskId);
    out.set(tr.taskId, { state: tr.state.current, count: seen ? seen.count + 1 : 1 });
  }
  return out;
}

// Task id -> the subflow execution its last TaskRun started.
export function subflowsByTask(execution) {
  const out = new Map();
  for (const tr of execution.taskRunList || []) {
    if (tr.outputs && typeof tr.outputs.executionId === "string") {
      out.set(tr.taskId, tr.outputs.executionId);
    }
  }
  return out;
}

function graphView(flow, graph, { states, subflows, expanded }) {
  const tasks = taskIndex(flow);
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const children = new Map(); // parent id ('' for the flow) -> branch -> nodes, in order
  for (const n of graph.nodes) {
    const key = n.parent || "";
    if (!children.has(key)) children.set(key, new Map());
    const branches = children.get(key);
    if (!branches.has(n.branch)) branches.set(n.branch, []);
    branches.get(n.branch).push(n);
  }
  const incoming = new Map(); // target -> its edges
  for (const e of graph.edges) {
    if (!incoming.has(e.target)) incoming.set(e.target, []);
    incoming.get(e.target).push(e);
  }
  const dependsOn = (id) => (incoming.get(id) || [])
    .filter((e) => e.relation === "dependsOn").map((e) => e.source);

  function branchesOf(parentId) {
    return children.get(parentId || "") || new Map();
  }

  function branch(parent, name, list) {
    const isDag = (parent && /Dag$/.test(parent.type)) ||
      list.some((n) => dependsOn(n.id).length);
    if (isDag) return dag(list);
    return h("ol", { class: "topo-seq" }, list.map((n) => h("li", {}, node(n))));
  }

  // Tasks that start together: each from the parent, none after another.
  function parallel(parent, list) {
    return list.length > 1 && list.every((n) => (incoming.get(n.id) || [])
      .every((e) => e.source === parent.id && e.relation !== "next"));
  }

  function node(n) {
    const task = tasks.get(n.id) || {};
    const seen = states.get(n.id);
    const after = dependsOn(n.id);
    const head = h("div", { class: "topo-head" },
      h("span", { class: "topo-id" }, n.id),
      h("span", { class: "topo-type", title: n.type }, n.type.split(".").pop()),
      after.length ? h("span", { class: "visually-hidden" }, `, after ${after.join(", ")}`) :
        null,
      seen ? [badge(seen.state), seen.count > 1 ? h("span", { class: "tag" }, `×${seen.count}`) :
        null] : null,
      n.disabled ? h("span", { class: "tag" }, "disabled") : null);
    const state = seen ? ` state-${seen.state.toLowerCase()}` : "";
    const data = { task: n.id };
    if (isSubflow(n, task)) {
      return h("div", { class: `topo-node topo-subflow${state}`, dataset: data }, head,
        subflow(task, subflows.get(n.id), expanded, n.id));
    }
    const own = branchesOf(n.id);
    if (!n.flowable || !own.size) {
      return h("div", { class: `topo-node${state}`, dataset: data }, head);
    }
    const parts = [];
    // A group's own errors and finally come after its branches.
    const last = (name) => (name === "errors" || name === "finally" ? 1 : 0);
    const ordered = [...own].sort(([a], [b]) => last(a) - last(b));
    for (const [name, list] of ordered) {
      if (parallel(n, list) && !/Dag$/.test(n.type)) {
        for (const child of list) parts.push([null, branch(n, name, [child])]);
      } else {
        parts.push([branchLabel(name, task), branch(n, name, list)]);
      }
    }
    return h("div", { class: `topo-group${state}`, dataset: data }, head,
      h("div", { class: parts.length > 1 ? "topo-branches side" : "topo-branches" },
        parts.map(([label, body]) => h("div", { class: "topo-branch" },
          label ? h("p", { class: "topo-label" }, label) : null, body))));
  }

  // A Dag: each task in the layer after the deepest of those it depends on; a line from
  // each task to each that depends on it, drawn once the boxes are laid out (and again when
  // they move: a tab shown, the window resized).
  function dag(list) {
    const inDag = new Set(list.map((n) => n.id));
    const depth = new Map();
    const depthOf = (id, seen = new Set()) => {
      if (depth.has(id)) return depth.get(id);
      if (seen.has(id)) return 0; // a cycle: validation refuses it, draw something anyway
      seen.add(id);
      const deps = dependsOn(id).filter((d) => inDag.has(d));
      const d = deps.length ? 1 + Math.max(...deps.map((x) => depthOf(x, seen))) : 0;
      depth.set(id, d);
      return d;
    };
    const layers = [];
    for (const n of list) {
      const d = depthOf(n.id);
      (layers[d] = layers[d] || []).push(n);
    }
    const boxes = new Map();
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "topo-edges");
    svg.setAttribute("aria-hidden", "true");
    const box = h("div", { class: "topo-dag", role: "list" }, svg,
      layers.filter(Boolean).map((layer) => h("div", { class: "topo-layer" },
        layer.map((n) => {
          const el = h("div", { class: "topo-cell", role: "listitem" }, node(n));
          boxes.set(n.id, el.firstChild);
          return el;
        }))));
    const lines = list.flatMap((n) => dependsOn(n.id).filter((d) => inDag.has(d))
      .map((d) => [d, n.id]));
    const draw = () => drawEdges(box, svg, boxes, lines);
    new ResizeObserver(draw).observe(box);
    return box;
  }

  return { branchesOf, branch, nodes };
}

function drawEdges(box, svg, boxes, lines) {
  const origin = box.getBoundingClientRect();
  if (!origin.width) return;
  svg.setAttribute("width", String(box.scrollWidth));
  svg.setAttribute("height", String(box.scrollHeight));
  const paths = [];
  for (const [source, target] of lines) {
    const a = boxes.get(source).getBoundingClientRect();
    const b = boxes.get(target).getBoundingClientRect();
    const x1 = a.left + a.width / 2 - origin.left;
    const y1 = a.bottom - origin.top;
    const x2 = b.left + b.width / 2 - origin.left;
    const y2 = b.top - origin.top - 3;
    const bend = Math.max(12, (y2 - y1) / 2);
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2}`);
    path.setAttribute("class", "topo-edge");
    path.dataset.source = source;
    path.dataset.target = target;
    const tip = document.createElementNS(SVG, "path");
    tip.setAttribute("d", `M ${x2 - 4} ${y2 - 5} L ${x2} ${y2} L ${x2 + 4} ${y2 - 5}`);
    tip.setAttribute("class", "topo-edge-tip");
    paths.push(path, tip);
  }
  svg.replaceChildren(...paths);
}

function branchLabel(name, task) {
  if (name === "tasks") {
    if (task.values === undefined && task.items === undefined) return null;
    return `for each of ${typeof task.values === "string" ? task.values : "its values"}`;
  }
  if (name.startsWith("cases:")) return `case ${name.slice(6)}`;
  return name;
}

// Every task of the flow's JSON by id (nested ones included), for what the graph does not
// carry: a subflow's namespace and flow, a loop's values.
function taskIndex(flow) {
  const out = new Map();
  const walk = (value) => {
    if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value && typeof value === "object") {
      if (typeof value.id === "string" && typeof value.type === "string" && !out.has(value.id)) {
        out.set(value.id, value);
      }
      for (const [key, item] of Object.entries(value)) {
        if (key !== "inputs" && key !== "triggers" && key !== "source") walk(item);
      }
    }
  };
  walk(flow);
  return out;
}

function isSubflow(n, task) {
  return /(^|\.)Subflow$/.test(n.type) && typeof task.namespace === "string" &&
    typeof task.flowId === "string";
}

// A subflow: a link to its flow, and its own topology expanded in place (coloured by the
// execution it started, on an execution's page).
function subflow(task, executionId, expanded, id) {
  const body = h("div", { class: "topo-sub" });
  const href = `/flows/${enc(task.namespace)}/${enc(task.flowId)}`;
  const button = h("button", { type: "button", class: "small", "aria-expanded": "false" },
    "Expand");
  let opening = false;
  async function open() {
    if (opening) return;
    opening = true;
    button.setAttribute("aria-busy", "true");
    try {
      const execution = executionId ? await get(`/executions/${enc(executionId)}`) : null;
      const [flow, graph] = await loadTopology(task.namespace, task.flowId,
        execution ? execution.flowRevision : undefined);
      button.setAttribute("aria-expanded", "true");
      button.textContent = "Collapse";
      expanded.add(id);
      replace(body, topology(flow, graph, execution ? {
        states: statesByTask(execution), subflows: subflowsByTask(execution),
      } : {}));
    } catch (error) {
      replace(body, h("p", { class: "field-error" }, error.message));
    } finally {
      opening = false;
      button.removeAttribute("aria-busy");
    }
  }
  button.addEventListener("click", () => {
    if (button.getAttribute("aria-expanded") !== "true") {
      open();
      return;
    }
    expanded.delete(id);
    button.setAttribute("aria-expanded", "false");
    button.textContent = "Expand";
    replace(body);
  });
  if (expanded.has(id)) open();
  return [h("p", { class: "topo-label" }, "subflow ", link(href,
    `${task.namespace}.${task.flowId}`), " ", button,
  executionId ? [" ", link(`/executions/${enc(executionId)}`, "its execution")] : null), body];
}
