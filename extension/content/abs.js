// Content script for arXiv abstract pages (https://arxiv.org/abs/*): a "Summarize" button next to the title;
// clicking it opens the summary panel below the authors. Nothing is requested before the click.
//
// Content scripts cannot be ES modules, so this classic script imports the shared modules (lib/ids.js,
// lib/render.js) with a dynamic import() of their chrome-extension:// URLs; the manifest lists lib/*.js as web
// accessible to arxiv.org pages only. The imported code runs in this content script's isolated world.

(async () => {
  if (document.querySelector('[data-arxivgpt="summarize"]')) return; // injected twice (extension reloaded)
  const title = document.querySelector("#abs h1.title, #abs-outer h1.title, h1.title");
  if (!title) return;
  const lib = (name) => import(chrome.runtime.getURL(`lib/${name}`));
  const [{ paperIdFromUrl, formatId }, { createSummaryPanel, el }] = await Promise.all([
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
  const bar = el(document, "div", { class: "arxivgpt-bar" }, button);
  title.after(bar);

  let panel = null;
  button.addEventListener("click", () => {
    if (panel) {
      panel.element.scrollIntoView({ behavior: "smooth", block: "nearest" });
      if (panel.state === "error") panel.start();
      return;
    }
    panel = createSummaryPanel({ doc: document, paper, onClose: () => (panel = null) });
    const abstract = document.querySelector("#abs blockquote.abstract, blockquote.abstract");
    if (abstract && abstract.parentNode === bar.parentNode) abstract.before(panel.element);
    else bar.after(panel.element);
    panel.start();
  });
})().catch((error) => console.error("ArxivGPT:", error));
