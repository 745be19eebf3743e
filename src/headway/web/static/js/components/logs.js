// Logs of an execution: followed live over SSE from the first line, kept after the run,
// filtered by level, TaskRun and text in the browser.
import { download, enc, follow } from "../api.js";
import { notify } from "../app.js";
import { h, formatTime, replace } from "../dom.js";
import { taskRunName } from "./gantt.js";

const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

export function logsPanel(executionId, page) {
  const entries = [];
  const level = h("select", { id: "log-level", "aria-label": "Minimum level" },
    LEVELS.map((l) => h("option", { value: l }, l)));
  level.value = "INFO";
  const taskRun = h("select", { id: "log-taskrun", "aria-label": "TaskRun" },
    h("option", { value: "" }, "All TaskRuns"));
  const search = h("input", { id: "log-search", type: "search", placeholder: "Search logs",
    "aria-label": "Search logs" });
  const status = h("span", { class: "muted", id: "log-status", role: "status" }, "connecting…");
  const list = h("div", { class: "logs", id: "logs", tabindex: "0", role: "log",
    "aria-label": "Logs" });
  const element = h("section", { class: "panel", "aria-labelledby": "logs-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "logs-title" }, "Logs"),
      h("div", { class: "filters inline" }, level, taskRun, search,
        h("button", { type: "button", onClick: () =>
          download(`/logs/${enc(executionId)}/download`, `${executionId}.log`)
            .catch((error) => notify(error.message, "error")) }, "Download"))),
    status, list);

  const visible = (entry) =>
    LEVELS.indexOf(entry.level) >= LEVELS.indexOf(level.value) &&
    (!taskRun.value || entry.taskRunId === taskRun.value) &&
    (!search.value || entry.message.toLowerCase().includes(search.value.toLowerCase()));

  const row = (entry) => h("div", {
    class: `log-line level-${entry.level.toLowerCase()}`,
    dataset: { taskRun: entry.taskRunId || "", level: entry.level },
  },
  h("span", { class: "log-time" }, formatTime(entry.timestamp)),
  h("span", { class: "log-level" }, entry.level),
  h("span", { class: "log-task" }, entry.taskId || ""),
  h("span", { class: "log-message" }, entry.message));

  function redraw() {
    pending = [];
    const shown = entries.filter(visible);
    replace(list, shown.length ? shown.map(row) :
      h("p", { class: "empty" }, entries.length ? "No line matches the filters." : "No log yet."));
    list.scrollTop = list.scrollHeight;
  }
  for (const control of [level, taskRun]) control.addEventListener("change", redraw);
  search.addEventListener("input", redraw);

  // Lines that arrive together are drawn together, once per frame: reading the list's
  // size after each line would lay the page out 500 times for 500 lines.
  let pending = [];
  function queue(entry) {
    if (!pending.length) requestAnimationFrame(flush);
    pending.push(entry);
  }
  function flush() {
    const lines = pending;
    pending = [];
    if (!lines.length) return;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    if (list.querySelector(".empty")) list.replaceChildren();
    list.append(...lines.map(row));
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  let stop = () => {};
  // The stream ends when the execution ends or waits for a person (PAUSED); `restart`
  // follows again once it is resumed.
  function start() {
    stop();
    stop = follow(`/logs/${enc(executionId)}/follow`, {
      open: () => {
        // A (re)connected stream starts again from the first line.
        entries.length = 0;
        status.textContent = "following live";
        redraw();
      },
      log: (entry) => {
        entries.push(entry);
        if (visible(entry)) queue(entry);
      },
      end: (info) => {
        status.textContent = info.state === "PAUSED" ?
          `${entries.length} lines; paused, waiting to be resumed` :
          `${entries.length} lines; the execution has ended`;
      },
    });
  }
  start();
  page.onLeave(() => stop());
  redraw();

  return {
    element,
    restart: start,
    // Offer each TaskRun in the filter, keeping the current choice.
    setTaskRuns(taskRuns) {
      const chosen = taskRun.value;
      replace(taskRun, h("option", { value: "" }, "All TaskRuns"),
        taskRuns.map((tr) => h("option", { value: tr.id }, taskRunName(tr))));
      taskRun.value = chosen;
    },
    showTaskRun(id) {
      taskRun.value = id;
      redraw();
      element.scrollIntoView({ block: "start" });
      list.focus();
    },
  };
}
