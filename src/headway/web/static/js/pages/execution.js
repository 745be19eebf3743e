// An execution: its state live (SSE), the Gantt and the list of its TaskRuns with their
// attempts, logs that follow live, inputs and outputs, and the actions kill, resume (with
// the pause's onResume inputs), restart and replay.
import { permissions } from "../access.js";
import { enc, follow, get, request } from "../api.js";
import { navigate, notify } from "../app.js";
import {
  h, link, formatDate, formatMillis, isEmpty, pretty, replace, stateMillis,
} from "../dom.js";
import { badge, isTerminal } from "../states.js";
import { formDialog } from "../components/dialog.js";
import { gantt, taskRunName, taskRunTree } from "../components/gantt.js";
import { inputsForm } from "../components/inputs-form.js";
import { logsPanel } from "../components/logs.js";
import { fileItem } from "../components/files.js";
import { labelsDialog } from "../components/labels.js";
import {
  loadTopology, statesByTask, subflowsByTask, topology,
} from "../components/topology.js";
import { tabs } from "../components/tabs.js";

// The states the API restarts an execution from (engine/rerun.py, RESTARTABLE).
const RESTARTABLE = ["FAILED", "KILLED"];
const PAUSED_POLL_MS = 3000;
const ACTION_POLLS = 25;

