// The topology of a flow, drawn from its JSON: a sequence of tasks top to bottom, flowable
// tasks as groups around their branches (If's then/else, Switch's cases, Parallel's children
// side by side, a Dag's tasks with what they depend on), errors and finally apart, subflows
// expandable in place. On an execution's page each task is coloured by the state of its
// TaskRuns (a task in a loop shows how many it had).
import { enc, get } from "../api.js";
import { h, link, replace } from "../dom.js";
import { badge } from "../states.js";

// `states`: task id -> {state, count}, from an execution's TaskRuns.
export function topology(flow, { states = new Map() } = {}) {
  const sections = [["tasks", flow.tasks], ["errors", flow.errors], ["finally", flow.finally],
    ["afterExecution", flow.afterExecution]].filter(([, tasks]) => tasks && tasks.length);
  return h("div", { class: "topology", role: "tree", "aria-label": `Tasks of ${flow.id}` },
    sections.map(([name, tasks]) => h("div", { class: `topo-section topo-${name}` },
      name === "tasks" ? null : h("p", { class: "topo-label" }, name),
      sequence(tasks, states))));
}

export function statesByTask(execution) {
  const out = new Map();
  for (const tr of execution.taskRunList || []) {
    const seen = out.get(tr.taskId);
    out.set(tr.taskId, { state: tr.state.current, count: seen ? seen.count + 1 : 1 });
  }
  return out;
}

function sequence(tasks, states) {
  return h("ol", { class: "topo-seq", role: "group" },
    (tasks || []).map((task) => h("li", { role: "treeitem" }, node(task, states))));
}

function node(task, states) {
  if (!task || typeof task !== "object") return null;
  const type = String(task.type || "");
  const short = type.split(".").pop();
  const seen = states.get(task.id);
  const head = h("div", { class: "topo-head" },
    h("span", { class: "topo-id" }, task.id),
    h("span", { class: "topo-type", title: type }, short),
    task.dependsOn && task.dependsOn.length ?
      h("span", { class: "topo-after" }, `after ${task.dependsOn.join(", ")}`) : null,
    seen ? [badge(seen.state), seen.count > 1 ? h("span", { class: "tag" }, `×${seen.count}`) :
      null] : null,
    task.disabled ? h("span", { class: "tag" }, "disabled") : null);
  const state = seen ? ` state-${seen.state.toLowerCase()}` : "";
  const parts = branches(task);
  if (isSubflow(task)) {
    return h("div", { class: `topo-node topo-subflow${state}`, dataset: { task: task.id } },
      head, subflow(task));
  }
  if (!parts.length) {
    return h("div", { class: `topo-node${state}`, dataset: { task: task.id } }, head);
  }
  const side = parts.length > 1;
  return h("div", { class: `topo-group${state}`, dataset: { task: task.id } }, head,
    h("div", { class: side ? "topo-branches side" : "topo-branches" },
      parts.map((part) => h("div", { class: "topo-branch" },
        part.label ? h("p", { class: "topo-label" }, part.label) : null,
        sequence(part.tasks, states)))));
}

function branches(task) {
  const out = [];
  if (Array.isArray(task.then)) {
    out.push({ label: "then", tasks: task.then });
    if (Array.isArray(task.else)) out.push({ label: "else", tasks: task.else });
  } else if (task.cases && typeof task.cases === "object") {
    for (const [key, tasks] of Object.entries(task.cases)) {
      out.push({ label: `case ${key}`, tasks });
    }
    if (Array.isArray(task.defaults)) out.push({ label: "defaults", tasks: task.defaults });
  } else if (Array.isArray(task.tasks)) {
    const dag = task.tasks.some((t) => t && t.task);
    const children = dag ? task.tasks.map((t) => ({ ...t.task, dependsOn: t.dependsOn })) :
      task.tasks;
    const type = String(task.type || "");
    if (/Parallel$/.test(type) && children.length > 1) {
      for (const child of children) out.push({ label: null, tasks: [child] });
    } else {
      out.push({ label: eachLabel(task), tasks: children });
    }
  }
  if (Array.isArray(task.errors) && task.errors.length) {
    out.push({ label: "errors", tasks: task.errors });
  }
  if (Array.isArray(task.finally) && task.finally.length) {
    out.push({ label: "finally", tasks: task.finally });
  }
  return out;
}

function eachLabel(task) {
  if (task.values === undefined && task.items === undefined) return null;
  return `for each of ${typeof task.values === "string" ? task.values : "its values"}`;
}

function isSubflow(task) {
  return /(^|\.)Subflow$/.test(String(task.type || "")) && task.namespace && task.flowId;
}

function subflow(task) {
  const box = h("div", { class: "topo-sub" });
  const href = `/flows/${enc(task.namespace)}/${enc(task.flowId)}`;
  const button = h("button", { type: "button", class: "small", "aria-expanded": "false" },
    "Expand");
  button.addEventListener("click", async () => {
    if (button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      button.textContent = "Expand";
      replace(box);
      return;
    }
    try {
      const flow = await get(href);
      button.setAttribute("aria-expanded", "true");
      button.textContent = "Collapse";
      replace(box, topology(flow, { states: new Map() }));
    } catch (error) {
      replace(box, h("p", { class: "field-error" }, error.message));
    }
  });
  return [h("p", { class: "topo-label" }, "subflow ", link(href,
    `${task.namespace}.${task.flowId}`), " ", button), box];
}
