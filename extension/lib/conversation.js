// "Ask about this paper": the conversation under a summary (abs-page panel and side panel alike).
//
//   section[data-arxivgpt=ask]
//     [data-arxivgpt=new-conversation]       starts afresh (the next question sends no conversation_id)
//     [data-arxivgpt=conversation-status]    the kept conversation shown, or why it could not be read
//     ol[data-arxivgpt=conversation]
//       li[data-arxivgpt=turn]
//         [data-arxivgpt=question]           the question, as text
//         [data-arxivgpt=answer]             data-state: loading | streaming | done | stopped | error; streamed
//                                            and finished by the summaries' rules (lib/stream.js)
//         [data-arxivgpt=answer-status]      the stage while it works
//         ul[data-arxivgpt=quotes] > li > a[data-arxivgpt=quote]   one chip per citation: the verbatim quote,
//                                            its passage and section, linked to its place in arXiv's HTML
//         [data-arxivgpt=answer-notes], [data-arxivgpt=answer-error]
//     form: textarea[data-arxivgpt=question-input], [data-arxivgpt=question-count],
//           [data-arxivgpt=question-problem], [data-arxivgpt=ask-button], [data-arxivgpt=ask-stop]
//
// Answers stream over a Port named "ask"; the backend keeps the conversations, so when the panel opens the box
// asks the service worker for this paper's latest one (`latestConversation`) and shows it. A click on a quote
// (or on a [pN] link in an answer) asks the worker to scroll a tab showing that HTML page to the passage, or to
// open it (`openPassage`).

// On arXiv's pages modules load from the per-session dynamic URL; see the comment at the top of render.js.
const onWebPage = globalThis.location?.protocol !== "chrome-extension:";
const moduleUrl = (name) =>
  onWebPage ? globalThis.chrome.runtime.getURL(`lib/${name}`) : new URL(name, import.meta.url).href;
const [ask, { RUNNING, createStream, errorView }, { button, el, onClick }] = await Promise.all([
  import(moduleUrl("ask.js")),
  import(moduleUrl("stream.js")),
  import(moduleUrl("dom.js")),
]);
const { answerNotes, answerStage, chipSource, isPassageAddress, questionCount, questionProblem } = ask;

/**
 * The box for `paper`. `summary()` gives the finished summary's Markdown ("" when none; a new conversation
 * starts from it), `source()` the source the summary was asked with, `onPaper(paper)` tells the panel what an
 * answer found out about the paper (its title). `scroll` is the panel's scroll box.
 * Returns {element, ask(question), newConversation(), reload(), close(), conversationId}.
 */
