// The summary panel, shared by the abs-page content script and the side panel (one panel per paper).
//
//   section[data-arxivgpt=panel]                  data-collapsed when folded (the header stays)
//     [data-arxivgpt=collapse] [data-arxivgpt=title] [data-arxivgpt=close] (the abs page only)
//     .arxivgpt-scroll                            the part that scrolls; the panel is never taller than
//                                                 --arxivgpt-max-height (set by the page's CSS)
//       [data-arxivgpt=meta]     model · what was read · fresh, kept from an earlier run, stopped or failed
//       [data-arxivgpt=summary]  data-state: idle | loading | streaming | done | stopped | error
//           idle:      [data-arxivgpt=summarize] (the side panel before the first click)
//           streaming: the Markdown so far, rendered block by block (lib/markdown.js)
//           done:      the backend's sanitised HTML, copied node by node (no innerHTML)
//       [data-arxivgpt=status]   the stage while working ("Writing part 3 of 5: Questions…")
//       [data-arxivgpt=notes]    stopped here / cut at the length limit / language ignored / why abstract only
//       [data-arxivgpt=error]    what failed, under whatever text came, with the action that fixes it
//       [data-arxivgpt=followup] room for questions about the paper (empty for now)
//     .arxivgpt-actions          stop | regenerate | copy | download
//
// The panel talks to the service worker over a Port named "summarize" (see service-worker.js for the
// messages). On arXiv's pages only trusted clicks (a person's, not a page script's) do anything.

// On arXiv's pages this module is loaded from the extension's per-session dynamic URL (use_dynamic_url), and
// Chrome resolves a static `import "./x.js"` against the fixed URL, which it then refuses; so there the modules
// it needs are imported by the dynamic URL chrome.runtime.getURL gives. Extension pages (the side panel) may
// load only their own fixed origin, so they import them next to this file.
const onWebPage = globalThis.location?.protocol !== "chrome-extension:";
const moduleUrl = (name) =>
  onWebPage ? globalThis.chrome.runtime.getURL(`lib/${name}`) : new URL(name, import.meta.url).href;
const [{ MarkdownView, importHtml }, present] = await Promise.all([
  import(moduleUrl("markdown.js")),
  import(moduleUrl("present.js")),
]);
const { abstractReason, errorActions, fileStem, metaText, resultNotes, stageText, summaryDocument } = present;

const RUNNING = new Set(["loading", "streaming"]);
const FOLLOW_SLACK_PX = 24; // this close to the bottom, the view follows new text

/**
 * A panel for `paper` (an ID string) in `doc`. `connect` opens the Port (chrome.runtime.connect by default),
 * `send` a one-shot message (chrome.runtime.sendMessage); `onClose` runs after the close button (shown only
 * when `closable`). With `trustedOnly` (on arXiv's pages) its buttons answer only a person's clicks.
 * Returns {element, start(request?), stop(), close(), show(done), expand(), state, paper}.
 */