export async function render(main, [id], page) {
  let execution = await get(`/executions/${enc(id)}`);
  // The actions the caller's role does not allow on its namespace are not shown.
  const may = await permissions(execution.namespace);
  if (!page.alive()) return;

  const head = h("div", { class: "page-head" });
  const message = h("div", { id: "action-message", role: "status", "aria-live": "polite" });
  const resumeBox = h("section", { class: "panel resume", id: "resume", hidden: true,
    "aria-labelledby": "resume-title" });
  const timelineBody = h("div", { class: "timeline" });
  const topologyBody = h("div", { class: "topology-body" },
    h("p", { class: "muted" }, "Loading…"));
  const timeline = h("section", { class: "panel", "aria-label": "Timeline and topology" },
    tabs([["Timeline", () => timelineBody], ["Topology", () => topologyBody]]));
  const taskRuns = h("section", { class: "panel", "aria-labelledby": "taskruns-title" });
  const data = h("section", { class: "panel", "aria-labelledby": "outputs-title" });
  const logs = logsPanel(id, page);
  const console_ = consolePanel(id);
  replace(main, head, message, resumeBox, timeline, taskRuns, logs.element, data,
    may.run ? console_.element : null);

  let shownState = null;
  let shownHead = null;
  let shownValues = null;
  let refollow = () => {};
  let shownRuns = null;
  let topologyPromise = null;
  const expandedSubflows = new Set();

  function update(next) {
    execution = next;
    const state = execution.state.current;
    const shown = JSON.stringify([state, execution.labels]);
    if (shown !== shownHead) {
      keepFocus(head, () => replace(head, header(execution, may.run ? actions : null)));
      shownHead = shown;
    }
    if (state !== shownState) {
      shownState = state;
      showResume();
    }
    const runs = JSON.stringify(execution.taskRunList);
    if (runs !== shownRuns) {
      shownRuns = runs;
      replace(timelineBody, gantt(execution));
      keepFocus(taskRuns, () => replace(taskRuns, h("h2", { id: "taskruns-title" }, "TaskRuns"),
        taskRunTable(execution, {
          replay: may.run ? replay : null, setState: may.run ? setState : null,
          showLogs: (tr) => logs.showTaskRun(tr),
        })));
      logs.setTaskRuns(execution.taskRunList || []);
      console_.setTaskRuns(execution.taskRunList || []);
      drawTopology();
    }
    const values = JSON.stringify([execution.inputs, execution.outputs]) + runs;
    if (values !== shownValues) {
      shownValues = values;
      replace(data, h("h2", { id: "outputs-title" }, "Inputs and outputs"),
        inputsOutputs(execution));
    }
  }

  function say(text, kind) {
    replace(message, h("div", { class: `alert ${kind}`, role: kind === "error" ? "alert" : null },
      text));
  }

  async function act(label, method, path, { body, query } = {}) {
    try {
      const answer = await request(method, path, { ...(body || {}), query });
      say(`${label}: requested.`, "success");
      refollow();
      return answer;
    } catch (error) {
      say(`${label} failed: ${error.message}`, "error");
      // The message sits at the top of the page: a notice too when that is scrolled away.
      if (message.getBoundingClientRect().top < 0) {
        notify(`${label} failed: ${error.message}`, "error");
      }
      return null;
    }
  }

  async function replay(tr) {
    const answer = await act(`Replay from ${taskRunName(tr)}`, "POST",
      `/executions/${enc(id)}/replay`, { query: { taskRunId: tr.id } });
    if (answer && answer.id && answer.id !== id) navigate(`/executions/${enc(answer.id)}`);
  }

  function setState(tr) {
    const select = h("select", { id: "new-state" },
      ["SUCCESS", "WARNING", "FAILED"].map((s) => h("option", { value: s }, s)));
    formDialog({
      title: `Change the state of ${taskRunName(tr)}`,
      body: h("div", {},
        h("p", {}, `It is ${tr.state.current}. The execution goes on from the new state, as ` +
          "after a restart."),
        h("div", { class: "field" }, h("label", { for: "new-state" }, "New state"), select)),
      submitLabel: "Change state",
      onSubmit: () => act(`State of ${taskRunName(tr)}`, "POST",
        `/executions/${enc(id)}/state`, { body: { json: { taskRunId: tr.id,
          state: select.value } } }),
    });
  }

  const actions = {
    pause: () => act("Pause", "POST", `/executions/${enc(id)}/pause`),
    forceRun: () => act("Force run", "POST", `/executions/${enc(id)}/force-run`),
    labels: () => labelsDialog(execution.labels || [], (labels) => act("Labels", "POST",
      `/executions/${enc(id)}/labels`, { body: { json: labels }, query: { replace: true } })),
    kill: () => formDialog({
      title: "Kill this execution?",
      body: h("p", {}, "Its running tasks are stopped and its subflows killed."),
      submitLabel: "Kill",
      onSubmit: () => act("Kill", "DELETE", `/executions/${enc(id)}/kill`),
    }),
    restart: async () => {
      const answer = await act("Restart", "POST", `/executions/${enc(id)}/restart`);
      if (answer && answer.id && answer.id !== id) navigate(`/executions/${enc(answer.id)}`);
    },
    replay: () => {
      const first = (execution.taskRunList || [])[0];
      if (first) replay(first);
      else say("Replay: this execution has no TaskRun to replay from.", "error");
    },
    resume: () => {
      resumeBox.scrollIntoView({ block: "center" });
      const focusable = resumeBox.querySelector("input, select, textarea, button");
      if (focusable) focusable.focus();
    },
  };

  function topologyOfExecution() {
    topologyPromise = topologyPromise || loadTopology(execution.namespace, execution.flowId,
      execution.flowRevision);
    return topologyPromise;
  }

  async function flowOfExecution() {
    return (await topologyOfExecution())[0];
  }

  async function drawTopology() {
    try {
      const [flow, graph] = await topologyOfExecution();
      if (page.alive()) {
        keepFocus(topologyBody, () => replace(topologyBody, topology(flow, graph, {
          states: statesByTask(execution), subflows: subflowsByTask(execution),
          expanded: expandedSubflows,
        })));
      }
    } catch (error) {
      replace(topologyBody, h("p", { class: "field-error" }, error.message));
    }
  }

  async function showResume() {
    if (execution.state.current !== "PAUSED" || !may.run) {
      resumeBox.hidden = true;
      return;
    }
    let inputs = [];
    try {
      const flow = await flowOfExecution();
      const paused = (execution.taskRunList || []).filter((tr) => tr.state.current === "PAUSED");
      for (const tr of paused) {
        const task = findTask(flow, tr.taskId);
        if (task && Array.isArray(task.onResume)) inputs = inputs.concat(task.onResume);
      }
    } catch (error) {
      say(`The flow's pause inputs could not be read: ${error.message}`, "error");
    }
    if (!page.alive() || execution.state.current !== "PAUSED") return;
    const form = inputsForm(inputs, { prefix: "resume" });
    const submit = h("button", { type: "submit", class: "primary", id: "resume-submit" },
      "Resume");
    replace(resumeBox,
      h("h2", { id: "resume-title" }, "Waiting for approval"),
      h("p", {}, inputs.length ? "This execution is paused. Fill in what the pause asks for, " +
        "then resume it." : "This execution is paused. Resume it to go on."),
      h("form", { class: "resume-form", onSubmit: async (event) => {
        event.preventDefault();
        form.clearErrors();
        submit.disabled = true;
        try {
          await request("POST", `/executions/${enc(id)}/resume`, form.body());
          say("Resumed.", "success");
          resumeBox.hidden = true;
          refollow();
        } catch (error) {
          form.showError(error);
        } finally {
          submit.disabled = false;
        }
      } }, form.element, h("div", { class: "actions" }, submit)));
    resumeBox.hidden = false;
    if (page.query.get("resume")) {
      resumeBox.scrollIntoView({ block: "center" });
      (resumeBox.querySelector("input, select, textarea") || submit).focus();
    }
  }

  // The follow stream ends when the execution ends or waits for a person (PAUSED). Then,
  // and after an action (resume, restart, kill), the page looks whether the state moved
  // on (soon after an action, every few seconds while paused) and follows again.
  let stopFollowing = () => {};
  let watchTimer = null;
  function startFollowing() {
    stopFollowing();
    stopFollowing = follow(`/executions/${enc(id)}/follow`, {
      execution: (next) => {
        if (page.alive()) update(next);
      },
      end: (info) => {
        if (info.state === "PAUSED") watchChange(signature(execution), PAUSED_POLL_MS);
      },
      deleted: () => say("This execution was deleted.", "error"),
    });
  }
  // After an action, the change is looked for a minute at most; while paused, as long as
  // the page is shown.
  function watchChange(from, delay, tries = Infinity) {
    clearTimeout(watchTimer);
    if (tries <= 0) return;
    watchTimer = setTimeout(async () => {
      try {
        const next = await get(`/executions/${enc(id)}`);
        if (!page.alive()) return;
        if (signature(next) === from) {
          watchChange(from, Math.min(delay * 2, PAUSED_POLL_MS), tries - 1);
          return;
        }
        update(next);
        startFollowing();
        logs.restart();
      } catch {
        watchChange(from, PAUSED_POLL_MS, tries - 1);
      }
    }, delay);
  }
  refollow = () => watchChange(signature(execution), 150, ACTION_POLLS);
  update(execution);
  startFollowing();
  page.onLeave(() => {
    stopFollowing();
    clearTimeout(watchTimer);
  });
  // Running bars of the Gantt grow with the clock.
  const timer = setInterval(() => {
    if (!isTerminal(execution.state.current)) {
      replace(timelineBody, gantt(execution));
    }
  }, 1000);
  page.onLeave(() => clearInterval(timer));
}

