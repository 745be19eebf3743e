// Tabs: real buttons with the ARIA tab roles; arrow keys move between them. Each panel is
// built the first time its tab is shown.
import { h } from "../dom.js";

export function tabs(entries, initial) {
  const list = h("div", { class: "tabs", role: "tablist" });
  const panels = h("div", { class: "tab-panels" });
  const built = new Map();
  const buttons = entries.map(([name], index) => h("button", {
    type: "button", role: "tab", id: `tab-${slug(name)}`, "aria-controls": `panel-${slug(name)}`,
    onClick: () => select(index),
    onKeydown: (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = (index + step + entries.length) % entries.length;
      select(next);
      buttons[next].focus();
    },
  }, name));
  list.append(...buttons);

  function select(index) {
    buttons.forEach((button, i) => {
      button.setAttribute("aria-selected", String(i === index));
      button.tabIndex = i === index ? 0 : -1;
    });
    for (const panel of panels.children) panel.hidden = true;
    let panel = built.get(index);
    if (!panel) {
      const [name, build] = entries[index];
      panel = h("div", { role: "tabpanel", id: `panel-${slug(name)}`,
        "aria-labelledby": `tab-${slug(name)}` }, build());
      built.set(index, panel);
      panels.append(panel);
    }
    panel.hidden = false;
  }

  const start = Math.max(0, entries.findIndex(([name]) => name === initial));
  select(start);
  return h("div", { class: "tabbed" }, list, panels);
}

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}
