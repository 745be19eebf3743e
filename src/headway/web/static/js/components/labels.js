// The labels editor of an execution: its labels, each with a Remove button, and a key and
// value to add (or to change the value of a key). `save` gets the labels as they should be
// (the API's `?replace=true`).
import { h, replace } from "../dom.js";
import { formDialog } from "./dialog.js";

export function labelsDialog(labels, save) {
  const kept = labels.map((l) => ({ key: l.key, value: l.value }));
  const list = h("ul", { class: "label-list", "aria-label": "Current labels" });
  const key = h("input", { id: "label-key", autocomplete: "off" });
  const value = h("input", { id: "label-value", autocomplete: "off" });

  function draw() {
    replace(list, kept.length ? kept.map((l, i) => h("li", {},
      h("span", { class: "tag" }, `${l.key}:${l.value}`),
      h("button", { type: "button", class: "small", "aria-label": `Remove ${l.key}:${l.value}`,
        onClick: () => {
          kept.splice(i, 1);
          draw();
          const next = list.querySelectorAll("button")[Math.min(i, kept.length - 1)];
          (next || key).focus();
        } }, "Remove"))) :
      h("li", { class: "muted" }, "No label."));
  }
  draw();

  formDialog({
    title: "Labels",
    body: h("div", {}, list,
      h("p", { class: "muted" }, "Add a label, or give a key that exists a new value:"),
      h("div", { class: "field-row" },
        h("div", { class: "field" }, h("label", { for: "label-key" }, "Key"), key),
        h("div", { class: "field" }, h("label", { for: "label-value" }, "Value"), value))),
    submitLabel: "Save labels",
    onSubmit: () => {
      const added = key.value.trim();
      const next = kept.filter((l) => l.key !== added);
      if (added) next.push({ key: added, value: value.value });
      return save(next);
    },
  });
}
