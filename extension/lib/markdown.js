// Model text to DOM nodes, safely: the streamed Markdown as it arrives, and the backend's finished HTML.
//
// No model text ever goes through innerHTML. While a summary streams, `parseBlocks` and `parseInline` (pure,
// tested under Node) turn the Markdown written so far into a small tree, which `MarkdownView` builds with
// createElement and text nodes, re-building only the blocks that changed since the last piece. When `done`
// comes, `importHtml` reads the backend's sanitised HTML with DOMParser (an inert document: nothing in it
// runs or loads) and copies over only the tags a summary uses, with only absolute http(s) links; the result
// replaces the streamed nodes in one step, keeping the scroll position.
//
// The subset is what markdown-it renders for a summary (commonmark): ATX and setext headings, paragraphs,
// bullet and numbered lists (tight or loose), block quotes, fenced and indented code, thematic breaks; inline
// code, strong, emphasis, links, autolinks, backslash escapes and hard breaks. Anything else stays text.

const ALLOWED_TAGS = new Set(
  "p h1 h2 h3 h4 h5 h6 ul ol li strong em code pre blockquote a table thead tbody tr th td hr br del s".split(
    " ",
  ),
);
const DROPPED_TAGS = new Set(["script", "style", "template", "iframe", "object", "embed", "noscript"]);

/** Whether `href` is an absolute http(s) URL with a host: the only links a summary keeps. */
export function isWebUrl(href) {
  const text = String(href ?? "").trim();
  if (!/^https?:\/\/[^/\\\s]/i.test(text)) return false; // the host comes right after "//", as Python reads it
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

// --- blocks ---------------------------------------------------------------------------------------------

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const QUOTE = /^ {0,3}>[ ]?(.*)$/;
const BULLET = /^ {0,3}([-*+])[ \t]+(.*)$/;
const ORDERED = /^ {0,3}(\d{1,9})([.)])[ \t]+(.*)$/;
const INDENTED = /^(?: {4}|\t)(.*)$/;

/**
 * The blocks of `text`, in order: {type: "heading", level, text} | {type: "paragraph", text} |
 * {type: "list", ordered, start, loose, items: [text]} | {type: "code", text} | {type: "quote", text} |
 * {type: "rule"}. Each block also has `source`, the lines it came from (equal sources render the same).
 */
export function parseBlocks(text) {
  const lines = String(text).replace(/\r\n?/g, "\n").split("\n");
  const blocks = [];
  let open = null; // the paragraph, list or quote that the next line may continue
  let blankBefore = false;
  const push = (block, line) => {
    block.source = line;
    blocks.push(block);
    return block;
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (!line.trim()) {
      if (open?.type !== "list") open = null;
      blankBefore = true;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence && !(open?.type === "list" && /^\s{2,}/.test(line))) {
      const body = [];
      let j = i + 1;
      while (j < lines.length && !lines[j].trimStart().startsWith(fence[1])) body.push(lines[j++]);
      push({ type: "code", text: body.join("\n") }, lines.slice(i, j + 1).join("\n"));
      i = j;
      open = null;
      blankBefore = false;
      continue;
    }
    let match;
    if (open?.type === "paragraph" && !blankBefore && (match = SETEXT.exec(line))) {
      open.type = "heading";
      open.level = match[1][0] === "=" ? 1 : 2;
      open.source += `\n${line}`;
      open = null;
    } else if ((match = HEADING.exec(line))) {
      push({ type: "heading", level: match[1].length, text: match[2] ?? "" }, line);
      open = null;
    } else if (RULE.test(line)) {
      push({ type: "rule" }, line);
      open = null;
    } else if ((match = QUOTE.exec(line))) {
      if (open?.type === "quote") {
        open.text += `\n${match[1]}`;
        open.source += `\n${line}`;
      } else open = push({ type: "quote", text: match[1] }, line);
    } else if ((match = BULLET.exec(line) ?? ORDERED.exec(line))) {
      const ordered = match.length === 4;
      const itemText = ordered ? match[3] : match[2];
      const marker = ordered ? match[2] : match[1];
      // An ordered list interrupts a paragraph only when it starts at 1 (commonmark).
      const interrupts = !(open?.type === "paragraph" && !blankBefore && ordered && match[1] !== "1");
      if (open?.type === "list" && open.ordered === ordered && open.marker === marker) {
        if (blankBefore) open.loose = true;
        open.items.push(itemText);
        open.source += `\n${line}`;
      } else if (interrupts) {
        const start = ordered ? Number(match[1]) : 1;
        open = push({ type: "list", ordered, marker, start, loose: false, items: [itemText] }, line);
      } else {
        open.text += `\n${line.trim()}`;
        open.source += `\n${line}`;
      }
    } else if (open?.type === "list" && (!blankBefore || /^\s{2,}\S/.test(line))) {
      if (blankBefore) open.loose = true;
      open.items[open.items.length - 1] += `\n${line.trimStart()}`; // continuation of the last item
      open.source += `\n${line}`;
    } else if (open?.type === "paragraph" || (open?.type === "quote" && !blankBefore)) {
      open.text += `\n${open.type === "quote" ? line : line.trimStart()}`;
      open.source += `\n${line}`;
    } else if ((match = INDENTED.exec(line))) {
      const last = blocks[blocks.length - 1];
      if (last?.type === "code" && last.indented) {
        last.text += `${"\n".repeat(blankBefore ? 2 : 1)}${match[1]}`;
        last.source += `\n${line}`;
      } else push({ type: "code", indented: true, text: match[1] }, line);
      open = null;
    } else {
      open = push({ type: "paragraph", text: line.trimStart() }, line); // trailing "  " is a hard break
    }
    blankBefore = false;
  }
  return blocks;
}