// `actions`: null when the caller may not act on this execution (a viewer).
function header(execution, actions) {
  const state = execution.state.current;
  const terminal = isTerminal(state);
  const button = (label, onClick, extra = {}) =>
    h("button", { type: "button", id: `action-${label.toLowerCase().replace(/ /g, "-")}`,
      onClick, ...extra }, label);
  return [
    h("div", {},
      h("p", { class: "crumbs" }, link("/executions", "Executions"), " / ",
        link(`/flows/${enc(execution.namespace)}/${enc(execution.flowId)}`,
          `${execution.namespace}.${execution.flowId}`),
        ` (revision ${execution.flowRevision})`),
      h("h1", {}, h("span", { class: "mono" }, execution.id), " ",
        h("span", { id: "execution-state" }, badge(state))),
      h("p", { class: "meta" },
        `Started ${formatDate(execution.state.startDate)}`,
        execution.state.endDate ? ` · ended ${formatDate(execution.state.endDate)}` : "",
        ` · ${formatMillis(stateMillis(execution.state))}`,
        (execution.labels || []).map((l) => h("span", { class: "tag" }, `${l.key}:${l.value}`)),
        execution.parentId ? [" · parent ", link(`/executions/${enc(execution.parentId)}`,
          execution.parentId)] : null)),
    actions ? h("div", { class: "actions" },
      state === "PAUSED" ? button("Resume", actions.resume, { class: "primary" }) : null,
      state === "RUNNING" ? button("Pause", actions.pause, {
        title: "Running tasks finish; no new task starts until it is resumed",
      }) : null,
      state === "QUEUED" || state === "CREATED" ? button("Force run", actions.forceRun, {
        title: "Start it now, despite its flow's concurrency limit",
      }) : null,
      terminal ? null : button("Kill", actions.kill, { class: "danger" }),
      RESTARTABLE.includes(state) ? button("Restart", actions.restart, {
        title: "Run the failed TaskRuns of this execution again",
      }) : null,
      button("Replay", actions.replay, {
        title: "A new execution from the first TaskRun (each TaskRun has its own Replay)",
      }),
      button("Labels", actions.labels, { title: "Add, change or remove labels" })) : null,
  ];
}

