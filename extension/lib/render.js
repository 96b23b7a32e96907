// The summary panel, shared by the abs-page content script and the side panel.
//
//   section[data-arxivgpt=panel]
//     [data-arxivgpt=title]     the paper (its title once the backend has sent it)
//     [data-arxivgpt=close]     closes the panel and disconnects the port (the backend stops generating)
//     [data-arxivgpt=meta]      model · source · strategy · cached or fresh · time taken
//     [data-arxivgpt=summary]   data-state: loading -> streaming -> done | error
//         streaming: the model's raw text, as text only
//         done:      the backend's sanitised HTML (the only innerHTML in the extension)
//         error:     [data-arxivgpt=error], a message to act on
//     [data-arxivgpt=copy]      copy the Markdown summary      (enabled when done)
//     [data-arxivgpt=download]  download it as <id>.md         (enabled when done)
//     [data-arxivgpt=retry]     run again                      (shown on error)
//
// The panel talks to the service worker over a Port named "summarize" (see service-worker.js for the messages).

const SOURCE_NAMES = { html: "arXiv HTML", ar5iv: "ar5iv", pdf: "PDF" };

/**
 * Build a panel for `paper` (an ID string) in `doc`. `connect` opens the Port (chrome.runtime.connect by
 * default); `onClose` runs after the close button. Returns {element, start(), stop(), close(), state}.
 */
