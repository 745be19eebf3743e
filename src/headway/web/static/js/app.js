// The single-page app: a router over the History API, the theme toggle, notices.
import { forgetCaller } from "./access.js";
import { get, setToken, token } from "./api.js";
import { h, replace } from "./dom.js";
import { formDialog } from "./components/dialog.js";
import * as home from "./pages/home.js";
import * as flows from "./pages/flows.js";
import * as flow from "./pages/flow.js";
import * as editor from "./pages/editor.js";
import * as executions from "./pages/executions.js";
import * as execution from "./pages/execution.js";
import * as namespaces from "./pages/namespaces.js";
import * as workers from "./pages/workers.js";

const ROUTES = [
  [/^\/$/, home, "home"],
  [/^\/flows\/?$/, flows, "flows"],
  [/^\/flows\/new$/, editor, "flows"],
  [/^\/flows\/([^/]+)\/([^/]+)\/edit$/, editor, "flows"],
  [/^\/flows\/([^/]+)\/([^/]+)$/, flow, "flows"],
  [/^\/executions\/?$/, executions, "executions"],
  [/^\/executions\/([^/]+)$/, execution, "executions"],
  [/^\/namespaces\/?$/, namespaces, "namespaces"],
  [/^\/namespaces\/([^/]+)$/, namespaces, "namespaces"],
  [/^\/workers\/?$/, workers, "workers"],
];

let current = 0;
let leaving = [];

// A page may refuse to be left through the app's links or the browser's Back and Forward
// buttons (the editor, with unsaved changes).
let leaveGuard = null;
// The address of the page shown, to go back to when leaving it is refused.
let shownUrl = null;

export function navigate(url, { replaceState = false } = {}) {
  if (leaveGuard && !leaveGuard()) return;
  if (replaceState) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  route();
}

// A page that lives past an await checks `page.alive()` before touching the DOM, and
// registers with `page.onLeave` what to stop (event streams, timers) when it is left.
async function route() {
  for (const stop of leaving) stop();
  leaving = [];
  leaveGuard = null;
  shownUrl = location.pathname + location.search + location.hash;
  const token = ++current;
  const page = {
    alive: () => token === current,
    onLeave: (fn) => leaving.push(fn),
    guardLeave: (fn) => {
      leaveGuard = fn;
    },
    query: new URLSearchParams(location.search),
  };
  const main = document.getElementById("main");
  const path = decodeURI(location.pathname);
  for (const [pattern, module, nav] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    markNav(nav);
    replace(main, h("p", { class: "muted" }, "Loading…"));
    try {
      await module.render(main, match.slice(1).map(decodeURIComponent), page);
    } catch (error) {
      // Not signed in: the Sign in dialog is open, and the page is read again after it.
      if (page.alive() && error.status === 401) {
        replace(main, h("h1", {}, "Sign in"),
          h("p", { class: "muted" }, "This server asks for an API token to show this page."),
          h("button", { type: "button", class: "primary", onClick: () =>
            askForToken(error.message) }, "Sign in"));
      } else if (page.alive()) {
        replace(main, h("h1", {}, "Error"), errorBox(error));
      }
    }
    if (page.alive() && document.activeElement === document.body) {
      main.focus({ preventScroll: true });
    }
    if (page.alive()) {
      const title = main.querySelector("h1");
      document.title = title ? `${title.textContent} · Headway` : "Headway";
    }
    return;
  }
  markNav(null);
  replace(main, h("h1", {}, "Not found"), h("p", {}, `No page at ${path}.`));
}

function markNav(name) {
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

export function errorBox(error) {
  return h("div", { class: "alert error", role: "alert" }, error.message || String(error));
}

export function notify(message, kind = "info") {
  const box = document.getElementById("notices");
  const close = h("button", { type: "button", class: "ghost", "aria-label": "Dismiss" }, "×");
  const item = h("div", { class: `notice ${kind}` }, h("span", {}, message), close);
  close.addEventListener("click", () => item.remove());
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 15000 : 6000);
}

function currentTheme() {
  const set = document.documentElement.dataset.theme;
  if (set) return set;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function showTheme(button) {
  const other = currentTheme() === "dark" ? "light" : "dark";
  button.textContent = other === "dark" ? "☾ Dark" : "☀ Light";
  button.setAttribute("aria-label", `Switch to the ${other} theme`);
}

// Access control: a 401 asks for an API token (kept by the browser), checked before it is
// kept; "Sign out" forgets it.
let asking = false;

function askForToken(message) {
  if (asking) return;
  asking = true;
  const input = h("input", { id: "login-token", type: "password", autocomplete: "off",
    required: true });
  const problem = h("div", { class: "alert error", role: "alert" }, message);
  formDialog({
    title: "Sign in",
    body: h("div", {}, problem,
      h("p", {}, "This server asks for an API token (", h("code", {}, "headway tokens create"),
        "). It is kept in this browser until you sign out."),
      h("div", { class: "field" }, h("label", { for: "login-token" }, "API token"), input)),
    submitLabel: "Sign in",
    className: "login-dialog",
    onSubmit: async () => {
      const before = token();
      setToken(input.value.trim());
      forgetCaller();
      try {
        await get("/flows/search", { size: 1 });
      } catch (error) {
        if (error.status === 401) {
          setToken(before);
          replace(problem, error.message);
          return false;
        }
      }
      showSignOut();
      route();
      return true;
    },
  }).addEventListener("close", () => {
    asking = false;
  });
}

function showSignOut() {
  document.getElementById("sign-out").hidden = !token();
}

function setUp() {
  addEventListener("headway:unauthorized", (event) => askForToken(event.detail));
  document.getElementById("sign-out").addEventListener("click", () => {
    setToken("");
    forgetCaller();
    showSignOut();
    route();
  });
  showSignOut();
  const toggle = document.getElementById("theme-toggle");
  showTheme(toggle);
  toggle.addEventListener("click", () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("headway.theme", next);
    showTheme(toggle);
  });
  document.addEventListener("click", (event) => {
    const a = event.target.closest("a[data-link]");
    if (!a || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(a.getAttribute("href"));
  });
  // Back or Forward has already changed the address: a refused leave puts it back. A link
  // to a place in the page (the skip link: only the hash changes) is no new page.
  addEventListener("popstate", () => {
    if (location.pathname + location.search === shownUrl.replace(/#.*$/, "")) return;
    if (leaveGuard && !leaveGuard()) {
      history.pushState(null, "", shownUrl);
      return;
    }
    route();
  });
  route();
}

setUp();