export function createConversation({
  doc,
  paper,
  connect,
  send,
  scroll,
  trustedOnly = true,
  summary = () => "",
  source = () => undefined,
  onPaper = () => {},
}) {
  const ui = buildBox(doc);
  const clicks = (target, handler) => onClick(target, handler, trustedOnly);
  let conversationId = null;
  let current = null; // the turn whose answer may be running
  let generation = 0; // bumped by every question and every new conversation: a late load is then ignored
  let loaded = "no"; // no | loading | yes | failed (also the box's data-loaded)

  function ask(text, overrides = {}) {
    const question = String(text ?? "");
    const problem = questionProblem(question);
    if (problem || (current && RUNNING.has(current.stream.state))) return showInput(problem);
    generation += 1;
    ui.status.textContent = "";
    current = addTurn(question);
    current.run(messageFor(question, overrides));
    ui.input.value = "";
    showInput();
    if (scroll) scroll.scrollTop = scroll.scrollHeight; // the question in view, and the answer followed
  }

  /** The Port message for `question` in the conversation as it stands (a new one starts from the summary). */
  function messageFor(question, overrides = {}) {
    const message = { type: "ask", paper, question, source: source(), ...overrides };
    if (conversationId) message.conversationId = conversationId;
    else message.summary = summary();
    return message;
  }

  function addTurn(question) {
    const turn = buildTurn(doc, question);
    let context = {};
    let message = null;
    const stream = createStream({
      doc,
      target: turn.answer,
      scroll,
      connect,
      portName: "ask",
      emptyText: "The model returned no answer.",
      onState: (state) => {
        turn.answer.dataset.state = turn.element.dataset.state = state;
        turn.answer.setAttribute("aria-busy", String(RUNNING.has(state)));
        turn.status.hidden = !RUNNING.has(state);
        if (turn.element === current?.element) showInput();
      },
      onReply: (reply) => {
        if (reply.type === "request") context.request = reply;
        if (reply.type === "meta") {
          context.meta = reply;
          if (reply.paper) onPaper(reply.paper);
        }
        turn.statusText.textContent = answerStage(context.meta);
      },
      onDone: (done) => {
        if (done.conversation_id) conversationId = done.conversation_id;
        showCitations(doc, turn, done);
        const notes = answerNotes(done).map((text) => el(doc, "p", { class: "arxivgpt-note" }, text));
        turn.notes.replaceChildren(...notes);
      },
      onError: (error) => {
        const hint = [];
        if (error.code === "not_found" && message?.conversationId === conversationId && conversationId) {
          conversationId = null; // the backend no longer has it (deleted, another data dir)
          hint.push(el(doc, "p", { class: "arxivgpt-hint" }, "Retry asks it in a new conversation."));
        }
        const nodes = errorView(doc, error, {
          backendUrl: context.request?.backendUrl,
          source: context.request?.source ?? message?.source,
          trustedOnly,
          actions: {
            retry: () => again(),
            useAbstract: () => again({ source: "abstract" }),
            openOptions: (section) =>
              Promise.resolve(send({ type: "openOptions", section })).catch(() => {}),
          },
        });
        turn.error.replaceChildren(...nodes.slice(0, 1), ...hint, ...nodes.slice(1));
        turn.error.hidden = false;
      },
    });

    /** Ask this question again, in the conversation as it stands: here if it is the last, else at the end. */
    function again(overrides = {}) {
      if (turn.element !== ui.turns.lastElementChild) return ask(question, overrides);
      if (current && current !== entry && RUNNING.has(current.stream.state)) return;
      run(messageFor(question, overrides));
    }

    function run(next) {
      message = next;
      context = {};
      current = entry;
      generation += 1;
      turn.notes.replaceChildren();
      turn.quotes.replaceChildren();
      turn.error.replaceChildren();
      turn.error.hidden = true;
      turn.statusText.textContent = answerStage(null);
      stream.start(next);
    }

    const entry = { element: turn.element, notes: turn.notes, stream, run, show: (done) => stream.show(done) };
    ui.turns.append(turn.element);
    return entry;
  }

  function stop() {
    if (!current?.stream.stop()) return;
    const note = current.stream.streamed
      ? "Stopped: the answer ends here, and it is not kept in the conversation. Ask again for a whole one."
      : "Stopped before the model wrote anything; nothing was kept. Ask again to start it.";
    current.notes.replaceChildren(el(doc, "p", { class: "arxivgpt-note arxivgpt-stopped" }, note));
  }

  function newConversation() {
    current?.stream.stop();
    current = null;
    generation += 1;
    conversationId = null;
    ui.turns.replaceChildren();
    ui.status.textContent = "A new conversation: your next question starts it.";
    showInput();
    ui.input.focus?.();
  }

  /** Show this paper's latest conversation, if the backend keeps one (when the panel opens). */
  async function load() {
    const mine = ++generation;
    setLoaded("loading");
    let reply;
    try {
      reply = await send({ type: "latestConversation", paper });
    } catch (error) {
      reply = { ok: false, error: { message: String(error?.message ?? error) } };
    }
    if (mine !== generation) return setLoaded("yes"); // a question or a new conversation came first
    if (!reply?.ok) {
      setLoaded("failed");
      const why =
        reply?.error?.code === "backend_unreachable"
          ? "the backend did not answer."
          : (reply?.error?.message ?? "no answer from the extension.");
      ui.status.textContent = `Earlier questions could not be loaded: ${why}`;
      return;
    }
    const kept = reply.conversation;
    if (!kept?.turns?.length) return setLoaded("yes");
    conversationId = kept.id;
    if (kept.paper) onPaper(kept.paper);
    for (const saved of kept.turns) {
      addTurn(saved.question).show({ ...saved, conversation_id: kept.id });
    }
    const count = kept.turns.length;
    ui.status.textContent =
      `Your last conversation about this paper (${count} question${count === 1 ? "" : "s"}); ` +
      "New conversation starts afresh.";
    showInput();
    setLoaded("yes");
  }

  function setLoaded(state) {
    loaded = ui.box.dataset.loaded = state;
  }

  /** Load again when the first load failed and nothing was asked since (the backend has come up). */
  function reload() {
    if (loaded === "failed" && !current && ui.turns.childElementCount === 0) load();
  }

  function showInput(problem) {
    const text = ui.input.value;
    const running = Boolean(current && RUNNING.has(current.stream.state));
    const tooLong = questionProblem(text) && text.trim() !== "";
    ui.count.textContent = questionCount(text);
    ui.count.classList.toggle("arxivgpt-over", Boolean(tooLong));
    ui.problem.textContent = problem ?? (tooLong ? questionProblem(text) : "");
    ui.problem.hidden = !ui.problem.textContent;
    ui.askButton.disabled = running || Boolean(questionProblem(text));
    ui.askButton.title = questionProblem(text) || "Ask the local model about this paper";
    ui.askButton.hidden = running;
    ui.stopButton.hidden = !running;
    ui.newConversation.hidden = ui.turns.childElementCount === 0;
  }

  async function openPassage(url) {
    if (!isPassageAddress(url)) return; // the worker would refuse it too: no fallback for it either
    // In the side panel the worker cannot tell which window the click came from (no sender.tab): say so.
    const windowId = await globalThis.chrome?.windows?.getCurrent?.().then(
      (window) => window.id,
      () => undefined,
    );
    Promise.resolve(send({ type: "openPassage", url, windowId }))
      .then((reply) => {
        if (!reply?.ok) throw new Error(reply?.error?.message);
      })
      .catch(() => globalThis.open?.(url, "_blank", "noopener,noreferrer"));
  }

  clicks(ui.askButton, () => ask(ui.input.value));
  clicks(ui.stopButton, stop);
  clicks(ui.newConversation, newConversation);
  ui.input.addEventListener("input", () => showInput());
  ui.input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    if (event.isTrusted || !trustedOnly) ask(ui.input.value);
  });
  ui.turns.addEventListener("click", (event) => {
    const link = event.target?.closest?.("a[data-passage]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault(); // the worker scrolls a tab already showing the page, or opens it
    if (event.isTrusted || !trustedOnly) openPassage(link.href);
  });
  showInput();
  load();

  return {
    element: ui.box,
    ask,
    stop,
    newConversation,
    reload,
    close: () => current?.stream.disconnect(),
    get conversationId() {
      return conversationId;
    },
  };
}