function taskRunTable(execution, { replay, setState, showLogs }) {
  const rows = taskRunTree(execution.taskRunList || []);
  if (!rows.length) return h("p", { class: "empty" }, "No TaskRun yet.");
  return h("table", { class: "table taskruns" },
    h("thead", {}, h("tr", {}, ["TaskRun", "State", "Attempts", "Started", "Duration", ""]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map(({ taskRun: tr, depth }) => h("tr", { dataset: { taskRun: tr.id,
      task: tr.taskId } },
    h("td", { style: { paddingLeft: `${0.5 + depth}rem` } }, taskRunName(tr),
      tr.outputs && typeof tr.outputs.executionId === "string" ? [" ",
        link(`/executions/${enc(tr.outputs.executionId)}`, "subflow execution")] : null),
    h("td", {}, badge(tr.state.current)),
    h("td", {}, attempts(tr)),
    h("td", {}, formatDate(tr.state.startDate)),
    h("td", {}, formatMillis(stateMillis(tr.state))),
    h("td", { class: "actions" },
      h("button", { type: "button", id: `logs-${tr.id}`, class: "small",
        onClick: () => showLogs(tr.id) }, "Logs"),
      replay ? h("button", { type: "button", id: `replay-${tr.id}`, class: "small",
        title: "A new execution that replays from this TaskRun",
        onClick: () => replay(tr) }, "Replay") : null,
      setState && isTerminal(tr.state.current) ? h("button", { type: "button", id: `state-${tr.id}`,
        class: "small", title: "Change the state of this TaskRun",
        onClick: () => setState(tr) }, "State") : null)))));
}

// The expression console: render an expression or a template as a TaskRun sees it.
function consolePanel(id) {
  const taskRun = h("select", { id: "eval-taskrun", "aria-label": "TaskRun" });
  const expression = h("textarea", { id: "eval-expression", class: "mono", rows: 2,
    spellcheck: "false", placeholder: "{{ outputs | keys }}" });
  const result = h("div", { id: "eval-result", role: "status" });
  const form = h("form", { class: "console-form", onSubmit: async (event) => {
    event.preventDefault();
    if (!expression.value.trim() || !taskRun.value) return;
    try {
      const answer = await request("POST", `/executions/${enc(id)}/eval/${enc(taskRun.value)}`,
        { text: expression.value });
      replace(result, answer.error ? h("div", { class: "alert error" }, answer.error) :
        h("pre", { class: "json" }, typeof answer.result === "string" ? answer.result :
          pretty(answer.result)));
    } catch (error) {
      replace(result, h("div", { class: "alert error" }, error.message));
    }
  } },
  h("div", { class: "filters inline" }, taskRun,
    h("label", { for: "eval-expression", class: "visually-hidden" }, "Expression"),
    expression, h("button", { type: "submit" }, "Render")));
  const element = h("section", { class: "panel", "aria-labelledby": "console-title" },
    h("h2", { id: "console-title" }, "Expression console"),
    h("p", { class: "hint" }, "Renders an expression or a template as the chosen TaskRun sees " +
      "it (its outputs, inputs, variables); secrets are masked."),
    form, result);
  return {
    element,
    setTaskRuns(taskRuns) {
      const chosen = taskRun.value;
      replace(taskRun, taskRuns.map((tr) => h("option", { value: tr.id }, taskRunName(tr))));
      if (chosen) taskRun.value = chosen;
      else if (taskRuns.length) taskRun.value = taskRuns[taskRuns.length - 1].id;
    },
  };
}

function attempts(tr) {
  const list = tr.attempts || [];
  if (!list.length) return h("span", { class: "muted" }, "—");
  return h("span", { class: "attempts" }, list.map((a, i) => h("span", {
    class: `dot state-${a.state.current.toLowerCase()}`,
    title: `attempt ${i + 1}: ${a.state.current}, ${formatMillis(stateMillis(a.state))}`,
  })), ` ${list.length}`);
}

function inputsOutputs(execution) {
  const withOutputs = (execution.taskRunList || []).filter((tr) => !isEmpty(tr.outputs));
  return h("div", { class: "kv-grid" },
    h("h3", {}, "Inputs"), jsonBlock(execution.inputs, "No inputs.", null, execution.id),
    h("h3", {}, "Flow outputs"),
    jsonBlock(execution.outputs, "No flow outputs.", "outputs", execution.id),
    h("h3", {}, "TaskRun outputs"),
    withOutputs.length ? taskRunOutputs(withOutputs, execution.id) :
      h("p", { class: "muted" }, "No TaskRun outputs."));
}

// Each TaskRun's outputs; folded when there are many (a loop of 500 items), each then
// drawn when it is opened.
const UNFOLDED = 20;

function taskRunOutputs(taskRuns, executionId) {
  if (taskRuns.length <= UNFOLDED) {
    return h("dl", { class: "outputs" }, taskRuns.map((tr) => [
      h("dt", {}, taskRunName(tr)), h("dd", {}, jsonBlock(tr.outputs, "", null, executionId)),
    ]));
  }
  return h("div", { class: "outputs folded" }, taskRuns.map((tr) => {
    const details = h("details", {}, h("summary", {}, taskRunName(tr)));
    details.addEventListener("toggle", () => {
      if (details.open && details.children.length === 1) {
        details.append(jsonBlock(tr.outputs, "", null, executionId));
      }
    });
    return details;
  }));
}

function jsonBlock(value, empty, id, executionId) {
  if (isEmpty(value)) return h("p", { class: "muted" }, empty);
  const files = filesIn(value);
  return [h("pre", { class: "json", id: id || null }, pretty(value)),
    files.length ? h("ul", { class: "files-out" }, files.map((uri) =>
      fileItem(executionId, uri))) : null];
}

// Files of the execution (kestra:/// URIs) in inputs and outputs, wherever they are.
function filesIn(value, found = []) {
  if (typeof value === "string" && value.startsWith("kestra:///")) found.push(value);
  else if (value && typeof value === "object") {
    for (const item of Object.values(value)) filesIn(item, found);
  }
  return found;
}

// The task of a flow (as JSON) with this id, wherever it is nested.
export function findTask(node, id) {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findTask(item, id);
      if (found) return found;
    }
  } else if (node && typeof node === "object") {
    if (node.id === id && typeof node.type === "string") return node;
    for (const [key, value] of Object.entries(node)) {
      if (key === "inputs" || key === "onResume" || key === "source") continue;
      const found = findTask(value, id);
      if (found) return found;
    }
  }
  return null;
}

// What an action changes: the state, the labels, the TaskRuns and their states (not the
// duration, which grows by itself).
function signature(execution) {
  return JSON.stringify([execution.state.current, execution.labels,
    (execution.taskRunList || []).map((tr) => [tr.id, tr.state.current])]);
}

// Rebuild a part of the page without losing the keyboard focus inside it.
function keepFocus(container, rebuild) {
  const focused = document.activeElement;
  const id = focused && container.contains(focused) ? focused.id : null;
  rebuild();
  if (id) {
    const again = document.getElementById(id);
    if (again) again.focus();
  }
}

