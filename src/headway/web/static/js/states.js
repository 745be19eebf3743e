// Kestra's states: which are terminal, and a badge for each (its colour comes from the CSS
// class `state-<name>`, so both themes can choose it).
import { h } from "./dom.js";

export const STATES = [
  "CREATED", "QUEUED", "RUNNING", "PAUSED", "RESTARTED", "KILLING", "SUCCESS", "WARNING",
  "FAILED", "KILLED", "CANCELLED", "RETRYING", "RETRIED", "SKIPPED",
];

export const TERMINAL = new Set([
  "SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED",
]);

export function isTerminal(state) {
  return TERMINAL.has(state);
}

export function badge(state) {
  return h("span", { class: `badge state-${(state || "unknown").toLowerCase()}` }, state || "?");
}
