// The one HTTP path to the ArxivGPT backend (only the service worker imports this module).
//
// Every failure becomes a BackendError whose `message` a user can act on:
//   backend_unreachable   fetch itself failed (nothing listens there): say how to start the backend, and
//                         give the exact command (`command`)
//   <the backend's code>  an HTTP error with the API's shape {"error": {"code", "message", "line"?}}
//   http_error            an HTTP error in another shape (something else answers on that port)
//   not_arxivgpt          a 200 that is not an event stream
//   stream_lost           the connection broke mid-stream
//   incomplete            the stream ended without `done` or `error`
// An abort (the page closed the panel) is not an error: a stream just returns.

import { startCommand } from "./present.js";
import { readSse } from "./sse.js";

const STREAM_EVENTS = new Set(["meta", "progress", "delta", "done", "error"]);

export class BackendError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.name = "BackendError";
    this.code = code;
    Object.assign(this, extra);
  }

  toJSON() {
    const out = { code: this.code, message: this.message };
    for (const key of ["status", "line", "retryAfter", "command"])
      if (this[key] != null) out[key] = this[key];
    return out;
  }
}

export function unreachableMessage(backendUrl) {
  return (
    `The ArxivGPT backend is not running at ${backendUrl}. ` +
    `Start it with \`${startCommand(backendUrl)}\` (or \`make serve\` in its folder) and try again.`
  );
}

/**
 * A request to the backend: `settings` gives backendUrl and apiToken; `body` (an object) is sent as JSON.
 * Resolves to the Response when its status is 2xx; throws BackendError otherwise.
 */
export async function request(settings, path, { method = "GET", body, signal, accept, fetchImpl } = {}) {
  const doFetch = fetchImpl ?? globalThis.fetch;
  const headers = { Accept: accept ?? "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (settings.apiToken) headers.Authorization = `Bearer ${settings.apiToken}`;
  let response;
  try {
    response = await doFetch(`${settings.backendUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: "no-store",
      credentials: "omit",
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new BackendError("backend_unreachable", unreachableMessage(settings.backendUrl), {
      command: startCommand(settings.backendUrl),
    });
  }
  if (!response.ok) throw await errorFromResponse(response, settings.backendUrl);
  return response;
}

/** `request` for a JSON answer. */
export async function requestJson(settings, path, options = {}) {
  const response = await request(settings, path, options);
  try {
    return await response.json();
  } catch {
    throw new BackendError("not_arxivgpt", notArxivgptMessage(settings.backendUrl));
  }
}

/** The BackendError for a non-2xx response: the API's own message when it sent one. */
export async function errorFromResponse(response, backendUrl) {
  const status = response.status;
  const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  const error = payload && typeof payload === "object" ? payload.error : null;
  if (error && typeof error.message === "string") {
    let message = error.message;
    if (status === 401) message += " Set the same token as the API token in the extension's options.";
    const extra = { status, retryAfter };
    if (Number.isInteger(error.line)) extra.line = error.line;
    return new BackendError(String(error.code ?? "http_error"), message, extra);
  }
  const reason = response.statusText ? ` ${response.statusText}` : "";
  return new BackendError(
    "http_error",
    `The server at ${backendUrl} answered HTTP ${status}${reason}; is it the ArxivGPT backend? ` +
      "Check the backend URL in the extension's options.",
    { status, retryAfter },
  );
}

/**
 * Stream one summary (`POST /v1/summaries`): see streamEvents.
 */
export function streamSummary(settings, body, options = {}) {
  return streamEvents(settings, "/v1/summaries", body, { ...options, what: "summary" });
}

/**
 * Stream one answer to a question about a paper (`POST /v1/questions`): see streamEvents.
 */
export function streamAnswer(settings, body, options = {}) {
  return streamEvents(settings, "/v1/questions", body, { ...options, what: "answer" });
}

/**
 * POST `body` to `path` as an event stream: calls `onEvent(name, data)` for each `meta`, `progress`, `delta`,
 * `done` and `error` event, in order. `what` names the result in messages ("summary", "answer").
 * Resolves when the stream ends (after `done` or `error`); throws BackendError when no `done`/`error` came.
 * Aborting `signal` closes the connection, which stops the model on the backend; it then resolves quietly.
 */
export async function streamEvents(settings, path, body, options = {}) {
  const { signal, onEvent, fetchImpl, what = "summary" } = options;
  let response;
  try {
    response = await request(settings, path, {
      method: "POST",
      body,
      signal,
      accept: "text/event-stream",
      fetchImpl,
    });
  } catch (error) {
    if (isAbort(error)) return;
    throw error;
  }
  const type = response.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("text/event-stream") || !response.body) {
    throw new BackendError("not_arxivgpt", notArxivgptMessage(settings.backendUrl));
  }
  let finished = false;
  try {
    for await (const { event, data } of readSse(response.body)) {
      if (!STREAM_EVENTS.has(event)) continue;
      let parsed;
      try {
        parsed = JSON.parse(data);
      } catch {
        throw new BackendError("not_arxivgpt", `The backend sent an unreadable ${event} event.`);
      }
      if (event === "error") {
        finished = true;
        onEvent("error", {
          code: String(parsed.code ?? "error"),
          message: String(parsed.message ?? "The backend reported an error."),
          ...(Number.isInteger(parsed.line) ? { line: parsed.line } : {}),
        });
        return;
      }
      onEvent(event, parsed);
      if (event === "done") {
        finished = true;
        return;
      }
    }
  } catch (error) {
    if (isAbort(error) || signal?.aborted) return;
    if (error instanceof BackendError) throw error;
    throw new BackendError(
      "stream_lost",
      `The connection to the backend at ${settings.backendUrl} was lost before the ${what} was finished. ` +
        "Check that the backend is still running, then try again.",
    );
  }
  if (!finished && !signal?.aborted) {
    throw new BackendError(
      "incomplete",
      `The backend ended the stream before the ${what} was finished; its log may say why. Try again.`,
    );
  }
}

export function isAbort(error) {
  return error?.name === "AbortError";
}

function notArxivgptMessage(backendUrl) {
  return (
    `The server at ${backendUrl} did not answer like the ArxivGPT backend. ` +
    "Check the backend URL in the extension's options."
  );
}

function parseRetryAfter(value) {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
