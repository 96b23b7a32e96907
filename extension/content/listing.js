// Content script for arXiv listings (/list/*, author pages /a/*) and search results (/search/*): a small
// "summarize" link after each entry's arXiv ID; a person's click on it (not a page script's) asks the service
// worker to open the side panel for that paper. Loads lib/ids.js the same way as abs.js does (dynamic import
// of a web-accessible module at its per-session URL).

(async () => {
  const { paperIdFromUrl, formatId } = await import(chrome.runtime.getURL("lib/ids.js"));
  const anchors = [
    ...document.querySelectorAll('dt a[title="Abstract"]'), // /list/ and /a/ pages
    ...[...document.querySelectorAll("li.arxiv-result p.list-title")] // search results
      .map((line) => line.querySelector('a[href*="/abs/"]'))
      .filter(Boolean),
  ];
  for (const anchor of anchors) {
    if (anchor.parentElement.querySelector('[data-arxivgpt="summarize-link"]')) continue;
    const found = paperIdFromUrl(new URL(anchor.getAttribute("href"), location.href));
    if (!found) continue;
    anchor.after(" ", summarizeLink(formatId(found), anchor.href));
  }

  function summarizeLink(paper, absUrl) {
    const link = document.createElement("a");
    link.href = absUrl; // a middle click still opens the abstract page
    link.className = "arxivgpt-summarize-link";
    link.dataset.arxivgpt = "summarize-link";
    link.dataset.paper = paper;
    link.title = `Summarize ${paper} in the side panel (ArxivGPT)`;
    link.textContent = "[summarize]";
    link.addEventListener("click", (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      if (!event.isTrusted) return; // a page script's synthetic click: no side panel, no summary
      // Sent straight from the click: Chrome opens a side panel only in response to a user gesture.
      chrome.runtime.sendMessage({ type: "openSidePanel", paper }).then(
        (answer) => {
          if (answer && !answer.ok) link.title = answer.error.message;
        },
        (error) => console.error("ArxivGPT:", error),
      );
    });
    return link;
  }
})().catch((error) => console.error("ArxivGPT:", error));
