// Asking about a paper, in plain words and pure functions (no DOM, no chrome; tested under Node): what is wrong
// with a question before it is sent, which kept conversation a panel shows, what a quote chip says, the notes
// under an answer, and whether two URLs show the same document (so a chip scrolls a tab instead of opening
// another).

/** The longest question the backend takes (MAX_QUESTION_CHARS in backend/arxivgpt/ask/models.py). */
export const MAX_QUESTION_CHARS = 2000;

const count = (n) => n.toLocaleString("en-US");

/** Why `text` cannot be asked, or "" when it can. */
export function questionProblem(text) {
  const question = String(text ?? "");
  if (!question.trim()) return "Type a question about this paper first.";
  if (question.length > MAX_QUESTION_CHARS) {
    return (
      `The question is ${count(question.length)} characters long; the backend takes at most ` +
      `${count(MAX_QUESTION_CHARS)}. Shorten it by ${count(question.length - MAX_QUESTION_CHARS)}.`
    );
  }
  return "";
}

/** The counter beside the question box: "120 / 2,000". */
export function questionCount(text) {
  return `${count(String(text ?? "").length)} / ${count(MAX_QUESTION_CHARS)}`;
}

/**
 * The conversation a panel shows when it opens, from `GET /v1/papers/{id}/conversations` (newest first): the
 * newest one of the newest version listed (for a versioned ID the backend lists that version only), or null.
 */
export function latestConversation(listed) {
  if (!Array.isArray(listed) || listed.length === 0) return null;
  const version = (info) => Number(info?.paper?.version) || 0;
  const newest = Math.max(...listed.map(version));
  return listed.find((info) => version(info) === newest && info?.id) ?? null;
}

/** What a quote chip says beside its quote: "p24 · Awareness of behaviors › 3.1.1 Design". */
export function chipSource(citation) {
  return [citation?.passage, citation?.section].filter(Boolean).join(" · ");
}

/**
 * The notes under a finished answer: a cut at the length limit, citations removed, sentences left out, and
 * the backend's own notes that the answer does not already say.
 */
export function answerNotes(done) {
  const notes = [];
  if (done?.finish_reason === "length") {
    notes.push("The answer stopped at the length limit, so its end may be cut.");
  }
  const removed = Number(done?.removed_citations) || 0;
  if (removed) {
    notes.push(
      `${removed} citation${removed === 1 ? "" : "s"} of passages the model was not given ` +
        `${removed === 1 ? "was" : "were"} removed.`,
    );
  }
  const dropped = Array.isArray(done?.dropped_sentences) ? done.dropped_sentences.length : 0;
  if (dropped) {
    notes.push(
      `${dropped} sentence${dropped === 1 ? "" : "s"} the passages do not support ` +
        `${dropped === 1 ? "was" : "were"} left out.`,
    );
  }
  const answer = String(done?.answer ?? "");
  for (const note of done?.notes ?? []) {
    const text = String(note);
    if (!text || answer.includes(text)) continue;
    notes.push(`${text[0].toUpperCase()}${text.slice(1)}${text.endsWith(".") ? "" : "."}`);
  }
  return notes;
}

/** What a running answer is doing: before the backend's `meta`, and after it (how many passages it read). */
export function answerStage(meta) {
  if (!meta) return "Finding the passages that answer it…";
  const given = Array.isArray(meta.passages) ? meta.passages.length : 0;
  return given
    ? `Reading the ${given === 1 ? "passage that answers" : `${given} passages that answer`} it best…`
    : "Looking for an answer…";
}

const PAPER_HOSTS = ["arxiv.org", "ar5iv.org"]; // and their subdomains (www., ar5iv.labs., export.)
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]); // a local mirror of arXiv (make demo, the tests)

/**
 * Whether a passage's link may be opened: http(s) on arXiv's hosts or this machine. The links come from the
 * backend's citations, never from model text, but a chip opens a tab, so nothing else gets through.
 */
export function isPassageAddress(url) {
  let parsed;
  try {
    parsed = new URL(String(url ?? ""));
  } catch {
    return false;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return false;
  const host = parsed.hostname;
  return LOOPBACK.has(host) || PAPER_HOSTS.some((site) => host === site || host.endsWith(`.${site}`));
}

/**
 * Whether URLs `a` and `b` show the same document: the same http(s) origin, path (a trailing slash aside) and
 * query; the fragment (the passage's anchor) does not count.
 */
export function sameDocument(a, b) {
  const parse = (text) => {
    try {
      const url = new URL(String(text ?? ""));
      return url.protocol === "http:" || url.protocol === "https:" ? url : null;
    } catch {
      return null;
    }
  };
  const [x, y] = [parse(a), parse(b)];
  if (!x || !y) return false;
  const path = (url) => url.pathname.replace(/\/+$/, "");
  return x.origin === y.origin && path(x) === path(y) && x.search === y.search;
}
