// A Gantt of TaskRuns: one bar per TaskRun from its state's startDate to its endDate (to
// now while it runs), on the execution's time axis; children indented under their parent.
import { h, formatMillis, stateMillis } from "../dom.js";
import { isTerminal } from "../states.js";

export function taskRunTree(taskRuns) {
  const children = new Map();
  for (const tr of taskRuns) {
    const key = tr.parentTaskRunId || "";
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(tr);
  }
  const ids = new Set(taskRuns.map((tr) => tr.id));
  const out = [];
  const visit = (tr, depth) => {
    out.push({ taskRun: tr, depth });
    for (const child of children.get(tr.id) || []) visit(child, depth + 1);
  };
  for (const tr of taskRuns) {
    if (!tr.parentTaskRunId || !ids.has(tr.parentTaskRunId)) visit(tr, 0);
  }
  return out;
}

export function taskRunName(tr) {
  return tr.value !== null && tr.value !== undefined ? `${tr.taskId} [${tr.value}]` : tr.taskId;
}

export function gantt(execution) {
  const rows = taskRunTree(execution.taskRunList || []);
  if (!rows.length) return h("p", { class: "empty" }, "No TaskRun yet.");
  const now = Date.now();
  const start = Date.parse(execution.state.startDate);
  const end = execution.state.endDate ? Date.parse(execution.state.endDate) : now;
  const span = Math.max(end - start, 1);
  const pct = (t) => `${Math.min(100, Math.max(0, ((t - start) / span) * 100))}%`;
  return h("div", { class: "gantt", role: "table", "aria-label": "TaskRuns over time" },
    h("div", { class: "gantt-row gantt-axis", role: "row" },
      h("span", { role: "columnheader" }, "TaskRun"),
      h("span", { role: "columnheader", class: "gantt-scale" },
        h("span", {}, "0"), h("span", {}, formatMillis(span)))),
    rows.map(({ taskRun: tr, depth }) => {
      const s = tr.state.startDate ? Date.parse(tr.state.startDate) : null;
      const state = tr.state.current;
      const e = tr.state.endDate ? Date.parse(tr.state.endDate) :
        isTerminal(state) ? s : now;
      const duration = formatMillis(stateMillis(tr.state));
      const label = `${taskRunName(tr)}: ${state}, ${duration}`;
      const bar = s === null ? null : h("span", {
        class: `gantt-bar state-${state.toLowerCase()}`,
        style: { left: pct(s), width: `max(3px, calc(${pct(e)} - ${pct(s)}))` },
        title: label,
      });
      return h("div", { class: "gantt-row", role: "row", dataset: { taskRun: tr.id } },
        h("span", { role: "cell", class: "gantt-label", style: { paddingLeft: `${depth}rem` },
          title: label }, taskRunName(tr)),
        h("span", { role: "cell", class: "gantt-track", "aria-label": label }, bar,
          h("span", { class: "gantt-duration" }, duration)));
    }));
}
