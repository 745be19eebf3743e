// The REST API under /api/v1: JSON in and out; an error carries the API's own message.

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function request(method, path, { json, yaml, form, query } = {}) {
  const init = { method, headers: { Accept: "application/json" } };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (yaml !== undefined) {
    init.headers["Content-Type"] = "application/x-yaml";
    init.body = yaml;
  } else if (form !== undefined) {
    init.body = form; // multipart: the browser sets the boundary
  }
  const response = await fetch(API + path + queryString(query), init);
  const text = await response.text();
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: text };
    }
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
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

// Server-sent events: `handlers` maps event names to callbacks of the parsed data. The
// stream is closed at its `end` event (an EventSource would otherwise reconnect), and by
// the function returned, which a page calls when it is left.
export function follow(path, handlers) {
  const source = new EventSource(API + path);
  for (const [name, handler] of Object.entries(handlers)) {
    if (name === "open") {
      source.addEventListener("open", handler);
      continue;
    }
    source.addEventListener(name, (event) => {
      handler(JSON.parse(event.data));
      if (name === "end" || name === "deleted") source.close();
    });
  }
  if (!handlers.end) source.addEventListener("end", () => source.close());
  return () => source.close();
}

export const enc = encodeURIComponent;
