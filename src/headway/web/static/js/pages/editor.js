// The YAML editor: a textarea with line numbers, validated as you type through
// POST /flows/validate (each problem marked at its line), saved with POST (new) or PUT.
import { permissions } from "../access.js";
import { enc, get, request } from "../api.js";
import { navigate, notify } from "../app.js";
import { h, link, replace } from "../dom.js";
import { attachCompletion, vocabulary } from "../components/completion.js";
import { highlightLine } from "../components/yaml.js";

const TEMPLATE = `id: my-flow
namespace: demo
description: What this flow does.

inputs:
  - id: name
    type: STRING
    defaults: World

tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.name }}!"
`;
const DELAY_MS = 300;

export async function render(main, params, page) {
  const [namespace, id] = params;
  const editing = Boolean(id);
  const [source, may] = await Promise.all([editing ?
    get(`/flows/${enc(namespace)}/${enc(id)}`).then((flow) => flow.source) : TEMPLATE,
  permissions(editing ? namespace : null)]);
  if (!page.alive()) return;

  const editor = yamlEditor(source);
  const status = h("span", { class: "validation-status", id: "validation-status",
    role: "status" }, "");
  const problems = h("ul", { class: "problems", id: "problems", "aria-label": "Problems" });
  // Without the editor role (on this namespace, or anywhere for a new flow) the source is
  // read only and there is no Save.
  const save = h("button", { type: "button", class: "primary", id: "save",
    hidden: !may.edit }, "Save");
  if (!may.edit) editor.textarea.readOnly = true;
  replace(main,
    h("div", { class: "page-head" },
      h("div", {},
        h("p", { class: "crumbs" }, link("/flows", "Flows"),
          editing ? [" / ", link(`/flows/${enc(namespace)}/${enc(id)}`,
            `${namespace}.${id}`)] : null),
        h("h1", {}, editing ? `Edit ${id}` : "New flow")),
      h("div", { class: "actions" }, status,
        editing ? h("a", { href: `/flows/${enc(namespace)}/${enc(id)}`, "data-link": true,
          class: "button" }, "Cancel") : null,
        save)),
    may.edit ? h("p", { class: "hint" }, "Ctrl+S saves, Ctrl+Space suggests. Tab indents; " +
      "press Escape, then Tab, to leave the editor.") :
      h("p", { class: "alert info" }, "Your role cannot change flows here: the source is " +
        "read only."),
    editor.element, problems);

  let timer = null;
  let sequence = 0;
  async function validate() {
    const mine = ++sequence;
    const text = editor.value();
    if (!text.trim()) {
      show([{ message: "the flow is empty", line: 1 }]);
      return;
    }
    try {
      const [result] = await request("POST", "/flows/validate", { yaml: text });
      if (mine !== sequence || !page.alive()) return;
      show(result ? problemsOf(result) : []);
    } catch (error) {
      if (mine === sequence) show([{ message: error.message }]);
    }
  }

  function show(found) {
    editor.mark(found);
    status.className = `validation-status ${found.length ? "invalid" : "valid"}`;
    status.textContent = found.length ?
      `${found.length} problem${found.length > 1 ? "s" : ""}` : "✓ Valid";
    replace(problems, found.map((p) => h("li", { dataset: { line: p.line || "" } },
      p.line ? h("button", { type: "button", class: "link", onClick: () => editor.goTo(p.line) },
        `Line ${p.line}`) : null,
      p.line ? ": " : null, p.message)));
  }

  // Closing the tab or reloading with unsaved changes asks first.
  let saved = editor.value();
  const guard = (event) => {
    if (editor.value() !== saved) event.preventDefault();
  };
  addEventListener("beforeunload", guard);
  page.onLeave(() => removeEventListener("beforeunload", guard));
  page.guardLeave(() => editor.value() === saved ||
    confirm("This flow has changes that are not saved. Leave anyway?"));

  editor.textarea.addEventListener("input", () => {
    clearTimeout(timer);
    status.className = "validation-status";
    status.textContent = "Checking…";
    timer = setTimeout(validate, DELAY_MS);
  });
  page.onLeave(() => clearTimeout(timer));

  async function doSave() {
    if (!may.edit) return;
    clearTimeout(timer);
    save.disabled = true;
    try {
      const answer = editing ?
        await request("PUT", `/flows/${enc(namespace)}/${enc(id)}`, { yaml: editor.value() }) :
        await request("POST", "/flows", { yaml: editor.value() });
      notify(`Saved ${answer.namespace}.${answer.id}, revision ${answer.revision}`, "success");
      saved = editor.value();
      navigate(`/flows/${enc(answer.namespace)}/${enc(answer.id)}`);
    } catch (error) {
      const found = (error.body && error.body.problems) || [];
      show(found.length ? found : [{ message: error.message }]);
      notify(error.message, "error");
    } finally {
      save.disabled = false;
    }
  }
  save.addEventListener("click", doSave);
  editor.textarea.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      doSave();
    }
  });
  // Completion, when the server gives the schema of the language.
  get("/plugins/schemas/flow").then((schema) => {
    if (page.alive()) attachCompletion(editor.textarea, editor.element, editor.stack,
      vocabulary(schema));
  }).catch(() => {});
  editor.textarea.setSelectionRange(0, 0);
  editor.textarea.focus();
  validate();
}