/** The quote chips of a finished answer, and its [pN] links marked as passage links. */
function showCitations(doc, turn, done) {
  const urls = new Set();
  const chips = [];
  for (const citation of done.citations ?? []) {
    const quote = String(citation.quote ?? "").trim();
    if (!quote) continue;
    const attrs = { class: "arxivgpt-quote", "data-arxivgpt": "quote" };
    const url = passageUrl(citation.url);
    if (url) {
      Object.assign(attrs, { href: url, target: "_blank", rel: "noopener noreferrer", "data-passage": "" });
      attrs.title = `Show ${citation.passage ?? "this passage"} in the paper`;
      urls.add(url);
    }
    const chip = el(
      doc,
      url ? "a" : "span",
      attrs,
      el(doc, "span", { class: "arxivgpt-quote-text" }, `“${quote}”`),
      el(doc, "span", { class: "arxivgpt-quote-source" }, chipSource(citation)),
    );
    chips.push(el(doc, "li", {}, chip));
  }
  for (const given of done.passages ?? []) {
    const url = passageUrl(given?.url);
    if (url) urls.add(url);
  }
  for (const link of turn.answer.querySelectorAll("a[href]")) {
    if (urls.has(link.getAttribute("href"))) link.setAttribute("data-passage", "");
  }
  turn.quotes.replaceChildren(...chips);
  turn.quotes.hidden = chips.length === 0;
}