export function createSummaryPanel({
  doc = document,
  paper,
  connect,
  send,
  onClose,
  closable = true,
  trustedOnly = true,
  request = {},
} = {}) {
  const open = connect ?? ((info) => globalThis.chrome.runtime.connect(info));
  const message = send ?? ((body) => globalThis.chrome.runtime.sendMessage(body));
  const ui = buildPanel(doc, paper, closable);
  const trusted = (target, handler) => onClick(target, handler, trustedOnly);
  let port = null;
  let view = null;
  let streamed = "";
  let context = {}; // this run: {request, meta, done, progress}
  let lastRequest = { ...request };

  function setState(state) {
    ui.summary.dataset.state = state;
    ui.panel.dataset.state = state;
    const running = RUNNING.has(state);
    ui.summary.setAttribute("aria-busy", String(running));
    ui.stop.hidden = !running;
    ui.regenerate.hidden = !(state === "done" || state === "stopped");
    ui.copy.hidden = ui.download.hidden = state === "idle";
    ui.copy.disabled = ui.download.disabled = !(state === "done" || (state === "stopped" && streamed));
    ui.status.hidden = !running;
    ui.meta.textContent = metaText({ ...context, state, seconds: context.done?.timings?.total_s });
  }

  function start(overrides = {}) {
    disconnect();
    lastRequest = { ...request, ...overrides };
    context = {};
    streamed = "";
    view = null;
    ui.summary.replaceChildren();
    ui.notes.replaceChildren();
    ui.error.replaceChildren();
    ui.error.hidden = true;
    expand();
    showStage();
    setState("loading");
    const current = open({ name: "summarize" });
    port = current;
    current.onMessage.addListener((reply) => {
      if (port === current) receive(reply);
    });
    current.onDisconnect.addListener(() => {
      if (port !== current) return;
      port = null;
      if (RUNNING.has(ui.summary.dataset.state)) {
        fail({
          code: "extension_error",
          message:
            "The connection to the ArxivGPT extension was lost (was it reloaded or updated?). " +
            "Reload the page and try again.",
        });
      }
    });
    current.postMessage({ ...lastRequest, type: "summarize", paper });
  }

  function receive(reply) {
    switch (reply?.type) {
      case "request":
        context.request = reply;
        break;
      case "meta":
        context.meta = reply;
        if (reply.paper?.title) ui.title.textContent = reply.paper.title;
        showStage();
        setState(ui.summary.dataset.state);
        break;
      case "progress":
        context.progress = reply;
        showStage();
        break;
      case "delta":
        append(String(reply.text ?? ""));
        break;
      case "done":
        finish(reply);
        break;
      case "error":
        fail(reply);
        break;
      default:
        break;
    }
  }

  function append(text) {
    if (!text) return;
    const following = atBottom();
    if (!view) {
      view = new MarkdownView(doc, ui.summary);
      setState("streaming");
    }
    streamed += text;
    view.update(streamed);
    if (following) ui.scroll.scrollTop = ui.scroll.scrollHeight;
  }

  function finish(done) {
    context.done = done;
    const top = ui.scroll.scrollTop;
    const fragment = importHtml(doc, done.html); // sanitised by the backend, checked again here
    if (!fragment.textContent.trim())
      fragment.append(el(doc, "p", {}, "The model returned an empty summary."));
    ui.summary.replaceChildren(fragment); // one step: no frame shows an empty panel
    ui.scroll.scrollTop = top;
    if (done.paper?.title) ui.title.textContent = done.paper.title;
    const notes = [
      abstractReason(done.paper, context.request?.source ?? lastRequest.source),
      ...resultNotes(done, { lengthSetting: context.request?.length }),
    ].filter(Boolean);
    ui.notes.replaceChildren(...notes.map((text) => el(doc, "p", { class: "arxivgpt-note" }, text)));
    setState("done");
    disconnect(); // the stream is over; nothing more will come
  }

  /** Show a finished summary that was kept (the side panel's memory of this paper). */
  function show(done, kept = {}) {
    done = { ...done, cached: true }; // written by an earlier run, whatever that run said
    context = { request: kept.request, meta: null, done };
    streamed = "";
    finish(done);
  }

  function fail(error) {
    ui.error.replaceChildren(...errorView(error));
    ui.error.hidden = false;
    if (!streamed) ui.summary.replaceChildren();
    setState("error");
    disconnect();
    ui.error.scrollIntoView?.({ block: "nearest" });
  }

  function errorView(error) {
    const text = el(
      doc,
      "p",
      { class: "arxivgpt-error-text" },
      error.message || "The backend reported an error.",
    );
    const buttons = el(doc, "div", { class: "arxivgpt-error-actions" });
    const nodes = [text];
    const source = context.request?.source ?? lastRequest.source;
    for (const action of errorActions(error, { backendUrl: context.request?.backendUrl, source })) {
      if (action.kind === "start") {
        nodes.push(
          el(doc, "p", { class: "arxivgpt-hint" }, "Start the backend in a terminal, then retry:"),
          el(doc, "pre", { class: "arxivgpt-command", "data-arxivgpt": "start-command" }, action.command),
        );
      } else if (action.kind === "options") {
        const section = error.code === "template_error" ? "template" : "backend";
        buttons.append(trusted(button(doc, "open-options", "Open options"), () => openOptions(section)));
      } else if (action.kind === "abstract") {
        buttons.append(
          trusted(button(doc, "use-abstract", "Use the abstract"), () => start({ source: "abstract" })),
        );
      } else {
        buttons.append(trusted(button(doc, "retry", "Retry"), () => start(lastRequest)));
      }
    }
    nodes.push(buttons);
    return nodes;
  }

  function openOptions(section) {
    Promise.resolve(message({ type: "openOptions", section })).catch(() => {});
  }

  function showStage() {
    ui.statusText.textContent = stageText(context.progress, context);
  }

  function disconnect() {
    const current = port;
    port = null;
    current?.disconnect();
  }

  function stop() {
    if (!RUNNING.has(ui.summary.dataset.state)) return disconnect();
    disconnect(); // the worker aborts the request; the backend stops generating and caches nothing
    const note = streamed
      ? "Stopped: the summary ends here. Regenerate to write it again."
      : "Stopped before the model wrote anything. Regenerate to start again.";
    ui.notes.replaceChildren(el(doc, "p", { class: "arxivgpt-note arxivgpt-stopped" }, note));
    setState("stopped");
  }

  function close() {
    disconnect();
    ui.panel.remove();
    onClose?.();
  }

  function expand() {
    delete ui.panel.dataset.collapsed;
    ui.collapse.setAttribute("aria-expanded", "true");
    ui.collapse.title = "Fold the summary";
  }

  function toggle() {
    if (ui.panel.dataset.collapsed === undefined) {
      ui.panel.dataset.collapsed = "";
      ui.collapse.setAttribute("aria-expanded", "false");
      ui.collapse.title = "Unfold the summary";
    } else expand();
  }

  function atBottom() {
    const box = ui.scroll;
    return box.scrollHeight - box.scrollTop - box.clientHeight <= FOLLOW_SLACK_PX;
  }

  trusted(ui.close, close);
  trusted(ui.collapse, toggle);
  trusted(ui.stop, stop);
  trusted(ui.regenerate, () => start({ ...lastRequest, refresh: true }));
  trusted(ui.summarize, () => start(lastRequest));
  trusted(ui.copy, async () => {
    const text = context.done ? String(context.done.summary ?? "") : streamed;
    flash(ui.copy, (await copyText(doc, text)) ? "done" : "failed");
  });
  trusted(ui.download, () => {
    const done = context.done ?? { paper: { id: paper }, summary: streamed, model: context.meta?.model };
    const requestedSource = context.request?.source ?? lastRequest.source;
    const name = `${fileStem(done.paper?.id ?? paper)}.md`;
    downloadText(doc, name, summaryDocument(done, { requestedSource }));
  });
  setState("idle");

  return {
    element: ui.panel,
    paper,
    start,
    stop,
    close,
    show,
    expand,
    get state() {
      return ui.summary.dataset.state;
    },
  };
}