function problemsOf(result) {
  if (result.problems && result.problems.length) return result.problems;
  return result.constraints ? [{ message: result.constraints }] : [];
}

// A textarea with transparent text over a backdrop that shows the same text highlighted and
// marks the lines with problems, beside a gutter of line numbers; the three scroll together.
function yamlEditor(source) {
  const textarea = h("textarea", { class: "editor-text", id: "flow-source", wrap: "off",
    spellcheck: "false", autocapitalize: "off", autocomplete: "off",
    "aria-label": "Flow YAML", "aria-describedby": "problems" });
  textarea.value = source;
  const numbers = h("div", { class: "gutter-lines" });
  const gutter = h("div", { class: "editor-gutter", "aria-hidden": "true" }, numbers);
  const backdrop = h("div", { class: "editor-backdrop", "aria-hidden": "true" });
  const stack = h("div", { class: "editor-stack" }, backdrop, textarea);
  const element = h("div", { class: "editor" }, gutter, stack);
  let marks = new Map();

  function draw() {
    const text = textarea.value.split("\n");
    const count = text.length;
    const rows = [];
    const bands = [];
    for (let n = 1; n <= count; n++) {
      const problem = marks.get(n);
      rows.push(h("div", { class: problem ? "gutter-line error" : "gutter-line",
        dataset: { line: n }, title: problem || null }, problem ? `⚠ ${n}` : String(n)));
      bands.push(h("div", { class: problem ? "band error" : "band" },
        h("code", {}, highlightLine(text[n - 1]), "\u200b"),
        problem ? h("span", { class: "band-message" }, problem) : null));
    }
    replace(numbers, rows);
    replace(backdrop, bands);
    scroll();
  }

  function scroll() {
    numbers.style.transform = `translateY(${-textarea.scrollTop}px)`;
    backdrop.style.transform = `translate(${-textarea.scrollLeft}px, ${-textarea.scrollTop}px)`;
  }

  let escaped = false;
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      escaped = true;
      return;
    }
    if (event.key === "Tab" && !escaped && !event.shiftKey && !textarea.readOnly) {
      event.preventDefault();
      textarea.setRangeText("  ", textarea.selectionStart, textarea.selectionEnd, "end");
      textarea.dispatchEvent(new Event("input"));
    }
    escaped = false;
  });
  textarea.addEventListener("input", draw);
  textarea.addEventListener("scroll", scroll);
  draw();

  return {
    element,
    stack,
    textarea,
    value: () => textarea.value,
    mark(problems) {
      marks = new Map();
      for (const p of problems) {
        if (!p.line) continue;
        const before = marks.get(p.line);
        marks.set(p.line, before ? `${before}; ${p.message}` : p.message);
      }
      draw();
    },
    goTo(line) {
      const all = textarea.value.split("\n");
      const offset = all.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
      textarea.focus();
      textarea.setSelectionRange(offset, offset + (all[line - 1] || "").length);
      const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
      textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
    },
  };
}
