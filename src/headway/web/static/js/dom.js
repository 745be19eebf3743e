// Building DOM nodes without innerHTML: every value from the API is text, never markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  let deferredValue;
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "value") {
      deferredValue = value; // set once the children (a select's options) exist
    } else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "style" && typeof value === "object") {
      Object.assign(el.style, value);
    } else if (key in el && typeof value !== "string") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  if (deferredValue !== undefined) el.value = deferredValue;
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export function link(href, ...children) {
  return h("a", { href, "data-link": true }, ...children);
}

// One formatter each, made once: toLocaleString would build one per call, which is slow
// on a page of 500 TaskRuns.
const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const TIME = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});

export function formatDate(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return DATE_TIME.format(date);
}

export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const ms = String(date.getMilliseconds()).padStart(3, "0");
  return `${TIME.format(date)}.${ms}`;
}

// Milliseconds as "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min".
export function formatMillis(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

// The duration of a Kestra state: from its start to its end, or to now while it runs.
export function stateMillis(state) {
  if (!state || !state.startDate) return null;
  const end = state.endDate ? new Date(state.endDate) : new Date();
  return end - new Date(state.startDate);
}

export function pretty(value) {
  return JSON.stringify(value, null, 2);
}

export function isEmpty(value) {
  return value === null || value === undefined ||
    (typeof value === "object" && Object.keys(value).length === 0);
}

// How long ago `iso` was, from `now` (milliseconds): "3 s ago", "4 min ago", "2 h ago",
// "5 d ago"; a date a little ahead of `now` (clocks apart) is "0 s ago".
export function formatAgo(iso, now = Date.now()) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return String(iso);
  const s = Math.max(0, Math.floor((now - then) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