/** A citation's URL when it is an absolute http(s) one (the only links a panel keeps), else "". */
function passageUrl(url) {
  try {
    const parsed = new URL(String(url ?? ""));
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "";
  } catch {
    return "";
  }
}

function buildBox(doc) {
  const heading = el(doc, "h3", { class: "arxivgpt-ask-title" }, "Ask about this paper");
  const newConversation = button(doc, "new-conversation", "New conversation", {
    title: "Start a new conversation (the earlier one stays on the backend)",
  });
  const header = el(doc, "div", { class: "arxivgpt-ask-header" }, heading, newConversation);
  const status = el(doc, "p", { class: "arxivgpt-ask-status", "data-arxivgpt": "conversation-status" });
  const turns = el(doc, "ol", { class: "arxivgpt-turns", "data-arxivgpt": "conversation" });
  const input = el(doc, "textarea", {
    class: "arxivgpt-question-input",
    "data-arxivgpt": "question-input",
    rows: "2",
    placeholder: "What dataset do they use? (Enter asks, Shift+Enter starts a new line)",
    "aria-label": "Your question about this paper",
  });
  const count = el(doc, "span", { class: "arxivgpt-question-count", "data-arxivgpt": "question-count" });
  const problem = el(doc, "p", {
    class: "arxivgpt-question-problem",
    "data-arxivgpt": "question-problem",
    role: "alert",
  });
  const askButton = button(doc, "ask-button", "Ask");
  askButton.classList.add("arxivgpt-ask-button");
  const stopButton = button(doc, "ask-stop", "Stop", { title: "Stop this answer (it is not kept)" });
  const row = el(doc, "div", { class: "arxivgpt-ask-row" }, count, stopButton, askButton);
  const form = el(doc, "div", { class: "arxivgpt-ask-form" }, input, problem, row);
  const box = el(
    doc,
    "section",
    { class: "arxivgpt-ask", "data-arxivgpt": "ask", "aria-label": "Ask about this paper" },
    header,
    status,
    turns,
    form,
  );
  return { box, newConversation, status, turns, input, count, problem, askButton, stopButton };
}

function buildTurn(doc, question) {
  const asked = el(doc, "p", { class: "arxivgpt-question", "data-arxivgpt": "question" }, question);
  const answer = el(doc, "div", {
    class: "arxivgpt-answer",
    "data-arxivgpt": "answer",
    "aria-live": "polite",
  });
  const statusText = el(doc, "span", { class: "arxivgpt-status-text" });
  const status = el(
    doc,
    "div",
    { class: "arxivgpt-status", "data-arxivgpt": "answer-status", role: "status" },
    el(doc, "span", { class: "arxivgpt-spinner", "aria-hidden": "true" }),
    statusText,
  );
  status.hidden = true;
  const quotes = el(doc, "ul", { class: "arxivgpt-quotes", "data-arxivgpt": "quotes" });
  quotes.hidden = true;
  const notes = el(doc, "div", { class: "arxivgpt-notes", "data-arxivgpt": "answer-notes" });
  const error = el(doc, "div", { class: "arxivgpt-error", "data-arxivgpt": "answer-error", role: "alert" });
  error.hidden = true;
  const element = el(
    doc,
    "li",
    { class: "arxivgpt-turn", "data-arxivgpt": "turn" },
    asked,
    answer,
    status,
    quotes,
    notes,
    error,
  );
  return { element, answer, status, statusText, quotes, notes, error };
}
