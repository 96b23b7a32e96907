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
//       [data-arxivgpt=followup] "Ask about this paper": the conversation and its question box
//                                (lib/conversation.js)
//     .arxivgpt-actions          stop | regenerate | copy | download
//
// The summary streams over a Port named "summarize" (see service-worker.js for the messages) by the rules
// lib/stream.js keeps for every streamed text, answers included. On arXiv's pages only trusted clicks (a
// person's, not a page script's) do anything.

// On arXiv's pages this module is loaded from the extension's per-session dynamic URL (use_dynamic_url), and
// Chrome resolves a static `import "./x.js"` against the fixed URL, which it then refuses; so there the modules
// it needs are imported by the dynamic URL chrome.runtime.getURL gives. Extension pages (the side panel) may
// load only their own fixed origin, so they import them next to this file.
const onWebPage = globalThis.location?.protocol !== "chrome-extension:";
const moduleUrl = (name) =>
  onWebPage ? globalThis.chrome.runtime.getURL(`lib/${name}`) : new URL(name, import.meta.url).href;
const [present, { RUNNING, createStream, errorView }, { createConversation }, dom] = await Promise.all([
  import(moduleUrl("present.js")),
  import(moduleUrl("stream.js")),
  import(moduleUrl("conversation.js")),
  import(moduleUrl("dom.js")),
]);
const { abstractReason, fileStem, metaText, resultNotes, stageText, summaryDocument } = present;
const { button, el, onClick, trusted } = dom;
export { el, trusted };

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
  const message = send ?? ((body) => globalThis.chrome.runtime.sendMessage(body));
  const ui = buildPanel(doc, paper, closable);
  const clicks = (target, handler) => onClick(target, handler, trustedOnly);
  let context = {}; // this run: {request, meta, done, progress}
  let lastRequest = { ...request };

  const stream = createStream({
    doc,
    target: ui.summary,
    scroll: ui.scroll,
    connect,
    portName: "summarize",
    emptyText: "The model returned an empty summary.",
    onState: setState,
    onReply: receive,
    onDone: finished,
    onError: (error) => {
      ui.error.replaceChildren(...errorNodes(error));
      ui.error.hidden = false;
    },
  });

  const conversation = createConversation({
    doc,
    paper,
    connect,
    send: message,
    scroll: ui.scroll,
    trustedOnly,
    summary: () => (context.done ? String(context.done.summary ?? "") : ""),
    source: () => context.request?.source ?? lastRequest.source,
    onPaper: (info) => {
      if (info.title && ui.title.textContent === paper) ui.title.textContent = info.title;
    },
  });
  ui.followup.append(conversation.element);

  function setState(state) {
    ui.summary.dataset.state = state;
    ui.panel.dataset.state = state;
    const running = RUNNING.has(state);
    const streamed = stream.streamed;
    ui.summary.setAttribute("aria-busy", String(running));
    ui.stop.hidden = !running;
    ui.regenerate.hidden = !(state === "done" || state === "stopped");
    ui.copy.hidden = ui.download.hidden = state === "idle";
    ui.copy.disabled = ui.download.disabled = !(state === "done" || (state === "stopped" && streamed));
    ui.status.hidden = !running;
    ui.meta.textContent = metaText({ ...context, state, seconds: context.done?.timings?.total_s });
    if (state === "error") ui.error.scrollIntoView?.({ block: "nearest" });
  }

  function start(overrides = {}) {
    lastRequest = { ...request, ...overrides };
    context = {};
    ui.notes.replaceChildren();
    ui.error.replaceChildren();
    ui.error.hidden = true;
    expand();
    showStage();
    stream.start({ ...lastRequest, type: "summarize", paper });
  }

  function receive(reply) {
    if (reply.type === "request") context.request = reply;
    else if (reply.type === "meta") {
      context.meta = reply;
      if (reply.paper?.title) ui.title.textContent = reply.paper.title;
      showStage();
      setState(stream.state);
    } else if (reply.type === "progress") {
      context.progress = reply;
      showStage();
    }
  }

  function finished(done) {
    context.done = done;
    if (done.paper?.title) ui.title.textContent = done.paper.title;
    const notes = [
      abstractReason(done.paper, context.request?.source ?? lastRequest.source),
      ...resultNotes(done, { lengthSetting: context.request?.length }),
    ].filter(Boolean);
    ui.notes.replaceChildren(...notes.map((text) => el(doc, "p", { class: "arxivgpt-note" }, text)));
    conversation.reload(); // its first look may have found the backend down
  }

  /** Show a finished summary that was kept (the side panel's memory of this paper). */
  function show(done, kept = {}) {
    done = { ...done, cached: true }; // written by an earlier run, whatever that run said
    context = { request: kept.request, meta: null, done };
    stream.show(done);
  }

  function errorNodes(error) {
    return errorView(doc, error, {
      backendUrl: context.request?.backendUrl,
      source: context.request?.source ?? lastRequest.source,
      trustedOnly,
      actions: {
        retry: () => start(lastRequest),
        useAbstract: () => start({ source: "abstract" }),
        openOptions,
      },
    });
  }

  function openOptions(section) {
    Promise.resolve(message({ type: "openOptions", section })).catch(() => {});
  }

  function showStage() {
    ui.statusText.textContent = stageText(context.progress, context);
  }

  function stop() {
    if (!stream.stop()) return;
    const note = stream.streamed
      ? "Stopped: the summary ends here. Regenerate to write it again."
      : "Stopped before the model wrote anything. Regenerate to start again.";
    ui.notes.replaceChildren(el(doc, "p", { class: "arxivgpt-note arxivgpt-stopped" }, note));
  }

  function close() {
    stream.disconnect();
    conversation.close();
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

  clicks(ui.close, close);
  clicks(ui.collapse, toggle);
  clicks(ui.stop, stop);
  clicks(ui.regenerate, () => start({ ...lastRequest, refresh: true }));
  clicks(ui.summarize, () => start(lastRequest));
  clicks(ui.copy, async () => {
    const text = context.done ? String(context.done.summary ?? "") : stream.streamed;
    flash(ui.copy, (await copyText(doc, text)) ? "done" : "failed");
  });
  clicks(ui.download, () => {
    const done = context.done ?? { paper: { id: paper }, summary: stream.streamed, model: context.meta?.model };
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
    conversation,
    get state() {
      return ui.summary.dataset.state;
    },
  };
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
