// A form generated from a flow's inputs (or a pause's onResume inputs): one control per
// input type, defaults filled in, and the API's validation message shown next to the
// form and next to the input it names.
import { h, pretty, replace } from "../dom.js";

const TEXT_TYPES = { STRING: "text", EMAIL: "email", URI: "url", SECRET: "password" };

export function inputsForm(inputs, { prefix = "input" } = {}) {
  const fields = (inputs || []).map((input) => field(input, prefix));
  const alert = h("div", { class: "alert error", role: "alert", hidden: true });
  const element = h("div", { class: "inputs-form" }, alert,
    fields.length ? fields.map((f) => f.row) : h("p", { class: "muted" }, "No inputs."));

  return {
    element,
    hasInputs: fields.length > 0,
    // The values to send: `{json}` or, when a file is chosen, `{form}` (multipart).
    body() {
      const values = {};
      const files = {};
      for (const f of fields) {
        const value = f.value();
        if (value instanceof File) files[f.input.id] = value;
        else if (value !== undefined) values[f.input.id] = value;
      }
      if (!Object.keys(files).length) return { json: values };
      const form = new FormData();
      for (const [key, value] of Object.entries(values)) {
        form.append(key, typeof value === "string" ? value : JSON.stringify(value));
      }
      for (const [key, file] of Object.entries(files)) form.append(key, file, file.name);
      return { form };
    },
    showError(error) {
      this.clearErrors();
      alert.hidden = false;
      replace(alert, error.message || String(error));
      const named = error.body && error.body.input;
      const target = fields.find((f) => f.input.id === named);
      if (target) {
        target.error.hidden = false;
        target.error.textContent = error.message;
        target.control.setAttribute("aria-invalid", "true");
      }
    },
    clearErrors() {
      alert.hidden = true;
      for (const f of fields) {
        f.error.hidden = true;
        f.control.removeAttribute("aria-invalid");
      }
    },
  };
}

function field(input, prefix) {
  const type = String(input.type || "STRING").toUpperCase();
  const id = `${prefix}-${input.id}`;
  const required = input.required !== false && input.defaults === undefined;
  const { control, value } = controlFor(type, input, id);
  const error = h("span", { class: "field-error", id: `${id}-error`, hidden: true });
  control.setAttribute("aria-describedby", `${id}-error`);
  if (required && type !== "BOOLEAN" && type !== "BOOL") control.required = true;
  const label = h("label", { for: id },
    input.displayName || input.id,
    required ? h("span", { class: "required", title: "required", "aria-hidden": "true" },
      " *") : null,
    h("span", { class: "input-type", "aria-hidden": "true" }, type));
  const row = h("div", { class: "field", dataset: { input: input.id, type } },
    label, control,
    input.description ? h("span", { class: "hint" }, input.description) : null,
    error);
  return { input, row, control, error, value };
}

function controlFor(type, input, id) {
  const name = input.id;
  const defaults = input.defaults;
  if (type in TEXT_TYPES) {
    const control = h("input", { id, name, type: TEXT_TYPES[type], value: scalar(defaults) });
    return { control, value: () => text(control) };
  }
  if (type === "INT" || type === "FLOAT") {
    const control = h("input", {
      id, name, type: "number", step: type === "INT" ? "1" : "any",
      min: input.min ?? null, max: input.max ?? null, value: scalar(defaults),
    });
    return { control, value: () => (control.value === "" ? undefined : Number(control.value)) };
  }
  if (type === "BOOLEAN" || type === "BOOL") {
    const control = h("input", { id, name, type: "checkbox", checked: defaults === true });
    return { control, value: () => control.checked };
  }
  if (type === "DATETIME") {
    const control = h("input", { id, name, type: "datetime-local", step: "1",
      value: localDateTime(defaults) });
    return {
      control,
      value: () => (control.value ? new Date(control.value).toISOString() : undefined),
    };
  }
  if (type === "DATE" || type === "TIME") {
    const control = h("input", { id, name, type: type.toLowerCase(), step: "1",
      value: scalar(defaults) });
    return { control, value: () => text(control) };
  }
  if (type === "DURATION") {
    const control = h("input", { id, name, type: "text", placeholder: "PT1H30M",
      value: scalar(defaults) });
    return { control, value: () => text(control) };
  }
  if (type === "SELECT" || type === "ENUM") return selectControl(input, id, defaults);
  if (type === "MULTISELECT") {
    const options = (input.values || input.options || []).map(option);
    const chosen = new Set(Array.isArray(defaults) ? defaults.map(String) : []);
    const control = h("select", { id, name, multiple: true, size: Math.min(6, options.length) },
      options.map((o) => h("option", { value: o.value, selected: chosen.has(o.value) }, o.label)));
    return {
      control,
      value: () => {
        const picked = [...control.selectedOptions].map((o) => o.value);
        return picked.length ? picked : undefined;
      },
    };
  }
  if (type === "FILE") {
    const accept = (input.acceptedExtensions || []).join(",") || null;
    const control = h("input", { id, name, type: "file", accept });
    return { control, value: () => (control.files && control.files[0]) || undefined };
  }
  // JSON, YAML, ARRAY and anything newer: text, parsed as JSON where it parses.
  const initial = defaults === undefined ? "" : typeof defaults === "string" ? defaults :
    Array.isArray(defaults) ? JSON.stringify(defaults) : pretty(defaults);
  const control = h("textarea", { id, name, rows: 4, spellcheck: "false", class: "mono" });
  control.value = initial;
  return {
    control,
    value: () => {
      const raw = control.value.trim();
      if (!raw) return undefined;
      if (type === "YAML") return control.value;
      try {
        return JSON.parse(raw);
      } catch {
        return type === "ARRAY" ? raw.split("\n").map((s) => s.trim()).filter(Boolean) : raw;
      }
    },
  };
}

function selectControl(input, id, defaults) {
  const options = (input.values || []).map(option);
  if (input.allowCustomValue) {
    const listId = `${id}-values`;
    const control = h("input", { id, name: input.id, type: "text", list: listId,
      value: scalar(defaults) });
    const list = h("datalist", { id: listId }, options.map((o) => h("option", { value: o.value })));
    const wrap = h("span", { class: "combo" }, control, list);
    wrap.focus = () => control.focus();
    return { control: wrap, value: () => text(control) };
  }
  const required = input.required !== false && defaults === undefined;
  const first = required && !input.autoSelectFirst ? "Choose…" : "—";
  const control = h("select", { id, name: input.id },
    h("option", { value: "" }, first),
    options.map((o) => h("option", { value: o.value }, o.label)));
  control.value = defaults !== undefined ? String(defaults) :
    input.autoSelectFirst && options.length ? options[0].value : "";
  return { control, value: () => text(control) };
}

function option(item) {
  if (item && typeof item === "object") return { value: String(item.value), label: item.label };
  return { value: String(item), label: String(item) };
}

function scalar(value) {
  return value === undefined || value === null ? "" : String(value);
}

function text(control) {
  return control.value === "" ? undefined : control.value;
}

// An ISO instant as the value of a datetime-local input, in the browser's time zone.
function localDateTime(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
