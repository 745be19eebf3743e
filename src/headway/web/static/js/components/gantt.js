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
        h("span", {}, "0"), h("span", {}, formatMillis(span))),
      h("span", { role: "columnheader" }, "Duration")),
    rows.map(({ taskRun: tr, depth }) => {
      const state = tr.state.current;
      const duration = formatMillis(stateMillis(tr.state));
      const label = `${taskRunName(tr)}: ${state}, ${duration}`;
      const span = (record, cls) => {
        const s = record.startDate ? Date.parse(record.startDate) : null;
        if (s === null) return null;
        const e = record.endDate ? Date.parse(record.endDate) :
          isTerminal(record.current) ? s : now;
        return h("span", {
          class: `${cls} state-${record.current.toLowerCase()}`,
          style: { left: pct(s), width: `max(3px, calc(${pct(e)} - ${pct(s)}))` },
        });
      };
      // The TaskRun's whole span, faint, and each attempt on it, solid.
      const attempts = (tr.attempts || []).map((a, i) => {
        const bar = span(a.state, "gantt-attempt");
        if (bar) bar.title = `attempt ${i + 1}: ${a.state.current}, ${formatMillis(stateMillis(a.state))}`;
        return bar;
      });
      const whole = span(tr.state, attempts.length ? "gantt-bar faint" : "gantt-bar");
      if (whole) whole.title = label;
      return h("div", { class: "gantt-row", role: "row", dataset: { taskRun: tr.id } },
        h("span", { role: "cell", class: "gantt-label", style: { paddingLeft: `${depth}rem` },
          title: label }, taskRunName(tr)),
        h("span", { role: "cell", class: "gantt-track", "aria-label": label }, whole, attempts),
        h("span", { role: "cell", class: "gantt-duration" }, duration));
    }));
}