export function createSummaryPanel({ doc = document, paper, connect, onClose, request = {} } = {}) {
  const open = connect ?? ((info) => globalThis.chrome.runtime.connect(info));
  const ui = buildPanel(doc, paper);
  let port = null;
  let result = null;
  let meta = null;
  let streamed = null;

  function setState(state) {
    ui.summary.dataset.state = state;
    ui.summary.setAttribute("aria-busy", String(state === "loading" || state === "streaming"));
    ui.retry.hidden = state !== "error";
    ui.copy.disabled = state !== "done";
    ui.download.disabled = state !== "done";
  }

  function start() {
    stop();
    result = null;
    meta = null;
    streamed = null;
    ui.summary.replaceChildren(el(doc, "p", { class: "arxivgpt-waiting" }, "Reading the paper…"));
    ui.meta.textContent = "";
    setState("loading");
    const current = open({ name: "summarize" });
    port = current;
    current.onMessage.addListener((message) => {
      if (port === current) receive(message);
    });
    current.onDisconnect.addListener(() => {
      if (port !== current) return;
      port = null;
      const state = ui.summary.dataset.state;
      if (state === "loading" || state === "streaming") {
        showError(
          "The connection to the ArxivGPT extension was lost (was it reloaded or updated?). " +
            "Reload the page and try again.",
        );
      }
    });
    current.postMessage({ ...request, type: "summarize", paper });
  }

  function receive(message) {
    switch (message?.type) {
      case "meta":
        meta = message;
        if (message.paper?.title) ui.title.textContent = message.paper.title;
        ui.meta.textContent = metaText(meta, null);
        break;
      case "delta":
        if (ui.summary.dataset.state !== "streaming") {
          streamed = doc.createTextNode("");
          const box = el(doc, "div", { class: "arxivgpt-stream" });
          box.append(streamed);
          ui.summary.replaceChildren(box);
          setState("streaming");
        }
        streamed.appendData(String(message.text ?? ""));
        break;
      case "done":
        finish(message);
        break;
      case "error":
        showError(message.message || "The backend reported an error.", message);
        break;
      default:
        break;
    }
  }

  function finish(done) {
    result = done;
    ui.summary.innerHTML = String(done.html ?? ""); // sanitised by the backend (markdown-it + nh3)
    for (const link of ui.summary.querySelectorAll("a")) {
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
    if (!ui.summary.textContent.trim()) {
      ui.summary.replaceChildren(el(doc, "p", {}, "The model returned an empty summary."));
    }
    if (done.paper?.title) ui.title.textContent = done.paper.title;
    ui.meta.textContent = metaText(meta, done);
    setState("done");
    disconnect(); // the stream is over; nothing more will come
  }

  function showError(message, details = {}) {
    const box = el(doc, "div", { class: "arxivgpt-error", "data-arxivgpt": "error", role: "alert" }, message);
    ui.summary.replaceChildren(box);
    if (details.code === "template_error") {
      box.append(
        el(doc, "p", { class: "arxivgpt-hint" }, "Fix the template in the extension's options, or reset it."),
      );
    }
    setState("error");
    disconnect();
  }

  function disconnect() {
    const current = port;
    port = null;
    current?.disconnect();
  }

  function stop() {
    disconnect();
  }

  function close() {
    stop();
    ui.panel.remove();
    onClose?.();
  }

  ui.close.addEventListener("click", close);
  ui.retry.addEventListener("click", start);
  ui.copy.addEventListener("click", async () => {
    if (!result) return;
    const copied = await copyText(doc, String(result.summary ?? ""));
    flash(ui.copy, copied ? "Copied" : "Copy failed");
  });
  ui.download.addEventListener("click", () => {
    if (!result) return;
    downloadText(doc, `${fileStem(result.paper?.id ?? paper)}.md`, String(result.summary ?? ""));
  });
  setState("loading");

  return {
    element: ui.panel,
    start,
    stop,
    close,
    get state() {
      return ui.summary.dataset.state;
    },
  };
}

function buildPanel(doc, paper) {
  const title = el(doc, "span", { class: "arxivgpt-title", "data-arxivgpt": "title" }, paper);
  const close = button(doc, "close", "×", { "aria-label": "Close the summary", title: "Close" });
  const meta = el(doc, "div", { class: "arxivgpt-meta", "data-arxivgpt": "meta" });
  const summary = el(doc, "div", {
    class: "arxivgpt-summary",
    "data-arxivgpt": "summary",
    "aria-live": "polite",
  });
  const copy = button(doc, "copy", "Copy Markdown");
  const download = button(doc, "download", "Download .md");
  const retry = button(doc, "retry", "Retry");
  const brand = el(doc, "span", { class: "arxivgpt-brand" }, "ArxivGPT");
  const header = el(doc, "div", { class: "arxivgpt-header" }, brand, title, close);
  const actions = el(doc, "div", { class: "arxivgpt-actions" });
  actions.append(retry, copy, download);
  const panel = el(
    doc,
    "section",
    { class: "arxivgpt-panel", "data-arxivgpt": "panel", "aria-label": "ArxivGPT summary" },
    header,
    meta,
    summary,
    actions,
  );
  return { panel, title, close, meta, summary, copy, download, retry };
}

/** The meta line: model, source, strategy, cached or fresh, time taken (what is known so far). */
export function metaText(meta, done) {
  const info = done ?? meta;
  if (!info) return "";
  const parts = [];
  if (info.model) parts.push(info.model);
  parts.push(sourceText(info.paper?.source ?? meta?.source ?? info.source));
  if (done?.strategy?.name) parts.push(strategyText(done.strategy));
  parts.push(info.cached ? "from the cache" : done ? "freshly generated" : "generating…");
  const seconds = done?.timings?.total_s;
  if (typeof seconds === "number") parts.push(`${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`);
  if (done?.unknown_citations) {
    const n = done.unknown_citations;
    parts.push(`${n} invented citation${n === 1 ? "" : "s"} removed`);
  }
  return parts.filter(Boolean).join(" · ");
}

function sourceText(source) {
  if (!source) return "";
  if (source === "abstract") return "abstract only";
  return `full text (${SOURCE_NAMES[source] ?? source})`;
}

function strategyText(strategy) {
  let text = `strategy: ${strategy.name}`;
  const used = strategy.sections?.length ?? 0;
  const dropped = strategy.dropped?.length ?? 0;
  if (strategy.name !== "full" && (used || dropped)) text += ` (${used} sections used, ${dropped} left out)`;
  return text;
}

/** `hep-th/9901001` -> `hep-th_9901001`: a file name without directories. */
export function fileStem(id) {
  return String(id || "summary").replace(/[/\\:*?"<>|]+/g, "_");
}

async function copyText(doc, text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // The async clipboard needs focus and permission; the old way works from a click in most pages.
    const area = el(doc, "textarea", { class: "arxivgpt-offscreen", "aria-hidden": "true" });
    area.value = text;
    doc.body.append(area);
    area.select();
    let copied = false;
    try {
      copied = doc.execCommand("copy");
    } catch {
      copied = false;
    }
    area.remove();
    return copied;
  }
}

function downloadText(doc, name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/markdown;charset=utf-8" }));
  const link = el(doc, "a", { href: url, download: name, class: "arxivgpt-offscreen" });
  doc.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function flash(target, label) {
  const original = target.dataset.label ?? target.textContent;
  target.dataset.label = original;
  target.textContent = label;
  setTimeout(() => {
    target.textContent = original;
  }, 1500);
}

function button(doc, name, label, attrs = {}) {
  const classes = `arxivgpt-button arxivgpt-${name}`;
  return el(doc, "button", { type: "button", class: classes, "data-arxivgpt": name, ...attrs }, label);
}

/** A new element with attributes and text or child nodes (never HTML). */
export function el(doc, tag, attrs = {}, ...children) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}
