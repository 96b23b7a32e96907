// The extension's settings: defaults in one place, merged with what the user saved.
//
// Everything but the API token lives in chrome.storage.sync (it follows the user's Chrome profile); the token is a
// secret and stays in chrome.storage.local. storage.sync refuses an item larger than QUOTA_BYTES_PER_ITEM
// (8,192 bytes, counted as the key plus the JSON of the value), so saving checks that first and says which item
// is too large instead of failing silently.
//
// The pure helpers (merge, size checks, the request body) take no `chrome`, so Node's test runner can run them.

export const DEFAULTS = Object.freeze({
  backendUrl: "http://127.0.0.1:8765",
  template: "", // "" means the backend's own default template
  source: "full", // "full" | "abstract"
  language: "English",
  model: "", // "" means whatever model the server runs
  length: "normal", // "short" | "normal" | "long": LENGTHS below
  apiToken: "", // ARXIVGPT_API_TOKEN, only when the backend was started with one
});

export const SOURCES = Object.freeze(["full", "abstract"]);

/** Summary lengths as `max_new_tokens`; "normal" sends none, so the backend's ARXIVGPT_MAX_NEW_TOKENS (768 by
 * default) applies. */
export const LENGTHS = Object.freeze({ short: 384, normal: null, long: 1536 });
export const LOCAL_KEYS = Object.freeze(["apiToken"]);
export const SYNC_KEYS = Object.freeze(Object.keys(DEFAULTS).filter((key) => !LOCAL_KEYS.includes(key)));

/** chrome.storage.sync.QUOTA_BYTES_PER_ITEM, for when the constant is not at hand. */
export const SYNC_QUOTA_BYTES_PER_ITEM = 8192;

const LABELS = {
  backendUrl: "The backend URL",
  template: "The template",
  source: "The source",
  language: "The language",
  model: "The model",
  length: "The length",
};

/** The defaults overlaid with stored values of the right type; unknown keys and wrong types are dropped. */
export function mergeSettings(...stored) {
  const settings = { ...DEFAULTS };
  for (const values of stored) {
    for (const [key, value] of Object.entries(values ?? {})) {
      if (key in DEFAULTS && typeof value === typeof DEFAULTS[key]) settings[key] = value;
    }
  }
  if (!SOURCES.includes(settings.source)) settings.source = DEFAULTS.source;
  if (!(settings.length in LENGTHS)) settings.length = DEFAULTS.length;
  return settings;
}

/** How many bytes storage.sync counts for one item: the key plus the JSON of its value, in UTF-8. */
export function itemBytes(key, value) {
  return new TextEncoder().encode(key + JSON.stringify(value)).length;
}

/** The items over the per-item quota, largest first: `[{key, bytes}]`. */
export function oversizedItems(items, limit = SYNC_QUOTA_BYTES_PER_ITEM) {
  return Object.entries(items)
    .map(([key, value]) => ({ key, bytes: itemBytes(key, value) }))
    .filter((item) => item.bytes > limit)
    .sort((a, b) => b.bytes - a.bytes);
}

/** What to tell the user about an item that does not fit. */
export function quotaMessage(item, limit = SYNC_QUOTA_BYTES_PER_ITEM) {
  return overLimit(LABELS[item.key] ?? `The setting "${item.key}"`, item.bytes, limit);
}

function overLimit(label, bytes, limit) {
  return (
    `${label} is ${amount(bytes)}, but Chrome keeps (and syncs to your other computers) at most ` +
    `${amount(limit)} for one setting: shorten it by ${amount(bytes - limit)}.`
  );
}

/** How much of the room Chrome gives one setting `bytes` take, in words. */
export function storageText(label, bytes, limit = SYNC_QUOTA_BYTES_PER_ITEM) {
  if (bytes > limit) return overLimit(label, bytes, limit);
  const share = Math.max(1, Math.round((100 * bytes) / limit));
  return `${label} takes ${amount(bytes)} of the ${amount(limit)} Chrome keeps for it (${share}%).`;
}

/** 8192 -> "8 KB", 1300 -> "1.3 KB", 30 -> "30 bytes", 1 -> "1 byte". */
export function amount(bytes) {
  const n = Math.max(0, Math.round(bytes));
  if (n < 1024) return `${n} byte${n === 1 ? "" : "s"}`;
  const kb = n / 1024;
  return `${kb >= 10 || Number.isInteger(kb) ? Math.round(kb) : kb.toFixed(1)} KB`;
}

