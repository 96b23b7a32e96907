// Small DOM helpers shared by the panels: elements built from text and child nodes (never HTML), buttons, and
// click handlers that answer only a person's clicks on arXiv's pages. No imports: every panel module may use it.

/** A new element with attributes and text or child nodes (never HTML). */
export function el(doc, tag, attrs = {}, ...children) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

/** A panel button: class `arxivgpt-button arxivgpt-<name>`, found by tests as [data-arxivgpt=<name>]. */
export function button(doc, name, label, attrs = {}) {
  const classes = `arxivgpt-button arxivgpt-${name}`;
  return el(doc, "button", { type: "button", class: classes, "data-arxivgpt": name, ...attrs }, label);
}

/** Runs `handler` for clicks a person made; a page script's synthetic click (isTrusted false) does nothing. */
export function trusted(target, handler) {
  return onClick(target, handler, true);
}

/** `handler` for clicks on `target`: only a person's when `trustedOnly` (arXiv's pages), any otherwise. */
export function onClick(target, handler, trustedOnly) {
  target.addEventListener("click", (event) => {
    if (event.isTrusted || !trustedOnly) handler(event);
  });
  return target;
}
