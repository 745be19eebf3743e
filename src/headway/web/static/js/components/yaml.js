// Read-only YAML with line numbers and light highlighting: keys, strings, numbers,
// booleans, comments and Pebble expressions ({{ }}, {% %}).
import { h } from "../dom.js";

const KEY = /^(\s*(?:-\s+)?)((?:"[^"]*"|'[^']*'|[^\s#:'"][^:#]*?))(:)(?=\s|$)/;
const TOKENS = /(\{\{.*?\}\}|\{%.*?%\}|"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|\s#.*$|^#.*$)/;
const SCALAR = /^\s*(true|false|null|~|-?\d+(?:\.\d+)?)\s*$/i;

export function highlightLine(line) {
  const parts = [];
  let rest = line;
  const key = KEY.exec(rest);
  if (key) {
    parts.push(key[1], h("span", { class: "y-key" }, key[2]), h("span", { class: "y-punct" }, ":"));
    rest = rest.slice(key[0].length);
  } else {
    const dash = /^(\s*-)(\s|$)/.exec(rest);
    if (dash) {
      parts.push(h("span", { class: "y-punct" }, dash[1]));
      rest = rest.slice(dash[1].length);
    }
  }
  if (SCALAR.test(rest)) {
    parts.push(h("span", { class: "y-scalar" }, rest));
    return parts;
  }
  for (const piece of rest.split(TOKENS)) {
    if (!piece) continue;
    if (piece.startsWith("{{") || piece.startsWith("{%")) {
      parts.push(h("span", { class: "y-expr" }, piece));
    } else if (piece.startsWith('"') || piece.startsWith("'")) {
      parts.push(...stringWithExpressions(piece));
    } else if (/^\s?#/.test(piece)) {
      parts.push(h("span", { class: "y-comment" }, piece));
    } else {
      parts.push(piece);
    }
  }
  return parts;
}

function stringWithExpressions(text) {
  return text.split(/(\{\{.*?\}\}|\{%.*?%\})/).filter(Boolean).map((piece) =>
    h("span", { class: piece.startsWith("{") ? "y-expr" : "y-string" }, piece));
}

export function yamlView(source, { markLines = new Map() } = {}) {
  const lines = source.replace(/\n$/, "").split("\n");
  const rows = lines.map((line, index) => {
    const number = index + 1;
    const problem = markLines.get(number);
    return h("div", { class: problem ? "y-line y-error" : "y-line", title: problem || null },
      h("span", { class: "y-num", "aria-hidden": "true" }, String(number)),
      h("code", {}, highlightLine(line), "\n"));
  });
  return h("pre", { class: "yaml-view", tabindex: "0", "aria-label": "Flow source" }, rows);
}
