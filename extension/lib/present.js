// What the panel says, in plain words: the model, what was read and why, the stage a summary is at, the
// action that fixes an error, and the header of a downloaded summary. Pure functions (no DOM, no chrome),
// tested under Node.

const DEVICES = { cpu: "on this computer's CPU", cuda: "on the GPU", mps: "on Apple's GPU" };
const PRECISIONS = { int8: "8-bit", nf4: "4-bit", fp16: "16-bit", bf16: "16-bit" };
const SOURCES = { html: "arXiv's HTML", ar5iv: "ar5iv", pdf: "the PDF" };
const SERVER_NAMES = new Set(["127.0.0.1", "localhost"]);

/** "smollm2-135m (cpu, bf16 on AMX)" -> "smollm2-135m on this computer's CPU"; other names as they are. */
export function modelText(name) {
  const match = /^(.+?) \((cpu|cuda|mps), ([^)]*)\)$/.exec(String(name ?? ""));
  if (!match) return String(name ?? "");
  const precision = PRECISIONS[match[3].split(/[ ,]/)[0]];
  return `${match[1]}${precision ? `, ${precision},` : ""} ${DEVICES[match[2]]}`;
}

/** What the model read: "the whole paper (12 sections) from arXiv's HTML", "the abstract only". */
export function readText(paper, strategy) {
  const source = paper?.source;
  const what = strategy?.description || (source === "abstract" ? "the abstract only" : "the full text");
  const from = SOURCES[source];
  return from && !/abstract|title only/.test(what) ? `${what}, from ${from}` : what;
}

/** Why only the abstract came back when the full text was asked for (the resolver's notes), or "". */
export function abstractReason(paper, requestedSource) {
  const why = abstractWhy(paper, requestedSource);
  return why ? `Only the abstract could be read: ${why}.` : "";
}

function abstractWhy(paper, requestedSource) {
  if (requestedSource === "abstract" || paper?.source !== "abstract") return "";
  const notes = (paper.notes ?? []).filter((note) => !/^no full text could be had/.test(note));
  return notes.length ? notes.join("; ") : "arXiv has no full text for this paper";
}

/**
 * The line under the title: who wrote it, what it read, and how fresh it is. `state` is the panel's:
 * loading | streaming | done | stopped | error.
 */
export function metaText({ meta, done, state, seconds } = {}) {
  const info = done ?? meta;
  if (!info) return "";
  const parts = [modelText(info.model)];
  const paper = info.paper ?? {};
  if (done) parts.push(`read ${readText(paper, done.strategy)}`);
  else if (paper.source)
    parts.push(paper.source === "abstract" ? "reading the abstract only" : "reading the full text");
  if (state === "done") {
    const took = typeof seconds === "number" ? ` in ${formatSeconds(seconds)}` : "";
    parts.push(done?.cached ? "kept from an earlier run" : `written just now${took}`);
  } else if (state === "stopped") parts.push("stopped");
  else if (state === "error") parts.push("failed");
  else if (info.cached) parts.push("kept from an earlier run");
  else parts.push("writing…");
  return parts.filter(Boolean).join(" · ");
}

function formatSeconds(seconds) {
  return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
}

/** The notes under a finished summary: a cut at the length limit, a language ignored, invented citations. */
export function resultNotes(done, { lengthSetting } = {}) {
  const notes = [];
  if (done?.finish_reason === "length") {
    const longer = lengthSetting === "long" ? "Regenerate, or" : "Choose a longer length in the options, or";
    notes.push(
      `The summary stopped at the length limit, so its end may be cut. ${longer} shorten the template.`,
    );
  }
  if (done?.language_note) {
    notes.push(
      `Language: ${done.language_note}. Small models often ignore the language; a larger model follows it better.`,
    );
  }
  const invented = done?.unknown_citations ?? 0;
  if (invented) {
    notes.push(
      `${invented} citation${invented === 1 ? "" : "s"} the model made up (not in the paper's bibliography) ` +
        `${invented === 1 ? "was" : "were"} removed.`,
    );
  }
  return notes;
}

/** What a running summary is doing, from the latest `progress` event (or the stage before any). */
export function stageText(progress, { meta } = {}) {
  if (progress?.message) {
    const text = String(progress.message);
    return `${text[0].toUpperCase()}${text.slice(1)}…`;
  }
  return meta ? "Fitting the paper to the model…" : "Fetching the paper…";
}

/** The command that starts the backend at `backendUrl` (the default URL needs no options). */
export function startCommand(backendUrl) {
  let url;
  try {
    url = new URL(backendUrl);
  } catch {
    return "arxivgpt serve";
  }
  const options = [];
  if (!SERVER_NAMES.has(url.hostname)) options.push(`--host ${url.hostname}`);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  if (port !== "8765") options.push(`--port ${port}`);
  return ["arxivgpt serve", ...options].join(" ");
}

const OPTIONS_CODES = new Set(["template_error", "unauthorized", "forbidden", "http_error", "not_arxivgpt"]);
const ABSTRACT_CODES = new Set(["extraction_error", "upstream_unavailable"]);

/**
 * The ways out of an error, first the one that fixes it: {kind: "start", command} (the backend is not
 * running), {kind: "options"} (a setting is wrong), {kind: "abstract"} (the full text failed), then always
 * {kind: "retry"}.
 */
export function errorActions(error, { backendUrl, source } = {}) {
  const actions = [];
  const code = error?.code;
  if (code === "backend_unreachable") actions.push({ kind: "start", command: startCommand(backendUrl) });
  if (OPTIONS_CODES.has(code)) actions.push({ kind: "options" });
  const fullTextFailed = ABSTRACT_CODES.has(code) || /source: abstract/.test(error?.message ?? "");
  if (source !== "abstract" && fullTextFailed) actions.push({ kind: "abstract" });
  actions.push({ kind: "retry" });
  return actions;
}

/** `hep-th/9901001` -> `hep-th_9901001`: a file name without directories. */
export function fileStem(id) {
  return String(id || "summary").replace(/[/\\:*?"<>|]+/g, "_");
}

/**
 * The downloaded file: a header (title, authors, arXiv link and version, model, date, what was read) and
 * the Markdown summary.
 */
export function summaryDocument(done, { date = new Date(), requestedSource } = {}) {
  const paper = done?.paper ?? {};
  const versioned = paper.id ? `${paper.id}${paper.version ? `v${paper.version}` : ""}` : "";
  const lines = [`# ${paper.title || versioned || "Summary"}`, ""];
  if (paper.authors?.length) lines.push(`- Authors: ${paper.authors.join(", ")}`);
  if (versioned) lines.push(`- arXiv: [${versioned}](https://arxiv.org/abs/${versioned})`);
  if (done?.model) lines.push(`- Model: ${done.model}`);
  lines.push(`- Date: ${date.toISOString().slice(0, 10)}`);
  const why = abstractWhy(paper, requestedSource);
  lines.push(`- Read: ${readText(paper, done?.strategy)}${why ? ` (${why})` : ""}`);
  lines.push("", "---", "", String(done?.summary ?? "").trim(), "");
  return lines.join("\n");
}
