// A unified diff shown side by side: the old revision on the left, the new one on the right,
// changed lines paired, each side with its line numbers; or as it came (unified).
import { h } from "../dom.js";

export function parseUnified(text) {
  const rows = [];
  let dels = [];
  let adds = [];
  let left = 0;
  let right = 0;
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) {
      rows.push({ kind: "change", left: dels[i] || null, right: adds[i] || null });
    }
    dels = [];
    adds = [];
  };
  for (const line of text.split("\n")) {
    if (line.startsWith("---") || line.startsWith("+++")) continue;
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      flush();
      left = Number(hunk[1]);
      right = Number(hunk[2]);
      rows.push({ kind: "hunk", text: line });
    } else if (line.startsWith("-")) {
      dels.push({ n: left++, text: line.slice(1) });
    } else if (line.startsWith("+")) {
      adds.push({ n: right++, text: line.slice(1) });
    } else if (line.startsWith(" ")) {
      flush();
      rows.push({ kind: "same", left: { n: left++, text: line.slice(1) },
        right: { n: right++, text: line.slice(1) } });
    }
  }
  flush();
  return rows;
}

export function sideBySide(text, { from, to }) {
  const cell = (side, kind) => side ? [
    h("td", { class: "diff-num" }, String(side.n)),
    h("td", { class: `diff-code ${kind}` }, side.text),
  ] : [h("td", { class: "diff-num" }), h("td", { class: "diff-code empty" })];
  return h("table", { class: "diff-sbs" },
    h("colgroup", {}, h("col", { class: "diff-num-col" }), h("col", {}),
      h("col", { class: "diff-num-col" }), h("col", {})),
    h("thead", {}, h("tr", {}, h("th", { colspan: "2", scope: "col" }, `Revision ${from}`),
      h("th", { colspan: "2", scope: "col" }, `Revision ${to}`))),
    h("tbody", {}, parseUnified(text).map((row) => row.kind === "hunk" ?
      h("tr", { class: "diff-hunk" }, h("td", { colspan: "4" }, row.text)) :
      h("tr", {}, cell(row.left, row.kind === "change" ? "del" : ""),
        cell(row.right, row.kind === "change" ? "add" : "")))));
}

export function unified(text) {
  return h("pre", { class: "diff" }, text.split("\n").map((line) => {
    const kind = line.startsWith("+") && !line.startsWith("+++") ? "add" :
      line.startsWith("-") && !line.startsWith("---") ? "del" :
      line.startsWith("@@") ? "hunk" : "";
    return h("span", { class: `diff-line ${kind}` }, line, "\n");
  }));
}
