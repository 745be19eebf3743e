// Server-side pagination: previous / next links and where we are.
import { h } from "../dom.js";

export function pager(total, page, size, hrefFor) {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages <= 1) return h("p", { class: "muted pager" }, `${total} in all`);
  const to = (n, label, rel) => (n < 1 || n > pages ?
    h("span", { class: "button disabled", "aria-disabled": "true" }, label) :
    h("a", { href: hrefFor(n), "data-link": true, class: "button", rel }, label));
  return h("nav", { class: "pager", "aria-label": "Pages" },
    to(page - 1, "← Previous", "prev"),
    h("span", { class: "muted" }, `Page ${page} of ${pages} · ${total} in all`),
    to(page + 1, "Next →", "next"));
}
