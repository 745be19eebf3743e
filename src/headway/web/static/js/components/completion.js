// Completion in the YAML editor from the JSON Schema of the language (served by the API at
// /plugins/schemas/flow, as Kestra's is): after `type:` the task, trigger or input types
// that fit where the cursor is; at the start of a key, the keys of the mapping it is in (a
// task's properties from its type, an input's, a trigger's, the flow's). Ctrl+Space asks;
// typing a key or a type opens it by itself. Arrows choose, Enter or Tab takes, Escape
// closes.
import { h, replace } from "../dom.js";

const MAX = 12;

export function vocabulary(schema) {
  const defs = schema.$defs || {};
  const props = (def) => Object.keys((def && def.properties) || {});
  const deref = (ref) => defs[String(ref).split("/").pop()];
  const taskTypes = new Map();
  for (const option of (defs.Task && defs.Task.oneOf) || []) {
    const def = deref(option.$ref);
    const names = (def && def.properties && def.properties.type && def.properties.type.enum) || [];
    for (const name of names) taskTypes.set(name, props(def));
  }
  const triggers = (schema.properties.triggers || {}).items || {};
  const triggerTypes = new Map(((triggers.properties || {}).type || {}).enum
    ?.map((name) => [name, props(triggers)]) || []);
  const inputs = (schema.properties.inputs || {}).items || {};
  const mapping = (inputs.discriminator && inputs.discriminator.mapping) || {};
  const inputTypes = new Map(Object.entries(mapping).map(([name, ref]) =>
    [name, props(deref(ref))]));
  return { root: props(schema), taskTypes, triggerTypes, inputTypes };
}

const INPUT_PARENTS = new Set(["inputs", "onResume"]);