/** Runs `handler` for clicks a person made; a page script's synthetic click (isTrusted false) does nothing. */
export function trusted(target, handler) {
  return onClick(target, handler, true);
}

function onClick(target, handler, trustedOnly) {
  target.addEventListener("click", (event) => {
    if (event.isTrusted || !trustedOnly) handler(event);
  });
  return target;
}

function buildPanel(doc, paper, closable) {
  const title = el(doc, "span", { class: "arxivgpt-title", "data-arxivgpt": "title" }, paper);
  const collapse = button(doc, "collapse", "", { "aria-expanded": "true", title: "Fold the summary" });
  collapse.classList.add("arxivgpt-icon-button");
  const close = button(doc, "close", "×", { "aria-label": "Close the summary", title: "Close" });
  close.classList.add("arxivgpt-icon-button");
  close.hidden = !closable;
  const brand = el(doc, "span", { class: "arxivgpt-brand" }, "ArxivGPT");
  const header = el(doc, "div", { class: "arxivgpt-header" }, collapse, brand, title, close);

  const meta = el(doc, "div", { class: "arxivgpt-meta", "data-arxivgpt": "meta" });
  const summarize = button(doc, "summarize", "Summarize this paper");
  summarize.classList.add("arxivgpt-summarize");
  const summary = el(doc, "div", {
    class: "arxivgpt-summary",
    "data-arxivgpt": "summary",
    "aria-live": "polite",
  });
  summary.append(summarize);
  const statusText = el(doc, "span", { class: "arxivgpt-status-text" });
  const status = el(
    doc,
    "div",
    { class: "arxivgpt-status", "data-arxivgpt": "status", role: "status" },
    el(doc, "span", { class: "arxivgpt-spinner", "aria-hidden": "true" }),
    statusText,
  );
  const notes = el(doc, "div", { class: "arxivgpt-notes", "data-arxivgpt": "notes" });
  const error = el(doc, "div", { class: "arxivgpt-error", "data-arxivgpt": "error", role: "alert" });
  error.hidden = true;
  const followup = el(doc, "div", { class: "arxivgpt-followup", "data-arxivgpt": "followup" });
  const scroll = el(doc, "div", { class: "arxivgpt-scroll" }, meta, summary, status, notes, error, followup);

  const stop = button(doc, "stop", "Stop");
  const regenerate = button(doc, "regenerate", "Regenerate", {
    title: "Write the summary again (not from the cache)",
  });
  const copy = flashButton(doc, "copy", "Copy", { done: "Copied", failed: "Failed" });
  copy.title = "Copy the summary as Markdown";
  const download = button(doc, "download", "Download .md", { title: "Save the summary as a Markdown file" });
  const actions = el(doc, "div", { class: "arxivgpt-actions" }, stop, regenerate, copy, download);
  const panel = el(
    doc,
    "section",
    { class: "arxivgpt-panel", "data-arxivgpt": "panel", "aria-label": "ArxivGPT summary" },
    header,
    scroll,
    actions,
  );
  const body = { panel, title, collapse, close, scroll, meta, summary, summarize, status, statusText };
  return { ...body, notes, error, followup, stop, regenerate, copy, download };
}

/** A button whose label can change for a moment without changing its width (every label shares one cell). */
function flashButton(doc, name, label, flashes) {
  const target = button(doc, name, "");
  target.classList.add("arxivgpt-flash");
  target.append(el(doc, "span", { "data-label": "idle" }, label));
  for (const [key, text] of Object.entries(flashes)) {
    target.append(el(doc, "span", { "data-label": key, "aria-hidden": "true" }, text));
  }
  return target;
}

function flash(target, key) {
  const show = (which) => {
    for (const span of target.querySelectorAll("[data-label]")) {
      span.setAttribute("aria-hidden", String(span.dataset.label !== which));
    }
  };
  show(key);
  clearTimeout(target.flashTimer);
  target.flashTimer = setTimeout(() => show("idle"), 1500);
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
