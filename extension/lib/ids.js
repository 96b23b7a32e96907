// arXiv identifiers in URLs: the same rules as backend/arxivgpt/papers/ids.py, for the browser.
//
//   paperIdFromUrl("https://arxiv.org/pdf/2303.17580v2.pdf")   -> {id: "2303.17580", version: 2}
//   paperIdFromUrl("https://arxiv.org/abs/math.GT/0309136")    -> {id: "math/0309136", version: null}
//   paperIdFromUrl("https://arxiv.org/list/cs.AI/recent")      -> null
//   formatId({id: "2303.17580", version: 2})                   -> "2303.17580v2"
//
// Only arxiv.org (and its subdomains: www., export., ar5iv.labs.) and ar5iv.org count; any other host is null,
// whatever its path says. Text is NFKC-normalised first (full-width "２１０４.１２２５５" is 2104.12255); what is
// still not ASCII after that (Arabic-Indic digits, say) is not an ID, as in the backend.

// Archives of old-style identifiers (before April 2007), including retired ones such as solv-int.
export const OLD_ARCHIVES = new Set([
  "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn", "chem-ph",
  "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex", "hep-lat", "hep-ph",
  "hep-th", "math", "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph",
  "q-alg", "q-bio", "q-fin", "quant-ph", "solv-int", "stat", "supr-con",
]);

const NEW_ID = /^([0-9]{4})\.([0-9]{4,5})(?:v([1-9][0-9]*))?$/;
const OLD_ID = /^([a-z]+(?:-[a-z]+)?)(?:\.[A-Za-z]{2})?\/([0-9]{4})([0-9]{3})(?:v([1-9][0-9]*))?$/;
const ASCII = /^[\x00-\x7f]*$/;
const PREFIX = /^arxiv:\s*/i;
const PATH_KINDS = new Set(["abs", "pdf", "html", "format", "ps"]);

/** The ID if `text` is exactly a valid new- or old-style identifier (optional version), else null. */
export function matchArxivId(text) {
  const found = NEW_ID.exec(text);
  if (found) return newStyle(found[1], found[2], found[3]);
  const old = OLD_ID.exec(text);
  if (old) return oldStyle(old[1], old[2], old[3], old[4]);
  return null;
}

function newStyle(yymm, num, version) {
  const month = Number(yymm.slice(2));
  if (month < 1 || month > 12 || yymm < "0704") return null;
  // Four-digit sequence numbers ran from 0704 to 1412, five-digit ones since 1501.
  if ((num.length === 5) !== (yymm >= "1501")) return null;
  return { id: `${yymm}.${num}`, version: toVersion(version) };
}

function oldStyle(archive, yymm, num, version) {
  const month = Number(yymm.slice(2));
  if (!OLD_ARCHIVES.has(archive) || month < 1 || month > 12) return null;
  if (!(("9108" <= yymm && yymm <= "9912") || ("0001" <= yymm && yymm <= "0703"))) return null;
  return { id: `${archive}/${yymm}${num}`, version: toVersion(version) };
}

function toVersion(text) {
  return text ? Number(text) : null;
}

/** Whether `host` (lower case, no port) is arXiv's: arxiv.org, ar5iv.org or a subdomain of either. */
export function isArxivHost(host) {
  return (
    host === "arxiv.org" || host === "ar5iv.org" || host.endsWith(".arxiv.org") || host.endsWith(".ar5iv.org")
  );
}

/** The paper an arXiv URL points to (`/abs/`, `/pdf/` with or without `.pdf`, `/html/`), or null. */
export function paperIdFromUrl(url) {
  let parts;
  try {
    parts = url instanceof URL ? url : new URL(normalized(url));
  } catch {
    return null;
  }
  if (parts.protocol !== "http:" && parts.protocol !== "https:") return null;
  if (!isArxivHost(parts.hostname.toLowerCase())) return null;
  const segments = parts.pathname.split("/").filter(Boolean);
  if (segments.length < 2 || !PATH_KINDS.has(segments[0])) return null;
  const rest = segments.slice(1);
  // Old-style IDs span two segments (hep-th/9901001); HTML pages may add a file after the ID.
  if (rest.length >= 2) {
    const old = matchArxivId(stripPdf(`${rest[0]}/${rest[1]}`));
    if (old) return old;
  }
  return matchArxivId(stripPdf(rest[0]));
}

/** An ID as typed by a user (`2303.17580v2`, `arXiv:hep-th/9901001`) or an arXiv URL; null if neither. */
export function parseArxivId(text) {
  const raw = normalized(text ?? "").trim();
  if (!raw || !ASCII.test(raw)) return null;
  const candidate = raw.replace(PREFIX, "");
  const found = matchArxivId(candidate);
  if (found) return found;
  if (candidate.includes("://")) return paperIdFromUrl(candidate);
  if (looksLikeBareUrl(candidate)) return paperIdFromUrl(`https://${candidate}`);
  return null;
}

/** `{id, version}` as one string: `2303.17580v2`, or `2303.17580` for the latest version. */
export function formatId(paper) {
  if (!paper || !paper.id) return "";
  return paper.version ? `${paper.id}v${paper.version}` : paper.id;
}

/** NFKC: compatibility forms (full-width digits, letters and punctuation) become their ASCII spelling. */
export function normalized(text) {
  return String(text).normalize("NFKC");
}

function stripPdf(text) {
  return text.endsWith(".pdf") ? text.slice(0, -4) : text;
}

function looksLikeBareUrl(text) {
  const host = text.split("/", 1)[0].toLowerCase();
  return host.includes(".") && !/^\d/.test(host) && text.includes("/");
}
