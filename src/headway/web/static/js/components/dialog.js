// A modal <dialog> with a form: Escape and the Cancel button close it; focus goes to its
// first control (its text selected) and back to what opened it.
import { h } from "../dom.js";

export function formDialog({ title, body, submitLabel, onSubmit, className = "" }) {
  const opener = document.activeElement;
  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const cancel = h("button", { type: "button" }, "Cancel");
  const form = h("form", { method: "dialog", class: "dialog-form", novalidate: true },
    h("h2", {}, title), body, h("div", { class: "actions" }, cancel, submit));
  const dialog = h("dialog", { class: className, "aria-label": title }, form);
  const close = () => dialog.close();
  cancel.addEventListener("click", close);
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener && opener.focus) opener.focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    try {
      if ((await onSubmit()) !== false) close();
    } finally {
      submit.disabled = false;
      submit.removeAttribute("aria-busy");
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = form.querySelector("input, select, textarea");
  (first || submit).focus();
  // Its text selected, as Tab selects it: typing replaces a default (where focus() puts the
  // caret differs: before the text in Chromium, after it in Firefox).
  if (first && typeof first.select === "function") first.select();
  return dialog;
}