// --- inlines --------------------------------------------------------------------------------------------

const INLINE_PATTERNS = [
  ["escape", /\\([!-/:-@[-`{-~])/y],
  ["break", / {2,}\n|\\\n/y],
  ["code", /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/y],
  ["autolink", /<((?:https?|mailto):[^<>\s]+)>/y],
  [
    "link",
    /\[((?:\\.|[^\][\\]|\[(?:\\.|[^\][\\])*\])*)\]\(\s*<?([^\s<>()]*(?:\([^\s()]*\))?[^\s<>()]*)>?(?:\s+(?:"([^"]*)"|'([^']*)'))?\s*\)/y,
  ],
  ["emstrong", /(\*\*\*|___)(?=\S)([\s\S]*?\S)\1(?![*_])/y],
  ["strong", /(\*\*|__)(?=\S)([\s\S]*?\S)\1(?![*_])/y],
  ["em", /([*_])(?=[^\s*_])([\s\S]*?[^\s\\])\1(?![*_])/y],
];

/**
 * Inline Markdown as a tree: strings for text, and {type: "code", text} | {type: "strong"|"em", children} |
 * {type: "link", href, children} | {type: "break"}. Links that are not absolute http(s) URLs come back as
 * their text; `[12]`-style citations and unfinished markup stay as they are.
 */
export function parseInline(text) {
  const out = [];
  let plain = "";
  const source = String(text);
  let i = 0;
  const flush = () => {
    if (plain) out.push(plain.replace(/\n/g, " "));
    plain = "";
  };
  while (i < source.length) {
    const found = matchAt(source, i);
    if (!found) {
      plain += source[i];
      i += 1;
      continue;
    }
    const [kind, match] = found;
    i += match[0].length;
    if (kind === "escape") {
      plain += match[1];
      continue;
    }
    flush();
    if (kind === "break") out.push({ type: "break" });
    else if (kind === "code")
      out.push({ type: "code", text: match[2].replace(/\n/g, " ").replace(/^ (.+) $/, "$1") });
    else if (kind === "autolink") out.push(linkOrText(match[1], [match[1]]));
    else if (kind === "link") out.push(linkOrText(match[2], parseInline(match[1]), match[3] ?? match[4]));
    else if (kind === "emstrong")
      out.push({ type: "em", children: [{ type: "strong", children: parseInline(match[2]) }] });
    else out.push({ type: kind, children: parseInline(match[2]) });
  }
  flush();
  return out.flatMap((node) => (node?.type === "text" ? node.children : [node]));
}

function matchAt(source, index) {
  const char = source[index];
  if (!"\\ `<[*_".includes(char)) return null;
  if (char === "_" && /\w/.test(source[index - 1] ?? "")) return null; // snake_case is not emphasis
  for (const [kind, pattern] of INLINE_PATTERNS) {
    pattern.lastIndex = index;
    const match = pattern.exec(source);
    if (match) return [kind, match];
  }
  return null;
}

function linkOrText(href, children, title) {
  if (!isWebUrl(href)) return { type: "text", children };
  return { type: "link", href: href.trim(), children, ...(title ? { title } : {}) };
}

// --- DOM ------------------------------------------------------------------------------------------------

/** The DOM element for one block (from parseBlocks), built from text nodes only. */
export function blockElement(doc, block) {
  switch (block.type) {
    case "heading":
      return withInline(doc, doc.createElement(`h${block.level}`), block.text);
    case "rule":
      return doc.createElement("hr");
    case "code": {
      const pre = doc.createElement("pre");
      const code = doc.createElement("code");
      code.textContent = block.text;
      pre.append(code);
      return pre;
    }
    case "quote": {
      const quote = doc.createElement("blockquote");
      for (const inner of parseBlocks(block.text)) quote.append(blockElement(doc, inner));
      return quote;
    }
    case "list": {
      const list = doc.createElement(block.ordered ? "ol" : "ul");
      if (block.ordered && block.start !== 1) list.setAttribute("start", String(block.start));
      for (const item of block.items) {
        const li = doc.createElement("li");
        list.append(li);
        if (block.loose) li.append(withInline(doc, doc.createElement("p"), item));
        else withInline(doc, li, item);
      }
      return list;
    }
    default:
      return withInline(doc, doc.createElement("p"), block.text);
  }
}

function withInline(doc, parent, text) {
  appendInline(doc, parent, parseInline(text));
  return parent;
}

function appendInline(doc, parent, nodes) {
  for (const node of nodes) {
    if (typeof node === "string") parent.append(doc.createTextNode(node));
    else if (node.type === "break") parent.append(doc.createElement("br"));
    else if (node.type === "code") {
      const code = doc.createElement("code");
      code.textContent = node.text;
      parent.append(code);
    } else if (node.type === "link") {
      const link = doc.createElement("a");
      setLink(link, node.href);
      if (node.title) link.setAttribute("title", node.title);
      appendInline(doc, link, node.children);
      parent.append(link);
    } else {
      const element = doc.createElement(node.type === "strong" ? "strong" : "em");
      appendInline(doc, element, node.children);
      parent.append(element);
    }
  }
}

function setLink(link, href) {
  link.setAttribute("href", href);
  link.setAttribute("target", "_blank");
  link.setAttribute("rel", "noopener noreferrer");
}

/**
 * The backend's sanitised HTML as a DocumentFragment of `doc`: parsed inertly by DOMParser, then only the
 * tags a summary uses are copied, with no attributes but an http(s) link's href and title and a list's start.
 * Other elements give their text (script and style give nothing); a link without a web URL gives its text.
 */
export function importHtml(doc, html) {
  const parsed = new DOMParser().parseFromString(String(html ?? ""), "text/html");
  const fragment = doc.createDocumentFragment();
  copyChildren(doc, parsed.body, fragment);
  return fragment;
}

function copyChildren(doc, from, to) {
  for (const node of from.childNodes) {
    if (node.nodeType === 3) {
      to.append(doc.createTextNode(node.data));
      continue;
    }
    if (node.nodeType !== 1) continue;
    const tag = node.localName;
    if (DROPPED_TAGS.has(tag)) continue;
    const href = tag === "a" ? node.getAttribute("href") : null;
    if (!ALLOWED_TAGS.has(tag) || (tag === "a" && !isWebUrl(href))) {
      copyChildren(doc, node, to); // unwrap: keep the text, lose the element
      continue;
    }
    const element = doc.createElement(tag);
    if (tag === "a") {
      setLink(element, href.trim());
      const title = node.getAttribute("title");
      if (title) element.setAttribute("title", title);
    }
    if (tag === "ol" && /^\d{1,9}$/.test(node.getAttribute("start") ?? "")) {
      element.setAttribute("start", node.getAttribute("start"));
    }
    copyChildren(doc, node, element);
    to.append(element);
  }
}

/**
 * Streamed Markdown rendered into `container` as it grows: `update(text)` with everything received so far
 * re-builds only the blocks whose source changed (in practice the last one or two).
 */
export class MarkdownView {
  constructor(doc, container) {
    this.doc = doc;
    this.container = container;
    this.rendered = []; // [{source, node}]
  }

  update(text) {
    const blocks = parseBlocks(text);
    let same = 0;
    while (
      same < blocks.length &&
      same < this.rendered.length &&
      blocks[same].source === this.rendered[same].source &&
      blocks[same].type === this.rendered[same].type
    ) {
      same += 1;
    }
    for (const stale of this.rendered.splice(same)) stale.node.remove();
    for (const block of blocks.slice(same)) {
      const node = blockElement(this.doc, block);
      this.container.append(node);
      this.rendered.push({ source: block.source, type: block.type, node });
    }
  }
}
