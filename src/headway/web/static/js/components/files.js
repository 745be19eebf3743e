// A file of an execution (a kestra:/// URI in its inputs or outputs), read through
// GET /executions/{id}/file?path= (Kestra's path): a text file shows its first lines inline,
// any other file its size; each has a download link. Only the first bytes are read for the
// preview, once per file and page (files do not change).
import { API, download, enc, fetchRaw } from "../api.js";
import { h, replace } from "../dom.js";

const PREVIEW_BYTES = 64 * 1024;
const PREVIEW_LINES = 20;
const previews = new Map();

export function fileItem(executionId, uri) {
  const name = uri.split("/").pop();
  const path = `/executions/${enc(executionId)}/file?path=${enc(uri)}`;
  const size = h("span", { class: "muted file-size" });
  const view = h("div", { class: "file-preview" }, h("span", { class: "muted" }, "Loading…"));
  const save = h("a", { href: API + path, download: name, class: "button small",
    "aria-label": `Download ${name}` }, "Download");
  // The link works as it is without access control; with a token, the file is fetched
  // with it.
  save.addEventListener("click", (event) => {
    event.preventDefault();
    download(path, name).catch((error) =>
      replace(view, h("p", { class: "field-error" }, `Download: ${error.message}`)));
  });
  const item = h("li", { dataset: { file: uri } },
    h("div", { class: "file-head" }, h("span", { class: "mono file-name", title: uri }, name),
      size, save),
    view);
  preview(executionId, uri).then(({ bytes, text, truncated, lines }) => {
    replace(size, formatBytes(bytes));
    if (text === null) {
      replace(view, h("p", { class: "muted" }, "Not a text file: download it to open it."));
    } else if (!text) {
      replace(view, h("p", { class: "muted" }, "Empty file."));
    } else {
      replace(view, h("pre", { class: "json file-text" }, lines.join("\n")),
        truncated ? h("p", { class: "muted" }, `The first ${lines.length} lines.`) : null);
    }
  }).catch((error) => replace(view, h("p", { class: "field-error" },
    `Preview: ${error.message}`)));
  return item;
}

function preview(executionId, uri) {
  const key = `${executionId} ${uri}`;
  if (!previews.has(key)) {
    if (previews.size > 500) previews.clear();
    const found = readHead(executionId, uri);
    found.catch(() => previews.delete(key));
    previews.set(key, found);
  }
  return previews.get(key);
}

async function readHead(executionId, uri) {
  const response = await fetchRaw(`/executions/${enc(executionId)}/file`, { path: uri });
  const reader = response.body.getReader();
  const chunks = [];
  let read = 0;
  let complete = false;
  while (read < PREVIEW_BYTES) {
    const { value, done } = await reader.read();
    if (done) {
      complete = true;
      break;
    }
    chunks.push(value);
    read += value.length;
  }
  if (!complete) reader.cancel().catch(() => {});
  const head = new Uint8Array(Math.min(read, PREVIEW_BYTES));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, head.length - at);
    head.set(part, at);
    at += part.length;
  }
  const length = Number(response.headers.get("Content-Length"));
  const bytes = Number.isFinite(length) && response.headers.has("Content-Length") ?
    length : read;
  const text = asText(head);
  const all = text === null ? [] : text.replace(/\n$/, "").split("\n");
  return { bytes, text, lines: all.slice(0, PREVIEW_LINES),
    truncated: !complete || all.length > PREVIEW_LINES };
}

// Text when the bytes are UTF-8 without NUL (a multi-byte character cut at the end is fine).
function asText(bytes) {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
  } catch {
    return null;
  }
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
