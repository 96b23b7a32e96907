// One text the backend streams into a panel: a summary (render.js) or an answer to a question
// (conversation.js). Both follow the same rules because both run this code:
//
//   - each run opens its own Port to the service worker; replies of an earlier run are ignored, so a stale
//     stream never writes here
//   - `delta` text renders as Markdown block by block (lib/markdown.js, text nodes only); the scroll box follows
//     the text while the reader is at its bottom
//   - `done`: the backend's sanitised HTML, copied node by node, replaces the streamed nodes in one step, the
//     scroll position kept
//   - `error`: the text that came stays, and the error goes under it with its way out (errorView)
//   - stop: the Port closes, the worker aborts the fetch, the backend stops generating and keeps nothing; the
//     text that came stays
//   - the Port lost while running (the extension reloaded): an error that says so
//
// States: idle | loading | streaming | done | stopped | error.

// On arXiv's pages modules load from the per-session dynamic URL; see the comment at the top of render.js.
const onWebPage = globalThis.location?.protocol !== "chrome-extension:";
const moduleUrl = (name) =>
  onWebPage ? globalThis.chrome.runtime.getURL(`lib/${name}`) : new URL(name, import.meta.url).href;
const [{ MarkdownView, importHtml }, { errorActions }, { button, el, onClick }] = await Promise.all([
  import(moduleUrl("markdown.js")),
  import(moduleUrl("present.js")),
  import(moduleUrl("dom.js")),
]);

export const RUNNING = new Set(["loading", "streaming"]);
const FOLLOW_SLACK_PX = 24; // this close to the bottom, the view follows new text

const LOST =
  "The connection to the ArxivGPT extension was lost (was it reloaded or updated?). " +
  "Reload the page and try again.";

/**
 * A stream into `target` (an element whose children it owns), inside the scroll box `scroll`. `connect(info)`
 * opens a Port (chrome.runtime.connect by default); `portName` names it. Callbacks: `onState(state)` after
 * every change, `onReply(reply)` for replies other than delta/done/error (request, meta, progress),
 * `onDone(done)` when the finished HTML is in place (before the state becomes done), `onError(error)` (before
 * the state becomes error). `emptyText` is shown when the finished HTML has no text.
 * Returns {start(message), stop(), show(done), fail(error), disconnect(), state, streamed}.
 */
export function createStream({
  doc,
  target,
  scroll,
  connect,
  portName,
  emptyText = "The model returned nothing.",
  onState = () => {},
  onReply = () => {},
  onDone = () => {},
  onError = () => {},
}) {
  const open = connect ?? ((info) => globalThis.chrome.runtime.connect(info));
  let port = null;
  let view = null;
  let streamed = "";
  let state = "idle";

  function setState(next) {
    state = next;
    onState(next);
  }

  function start(message) {
    disconnect();
    streamed = "";
    view = null;
    target.replaceChildren();
    setState("loading");
    const current = open({ name: portName });
    port = current;
    current.onMessage.addListener((reply) => {
      if (port === current) receive(reply);
    });
    current.onDisconnect.addListener(() => {
      if (port !== current) return;
      port = null;
      if (RUNNING.has(state)) fail({ code: "extension_error", message: LOST });
    });
    current.postMessage(message);
  }

  function receive(reply) {
    if (reply?.type === "delta") append(String(reply.text ?? ""));
    else if (reply?.type === "done") finish(reply);
    else if (reply?.type === "error") fail(reply);
    else onReply(reply ?? {});
  }

  function append(text) {
    if (!text) return;
    const following = atBottom();
    if (!view) {
      view = new MarkdownView(doc, target);
      setState("streaming");
    }
    streamed += text;
    view.update(streamed);
    if (following && scroll) scroll.scrollTop = scroll.scrollHeight;
  }

  function finish(done) {
    const top = scroll?.scrollTop;
    const fragment = importHtml(doc, done.html); // sanitised by the backend, checked again here
    if (!fragment.textContent.trim()) fragment.append(el(doc, "p", {}, emptyText));
    target.replaceChildren(fragment); // one step: no frame shows an empty panel
    if (scroll) scroll.scrollTop = top;
    onDone(done);
    setState("done");
    disconnect(); // the stream is over; nothing more will come
  }

  /** Show a finished result that was kept (no stream). */
  function show(done) {
    disconnect();
    streamed = "";
    view = null;
    finish(done);
  }

  function fail(error) {
    if (!streamed) target.replaceChildren();
    onError(error);
    setState("error");
    disconnect();
  }

  /** Stops a running stream, keeping its text; true when there was one to stop. */
  function stop() {
    const running = RUNNING.has(state);
    disconnect(); // the worker aborts the request; the backend stops generating and keeps nothing
    if (running) setState("stopped");
    return running;
  }

  function disconnect() {
    const current = port;
    port = null;
    current?.disconnect();
  }

  function atBottom() {
    if (!scroll) return false;
    return scroll.scrollHeight - scroll.scrollTop - scroll.clientHeight <= FOLLOW_SLACK_PX;
  }

  return {
    start,
    stop,
    show,
    fail,
    disconnect,
    get state() {
      return state;
    },
    get streamed() {
      return streamed;
    },
  };
}

/**
 * What failed, in words, with the ways out (lib/present.js errorActions): the command that starts the backend,
 * Open options, Use the abstract (when the full text failed), Retry. `actions` holds the handlers:
 * {retry(), useAbstract(), openOptions(section)}; `trustedOnly` as for the panel's buttons.
 */
export function errorView(doc, error, { backendUrl, source, trustedOnly = true, actions }) {
  const text = el(doc, "p", { class: "arxivgpt-error-text" }, error.message || "The backend reported an error.");
  const buttons = el(doc, "div", { class: "arxivgpt-error-actions" });
  const nodes = [text];
  const click = (name, label, handler) => buttons.append(onClick(button(doc, name, label), handler, trustedOnly));
  for (const action of errorActions(error, { backendUrl, source })) {
    if (action.kind === "start") {
      nodes.push(
        el(doc, "p", { class: "arxivgpt-hint" }, "Start the backend in a terminal, then retry:"),
        el(doc, "pre", { class: "arxivgpt-command", "data-arxivgpt": "start-command" }, action.command),
      );
    } else if (action.kind === "options") {
      const section = error.code === "template_error" ? "template" : "backend";
      click("open-options", "Open options", () => actions.openOptions(section));
    } else if (action.kind === "abstract") {
      click("use-abstract", "Use the abstract", () => actions.useAbstract());
    } else {
      click("retry", "Retry", () => actions.retry());
    }
  }
  nodes.push(buttons);
  return nodes;
}
