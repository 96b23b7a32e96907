// Content script for arXiv abstract pages (https://arxiv.org/abs/*): a "Summarize" bar after the title and
// authors (with arXiv's own links for the paper, never between the title and its authors), aligned with
// arXiv's text; clicking it opens the summary panel there, above the abstract. Nothing is requested before
// the click, and only a person's click counts (a page script's synthetic click does nothing).
//
// Content scripts cannot be ES modules, so this classic script imports the shared modules (lib/ids.js,
// lib/render.js and what it imports) with a dynamic import() of their chrome-extension:// URLs. The manifest
// makes them web accessible to arxiv.org pages only, through a per-session dynamic URL (`use_dynamic_url`),
// so a page cannot probe for the extension at a fixed address. The imported code runs in this content
// script's isolated world.

(async () => {
  if (document.querySelector('[data-arxivgpt="summarize"]')) return; // injected twice (extension reloaded)
  const title = document.querySelector("#abs h1.title, #abs-outer h1.title, h1.title");
  if (!title) return;
  const lib = (name) => import(chrome.runtime.getURL(`lib/${name}`));
  const [{ paperIdFromUrl, formatId }, { createSummaryPanel, el, trusted }] = await Promise.all([
    lib("ids.js"),
    lib("render.js"),
  ]);
  const found = paperIdFromUrl(location.href);
  if (!found) return;
  const paper = formatId(found);

  const button = el(
    document,
    "button",
    {
      type: "button",
      class: "arxivgpt-button arxivgpt-summarize",
      "data-arxivgpt": "summarize",
      title: `Summarize ${paper} with your local ArxivGPT backend`,
    },
    "Summarize",
  );
  const hint = el(document, "span", { class: "arxivgpt-bar-hint" }, "with your local model (ArxivGPT)");
  const bar = el(document, "div", { class: "arxivgpt-bar", "data-arxivgpt": "bar" }, button, hint);
  const anchor = lastHeaderElement(title);
  anchor.after(bar);
  alignWith(bar, title);

  let panel = null;
  trusted(button, () => {
    if (panel) {
      panel.expand();
      panel.element.scrollIntoView({ behavior: "smooth", block: "nearest" });
      if (panel.state === "error") panel.start();
      return;
    }
    panel = createSummaryPanel({ doc: document, paper, onClose: () => (panel = null) });
    bar.after(panel.element);
    alignWith(panel.element, title);
    panel.start();
  });
})().catch((error) => console.error("ArxivGPT:", error));

/**
 * The last element of the paper's header block: the authors after the title, then arXiv's own links for the
 * paper that follow them (the hidden PDF description, the small-screen "View PDF" buttons), so that the bar
 * joins the paper's actions and never comes between the title and its authors.
 */
function lastHeaderElement(title) {
  let last = title;
  const authors = title.parentElement?.querySelector(":scope > .authors");
  if (authors && title.compareDocumentPosition(authors) & Node.DOCUMENT_POSITION_FOLLOWING) last = authors;
  for (let next = last.nextElementSibling; next; next = next.nextElementSibling) {
    if (next.matches("#download-button-info, a.mobile-submission-download, .authors, .dateline")) last = next;
    else break;
  }
  return last;
}

/** Indent `element` as arXiv indents the title (20 px in both layouts), whatever arXiv's CSS says today. */
function alignWith(element, title) {
  const style = getComputedStyle(title);
  const indent = parseFloat(style.marginLeft) + parseFloat(style.paddingLeft) || 0;
  element.style.setProperty("--arxivgpt-indent", `${indent}px`);
}
