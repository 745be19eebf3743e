// Namespaces: the list, and one namespace's flows, executions, KV store and files.
import { permissions } from "../access.js";
import { API, enc, get, getText, request, token } from "../api.js";
import { errorBox, notify } from "../app.js";
import { h, link, formatDate, replace } from "../dom.js";
import { formDialog } from "../components/dialog.js";
import { tabs } from "../components/tabs.js";
import { executionsTable } from "./executions.js";

export async function render(main, params, page) {
  if (params[0]) return namespacePage(main, params[0], page);
  const found = await get("/namespaces/search");
  if (!page.alive()) return;
  replace(main, h("h1", {}, "Namespaces"),
    found.results.length ? h("ul", { class: "namespace-list" }, found.results.map((n) =>
      h("li", { style: { paddingLeft: `${n.id.split(".").length - 1}rem` } },
        link(`/namespaces/${enc(n.id)}`, n.id)))) :
      h("p", { class: "empty" }, "No namespace holds a flow yet."));
}

async function namespacePage(main, namespace, page) {
  // A viewer sees the KV store and the files without the actions that change them.
  const may = await permissions(namespace);
  if (!page.alive()) return;
  replace(main,
    h("p", { class: "crumbs" }, link("/namespaces", "Namespaces")),
    h("h1", {}, namespace),
    tabs([
      ["Flows", () => flows(namespace, page)],
      ["Executions", () => executions(namespace, page)],
      ["KV", () => kvPanel(namespace, page, may)],
      ["Files", () => filesPanel(namespace, page, may)],
    ], page.query.get("tab")));
}

function flows(namespace, page) {
  const box = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  get("/flows/search", { namespace, size: 100 }).then((found) => {
    if (!page.alive()) return;
    replace(box, found.results.length ? h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Namespace", "Flow", "Description", "Revision"].map((t) =>
        h("th", { scope: "col" }, t)))),
      h("tbody", {}, found.results.map((f) => h("tr", {},
        h("td", {}, f.namespace),
        h("td", {}, link(`/flows/${enc(f.namespace)}/${enc(f.id)}`, f.id)),
        h("td", { class: "muted" }, f.description || ""),
        h("td", { class: "num" }, String(f.revision)))))) :
      h("p", { class: "empty" }, "No flow in this namespace."));
  }).catch((error) => replace(box, errorBox(error)));
  return box;
}

function executions(namespace, page) {
  const box = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  get("/executions/search", { namespace, size: 25 }).then((found) => {
    if (!page.alive()) return;
    replace(box, found.results.length ? executionsTable(found.results) :
      h("p", { class: "empty" }, "No execution in this namespace."),
    h("p", {}, link(`/executions?namespace=${enc(namespace)}`, `All ${found.total} →`)));
  }).catch((error) => replace(box, errorBox(error)));
  return box;
}

// The KV store: keys with their dates; view, edit (a JSON value, or a string), set a TTL,
// delete.
function kvPanel(namespace, page, may) {
  const base = `/namespaces/${enc(namespace)}/kv`;
  const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const box = h("div", { class: "kv" },
    may.edit ? h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", onClick: () => edit(null) }, "New key")) :
      null,
    list);

  async function load() {
    const entries = await get(base);
    if (!page.alive()) return;
    replace(list, entries.length ? h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Key", "Updated", "Expires", ""].map((t) =>
        h("th", { scope: "col" }, t)))),
      h("tbody", {}, entries.map((e) => h("tr", { dataset: { key: e.key } },
        h("td", { class: "mono" }, e.key),
        h("td", {}, formatDate(e.updateDate)),
        h("td", {}, e.expirationDate ? formatDate(e.expirationDate) : "never"),
        may.edit ? h("td", { class: "actions" },
          h("button", { type: "button", class: "small", onClick: () => edit(e.key) }, "Edit"),
          h("button", { type: "button", class: "small", onClick: () => remove(e.key) },
            "Delete")) : h("td", {}))))) :
      h("p", { class: "empty" }, "No key in this namespace."));
  }

  async function edit(key) {
    let text = "";
    if (key !== null) {
      try {
        const entry = await get(`${base}/${enc(key)}`);
        text = entry.type === "STRING" ? entry.value : JSON.stringify(entry.value, null, 2);
      } catch (error) {
        notify(error.message, "error");
        return;
      }
    }
    const keyInput = h("input", { id: "kv-key", value: key || "", readOnly: key !== null,
      required: true });
    const valueInput = h("textarea", { id: "kv-value", class: "mono", rows: 6 });
    valueInput.value = text;
    const ttl = h("input", { id: "kv-ttl", placeholder: "PT1H (none: never expires)" });
    const problem = h("div", { class: "alert error", role: "alert", hidden: true });
    formDialog({
      title: key === null ? "New key" : `Edit ${key}`,
      body: h("div", {}, problem,
        h("div", { class: "field" }, h("label", { for: "kv-key" }, "Key"), keyInput),
        h("div", { class: "field" }, h("label", { for: "kv-value" }, "Value"), valueInput,
          h("span", { class: "hint" }, "JSON (a number, true, an object…) or else a string")),
        h("div", { class: "field" }, h("label", { for: "kv-ttl" }, "Expires after"), ttl)),
      submitLabel: "Save",
      onSubmit: async () => {
        try {
          await putKv(`${base}/${enc(keyInput.value.trim())}`, valueInput.value, ttl.value);
          notify(`Saved ${keyInput.value.trim()}`, "success");
          await load();
          return true;
        } catch (error) {
          problem.hidden = false;
          replace(problem, error.message);
          return false;
        }
      },
    });
  }

  async function remove(key) {
    formDialog({
      title: `Delete ${key}?`,
      body: h("p", {}, `The key '${key}' of ${namespace} is deleted.`),
      submitLabel: "Delete",
      onSubmit: async () => {
        try {
          await request("DELETE", `${base}/${enc(key)}`);
          notify(`Deleted ${key}`, "success");
        } catch (error) {
          notify(error.message, "error");
        }
        await load().catch(() => {});
      },
    });
  }

  load().catch((error) => replace(list, errorBox(error)));
  return box;
}

