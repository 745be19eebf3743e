// The REST API under /api/v1: JSON in and out; an error carries the API's own message.

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function request(method, path, { json, yaml, text, form, query } = {}) {
  const init = { method, headers: authorized({ Accept: "application/json" }) };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (yaml !== undefined) {
    init.headers["Content-Type"] = "application/x-yaml";
    init.body = yaml;
  } else if (text !== undefined) {
    init.headers["Content-Type"] = "text/plain";
    init.body = text;
  } else if (form !== undefined) {
    init.body = form; // multipart: the browser sets the boundary
  }
  const response = await fetch(API + path + queryString(query), init);
  const answer = await response.text();
  let body = null;
  if (answer) {
    try {
      body = JSON.parse(answer);
    } catch {
      body = { message: answer };
    }
  }
  if (!response.ok) throw failed(response.status, body);
  return body;
}

// The API token, when the server asks for one (access control on): kept by the browser,
// sent as `Authorization: Bearer`. A 401 tells the app (event `headway:unauthorized`), which
// asks for a token.
const TOKEN_KEY = "headway.token";

export function token() {
  return localStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

function authorized(headers) {
  const secret = token();
  return secret ? { ...headers, Authorization: `Bearer ${secret}` } : headers;
}

function failed(status, body) {
  const error = new ApiError(status, body);
  if (status === 401) {
    dispatchEvent(new CustomEvent("headway:unauthorized", { detail: error.message }));
  }
  return error;
}

// A text from the API as it is (a namespace file's content), not parsed as JSON.
export async function getText(path, query) {
  const response = await fetch(API + path + queryString(query), { headers: authorized({}) });
  if (!response.ok) {
    throw failed(response.status, await response.json().catch(() => null));
  }
  return response.text();
}

// A response of the API as it comes (a file to read in part), with the token; an error
// status throws as `request` does.
export async function fetchRaw(path, query) {
  const response = await fetch(API + path + queryString(query), { headers: authorized({}) });
  if (!response.ok) {
    throw failed(response.status, await response.json().catch(() => null));
  }
  return response;
}

// A file from the API (logs, outputs), downloaded with the token.
export async function download(path, filename) {
  const response = await fetch(API + path, { headers: authorized({}) });
  if (!response.ok) {
    throw failed(response.status, await response.json().catch(() => null));
  }
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export const get = (path, query) => request("GET", path, { query });

export function queryString(query) {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

// Server-sent events, read with fetch (an EventSource cannot send the token): `handlers`
// maps event names to callbacks of the parsed data, `open` is called on each connection. The
// stream is over at its `end` (or `deleted`) event; one cut short is opened again, as an
// EventSource would. The function returned stops it; a page calls it when it is left.
const RETRY_MS = 2000;

export function follow(path, handlers) {
  const controller = new AbortController();
  let over = false;

  function dispatch(block) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (!data.length) return;
    if (name === "end" || name === "deleted") over = true;
    const handler = handlers[name];
    if (handler) handler(JSON.parse(data.join("\n")));
  }

  async function connect() {
    try {
      const response = await fetch(API + path, {
        headers: authorized({ Accept: "text/event-stream" }),
        signal: controller.signal,
      });
      if (!response.ok) {
        const error = failed(response.status, await response.json().catch(() => null));
        over = true;
        if (handlers.error) handlers.error(error);
        return;
      }
      if (handlers.open) handlers.open();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      while (!over) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n/g, "\n");
        let cut;
        while (!over && (cut = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
      if (over) controller.abort();
    } catch {
      // aborted by stop(), or the connection broke: retried below unless over
    }
    if (!over && !controller.signal.aborted) setTimeout(connect, RETRY_MS);
  }

  connect();
  return () => {
    over = true;
    controller.abort();
  };
}

export const enc = encodeURIComponent;