// Where the cursor is: the text before it on its line, the mapping's other keys and its
// `type`, and the key of the list or mapping that holds it.
export function context(text, caret) {
  const lines = text.slice(0, caret).split("\n");
  const index = lines.length - 1;
  const before = lines[index];
  const all = text.split("\n");
  const keyCol = (line) => {
    const m = /^(\s*(?:-\s+)*)(\S)/.exec(line);
    return m ? m[1].length : -1;
  };
  const col = keyCol(before.trim() ? before : before + "x");
  // The mapping: lines around at the same key column, up to a shallower line or a new item.
  const siblings = [];
  for (let i = index; i >= 0; i--) {
    const line = all[i];
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const c = keyCol(line);
    if (i !== index && c < col) break;
    if (c === col) siblings.push(line);
    if (c === col && /^\s*-\s/.test(line)) break;
  }
  for (let i = index + 1; i < all.length; i++) {
    const line = all[i];
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const c = keyCol(line);
    if (c < col || (c === col && /^\s*-\s/.test(line))) break;
    if (c === col) siblings.push(line);
  }
  let parent = null;
  const itemIndent = (/^(\s*)/.exec(siblings.find((l) => /^\s*-\s/.test(l)) || before))[1].length;
  for (let i = index - 1; i >= 0; i--) {
    const line = all[i];
    if (!line.trim() || line.trim().startsWith("#")) continue;
    if (keyCol(line) < Math.min(col, itemIndent + 1)) {
      const m = /^\s*(?:-\s+)?([\w.-]+):\s*$/.exec(line);
      parent = m ? m[1] : null;
      break;
    }
  }
  const keys = new Set();
  let type = null;
  for (const line of siblings) {
    const m = /^\s*(?:-\s+)?([\w.-]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    keys.add(m[1]);
    if (m[1] === "type") type = m[2].replace(/^["']|["']$/g, "").trim();
  }
  return { before, col, parent, keys, type };
}

export function suggestions(vocab, ctx) {
  const typed = /^\s*(?:-\s+)?type:\s*(\S*)$/.exec(ctx.before);
  if (typed) {
    const pool = INPUT_PARENTS.has(ctx.parent) ? vocab.inputTypes :
      ctx.parent === "triggers" ? vocab.triggerTypes : vocab.taskTypes;
    return { prefix: typed[1], value: true, items: rank([...pool.keys()], typed[1]) };
  }
  const key = /^\s*(?:-\s+)?([\w.-]*)$/.exec(ctx.before);
  if (!key) return null;
  let pool;
  if (ctx.col === 0) pool = vocab.root;
  else if (INPUT_PARENTS.has(ctx.parent)) {
    pool = vocab.inputTypes.get(ctx.type || "STRING") || [];
  } else if (ctx.parent === "triggers") {
    pool = [...vocab.triggerTypes.values()][0] || ["id", "type"];
  } else {
    pool = vocab.taskTypes.get(ctx.type) || ["id", "type", "description", "retry",
      "timeout", "disabled", "allowFailure", "runIf", "logLevel"];
  }
  const free = pool.filter((k) => !ctx.keys.has(k) || k === key[1]);
  return { prefix: key[1], value: false, items: rank(free, key[1]) };
}

function rank(names, prefix) {
  const low = prefix.toLowerCase();
  const starts = names.filter((n) => n.toLowerCase().startsWith(low));
  const inside = names.filter((n) => !n.toLowerCase().startsWith(low) &&
    n.toLowerCase().includes(low));
  // Kestra's current names first, then short names, then legacy ones.
  const weight = (n) => (n.startsWith("io.kestra.plugin.") ? 0 : n.includes(".") &&
    n.startsWith("io.") ? 2 : 1);
  const sorted = (list) => list.sort((a, b) => weight(a) - weight(b) || a.localeCompare(b));
  return [...sorted(starts), ...sorted(inside)].slice(0, MAX);
}

// The popup under the cursor, wired to the textarea; `box` is the positioned element that
// holds it (the editor), `stack` the part of it where the text starts.
export function attachCompletion(textarea, box, stack, vocab) {
  const list = h("ul", { class: "completion", role: "listbox", id: "completion",
    "aria-label": "Suggestions", hidden: true });
  box.append(list);
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", "completion");
  let current = null;
  let active = 0;

  function close() {
    list.hidden = true;
    current = null;
    textarea.removeAttribute("aria-activedescendant");
  }

  function open() {
    const ctx = context(textarea.value, textarea.selectionStart);
    const found = suggestions(vocab, ctx);
    if (!found || !found.items.length ||
        (found.items.length === 1 && found.items[0] === found.prefix)) {
      close();
      return;
    }
    current = found;
    active = 0;
    draw();
    const lineIndex = textarea.value.slice(0, textarea.selectionStart).split("\n").length - 1;
    const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
    const charWidth = measure(textarea);
    const padLeft = parseFloat(getComputedStyle(textarea).paddingLeft) || 0;
    const padTop = parseFloat(getComputedStyle(textarea).paddingTop) || 0;
    list.style.top = `${stack.offsetTop + padTop + (lineIndex + 1) * lineHeight -
      textarea.scrollTop}px`;
    list.style.left = `${stack.offsetLeft + padLeft +
      (ctx.before.length - found.prefix.length) * charWidth - textarea.scrollLeft}px`;
    list.hidden = false;
  }

  function draw() {
    replace(list, current.items.map((item, i) => h("li", {
      role: "option", id: `completion-${i}`, "aria-selected": String(i === active),
      onMousedown: (event) => {
        event.preventDefault();
        active = i;
        accept();
      },
    }, item)));
    textarea.setAttribute("aria-activedescendant", `completion-${active}`);
  }

  function accept() {
    const item = current.items[active];
    const end = textarea.selectionStart;
    const insert = current.value ? item : `${item}: `;
    textarea.setRangeText(insert, end - current.prefix.length, end, "end");
    close();
    textarea.dispatchEvent(new Event("input"));
  }

  textarea.addEventListener("keydown", (event) => {
    if (event.ctrlKey && event.key === " ") {
      event.preventDefault();
      open();
      return;
    }
    if (!current) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const n = current.items.length;
      active = (active + (event.key === "ArrowDown" ? 1 : n - 1)) % n;
      draw();
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      event.stopImmediatePropagation();
      accept();
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopImmediatePropagation();
      close();
    }
  }, true);
  textarea.addEventListener("input", (event) => {
    if (!event.isTrusted && !event.inputType) return;
    const before = textarea.value.slice(0, textarea.selectionStart).split("\n").pop();
    if (/^\s*(?:-\s+)?(type:\s*\S*|[\w.-]+)$/.test(before)) open();
    else close();
  });
  textarea.addEventListener("blur", close);
  textarea.addEventListener("scroll", close);
}

let canvas = null;
function measure(textarea) {
  canvas = canvas || document.createElement("canvas");
  const context2d = canvas.getContext("2d");
  const style = getComputedStyle(textarea);
  context2d.font = `${style.fontSize} ${style.fontFamily}`;
  return context2d.measureText("M").width;
}