async function putKv(path, value, ttl) {
  // The body is the value as typed; a TTL goes in the `ttl` header.
  const headers = { "Content-Type": "text/plain" };
  if (ttl) headers.ttl = ttl;
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const response = await fetch(API + path, { method: "PUT", headers, body: value });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.message || `HTTP ${response.status}`);
  }
}

// Namespace files: a directory browser; a text file opens in an editor and is saved back.
function filesPanel(namespace, page, may) {
  const base = `/namespaces/${enc(namespace)}/files`;
  let dir = page.query.get("path") || "/";
  const where = h("p", { class: "crumbs", id: "files-path" });
  const list = h("div", {});
  const editor = h("div", { class: "file-editor" });
  const upload = h("input", { type: "file", id: "files-upload", hidden: true,
    "aria-label": "File to upload" });
  const box = h("div", { class: "files" },
    may.edit ? h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", onClick: () => open(null) }, "New file"),
      h("button", { type: "button", onClick: () => upload.click() }, "Upload"), upload) : null,
    where, list, editor);

  upload.addEventListener("change", async () => {
    const file = upload.files[0];
    if (!file) return;
    try {
      await save(join(dir, file.name), file);
      notify(`Uploaded ${file.name}`, "success");
      await load();
    } catch (error) {
      notify(error.message, "error");
    }
    upload.value = "";
  });

  async function load() {
    const entries = await get(`${base}/directory`, { path: dir });
    if (!page.alive()) return;
    const parts = dir.split("/").filter(Boolean);
    replace(where, h("button", { type: "button", class: "link", onClick: () => cd("/") },
      namespace), parts.map((part, i) => [" / ", h("button", { type: "button", class: "link",
      onClick: () => cd(`/${parts.slice(0, i + 1).join("/")}`) }, part)]));
    const sorted = entries.slice().sort((a, b) =>
      (a.type === b.type ? a.fileName.localeCompare(b.fileName) : a.type === "Directory" ? -1 : 1));
    replace(list, sorted.length ? h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Name", "Size", "Modified", ""].map((t) =>
        h("th", { scope: "col" }, t)))),
      h("tbody", {}, sorted.map((e) => {
        const path = join(dir, e.fileName);
        const isDir = e.type === "Directory";
        return h("tr", { dataset: { file: path } },
          h("td", {}, h("button", { type: "button", class: "link",
            onClick: () => (isDir ? cd(path) : open(path)) }, isDir ? `${e.fileName}/` : e.fileName)),
          h("td", { class: "num" }, isDir ? "" : `${e.size} B`),
          h("td", {}, e.lastModifiedTime ? formatDate(new Date(e.lastModifiedTime)) : ""),
          h("td", { class: "actions" }, may.edit ? h("button", { type: "button",
            class: "small", onClick: () => remove(path) }, "Delete") : null));
      }))) : h("p", { class: "empty" }, "No file here."));
  }

  function cd(path) {
    dir = path;
    replace(editor);
    load().catch((error) => replace(list, errorBox(error)));
  }

  async function open(path) {
    let content = "";
    if (path !== null) {
      try {
        content = await getText(base, { path });
      } catch (error) {
        notify(error.message, "error");
        return;
      }
    }
    const name = h("input", { id: "file-path", value: path || join(dir, ""),
      "aria-label": "File path" });
    const text = h("textarea", { id: "file-content", class: "mono", rows: 14,
      spellcheck: "false", "aria-label": "File content", readOnly: !may.edit });
    text.value = content;
    replace(editor, h("div", { class: "panel" },
      h("div", { class: "panel-head" }, h("h2", {}, path ? `${may.edit ? "Edit" : "View"} ${path}` : "New file"),
        h("div", { class: "actions" },
          h("button", { type: "button", onClick: () => replace(editor) }, "Close"),
          !may.edit ? null : h("button", { type: "button", class: "primary", id: "file-save",
            onClick: async () => {
              try {
                await save(name.value, new Blob([text.value], { type: "text/plain" }));
                notify(`Saved ${name.value}`, "success");
                await load();
              } catch (error) {
                notify(error.message, "error");
              }
            } }, "Save"))),
      h("div", { class: "field" }, h("label", { for: "file-path" }, "Path"), name),
      text));
    (path ? text : name).focus();
  }

  async function save(path, blob) {
    const form = new FormData();
    form.append("fileContent", blob, path.split("/").pop() || "file");
    await request("POST", base, { form, query: { path } });
  }

  async function remove(path) {
    formDialog({
      title: `Delete ${path}?`,
      body: h("p", {}, "A directory is deleted with everything under it."),
      submitLabel: "Delete",
      onSubmit: async () => {
        try {
          await request("DELETE", base, { query: { path } });
          notify(`Deleted ${path}`, "success");
        } catch (error) {
          notify(error.message, "error");
        }
        await load().catch(() => {});
      },
    });
  }

  load().catch((error) => replace(list, errorBox(error)));
  return box;
}

function join(dir, name) {
  return `${dir.replace(/\/$/, "")}/${name}`;
}
