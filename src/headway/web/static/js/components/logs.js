// Logs of an execution: followed live over SSE from the first line, kept after the run,
// filtered by level, TaskRun and text in the browser.
import { download, enc, follow } from "../api.js";
import { notify } from "../app.js";
import { h, formatTime, replace } from "../dom.js";
import { taskRunName } from "./gantt.js";

const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];
const CHUNK = 200;
const FRAME_BUDGET_MS = 12;
const SEARCH_DELAY_MS = 150;

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

  // Lines are drawn a frame at a time, within a time budget, so that 10,000 lines arriving
  // together (or a filter over them) never freeze the page; they go into blocks of CHUNK
  // lines, and a full block is skipped by layout while it is off screen
  // (`content-visibility: auto`, app.css).
  let pending = [];
  let drawn = 0;
  let block = null;
  let frame = 0;

  function redraw() {
    pending = entries.filter(visible);
    drawn = 0;
    block = null;
    replace(list, pending.length ? null :
      h("p", { class: "empty" }, entries.length ? "No line matches the filters." : "No log yet."));
    follows = true;
    schedule();
  }
  for (const control of [level, taskRun]) control.addEventListener("change", redraw);
  let typing = null;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(redraw, SEARCH_DELAY_MS);
  });

  function queue(entry) {
    if (!pending.length && !drawn && list.querySelector(".empty")) list.replaceChildren();
    pending.push(entry);
    schedule();
  }
  function schedule() {
    if (!frame && pending.length) frame = requestAnimationFrame(flush);
  }
  // Whether the list keeps to its last line: yes until the reader scrolls away from it
  // (blocks laid out late move the end by themselves: only the reader's own scrolling
  // counts), and again once they are back at the end.
  let follows = true;
  let reader = false;
  for (const type of ["wheel", "keydown", "pointerdown", "touchstart"]) {
    list.addEventListener(type, () => {
      reader = true;
    }, { passive: true });
  }
  list.addEventListener("scroll", () => {
    if (list.scrollHeight - list.scrollTop - list.clientHeight < 40) follows = true;
    else if (reader) follows = false;
  });
  function toEnd() {
    if (!follows) return;
    list.scrollTop = list.scrollHeight;
  }
  function flush() {
    frame = 0;
    if (!pending.length) return;
    const until = performance.now() + FRAME_BUDGET_MS;
    let done = 0;
    do {
      if (!block || block.childElementCount >= CHUNK) {
        block = h("div", { class: "log-chunk" });
        list.append(block);
      }
      const end = Math.min(pending.length, done + CHUNK - block.childElementCount);
      const rows = [];
      for (let i = done; i < end; i++) rows.push(row(pending[i]));
      block.append(...rows);
      if (block.childElementCount >= CHUNK) block.classList.add("full");
      done = end;
    } while (done < pending.length && performance.now() < until);
    pending = pending.slice(done);
    drawn += done;
    toEnd();
    // The last block's real height is known after this frame's layout.
    requestAnimationFrame(toEnd);
    schedule();
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