/** A backend URL as typed -> `{url}` without trailing slashes, or `{error}` saying what is wrong. */
export function normalizeBackendUrl(text) {
  const raw = String(text ?? "").trim();
  if (!raw) return { url: DEFAULTS.backendUrl };
  let parsed;
  try {
    parsed = new URL(raw);
  } catch {
    return { error: `"${raw}" is not a URL; use one like ${DEFAULTS.backendUrl}.` };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return { error: `The backend URL must start with http:// or https://, not ${parsed.protocol}//.` };
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    return { error: "The backend URL takes no query, fragment or credentials." };
  }
  return { url: `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}` };
}

/** Whether the extension may reach `url` (its host permissions cover 127.0.0.1 and localhost only). */
export function isLocalBackend(url) {
  try {
    const host = new URL(url).hostname;
    return host === "127.0.0.1" || host === "localhost";
  } catch {
    return false;
  }
}

/**
 * The JSON body of `POST /v1/summaries` for `paper`: explicit `overrides` (from the page) win over the settings;
 * empty template/language/model are left out, so the backend's defaults apply.
 */
export function summaryRequestBody(paper, settings, overrides = {}) {
  const pick = (key) => {
    const value = overrides[key];
    return typeof value === "string" && value !== "" ? value : settings[key];
  };
  const source = SOURCES.includes(pick("source")) ? pick("source") : DEFAULTS.source;
  const body = { paper, source, stream: true };
  for (const key of ["template", "language", "model"]) {
    const value = pick(key);
    if (typeof value === "string" && value.trim() !== "") body[key] = value;
  }
  const tokens = LENGTHS[pick("length")];
  if (tokens) body.max_new_tokens = tokens;
  if (overrides.refresh === true) body.refresh = true;
  return body;
}

/**
 * The JSON body of `POST /v1/questions`: the question about `paper`, in the conversation `conversationId` when
 * one goes on, else a new one that starts from `summary` (the summary the reader has seen) when there is one.
 * The source and model are the summaries' (the page's overrides first, then the settings).
 */
export function questionRequestBody(paper, settings, { question, conversationId, summary, ...overrides } = {}) {
  const { source, model } = summaryRequestBody(paper, settings, overrides);
  const body = { paper, question: String(question ?? ""), source, stream: true };
  if (model) body.model = model;
  if (typeof conversationId === "string" && conversationId) body.conversation_id = conversationId;
  else if (typeof summary === "string" && summary.trim() && summary.length <= MAX_SUMMARY_CHARS)
    body.summary = summary;
  return body;
}

/** The longest summary a conversation may start from (the backend's MAX_SUMMARY_CHARS). */
export const MAX_SUMMARY_CHARS = 20_000;

/** The settings as saved, over the defaults. */
export async function loadSettings(storage = globalThis.chrome.storage) {
  const [synced, local] = await Promise.all([storage.sync.get(SYNC_KEYS), storage.local.get(LOCAL_KEYS)]);
  return mergeSettings(synced, local);
}

/** Thrown by saveSettings when an item does not fit; `message` is meant for the user. */
export class QuotaError extends Error {
  constructor(item, limit) {
    super(quotaMessage(item, limit));
    this.name = "QuotaError";
    this.key = item.key;
    this.bytes = item.bytes;
    this.limit = limit;
  }
}

/** Save `values` (any subset of the settings) after checking each synced item against the per-item quota. */
export async function saveSettings(values, storage = globalThis.chrome.storage) {
  const synced = {};
  const local = {};
  for (const [key, value] of Object.entries(values)) {
    if (!(key in DEFAULTS)) continue;
    (LOCAL_KEYS.includes(key) ? local : synced)[key] = value;
  }
  const limit = storage.sync.QUOTA_BYTES_PER_ITEM ?? SYNC_QUOTA_BYTES_PER_ITEM;
  const [tooLarge] = oversizedItems(synced, limit);
  if (tooLarge) throw new QuotaError(tooLarge, limit);
  await Promise.all([
    Object.keys(synced).length ? storage.sync.set(synced) : null,
    Object.keys(local).length ? storage.local.set(local) : null,
  ]);
}
