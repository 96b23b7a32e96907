"""Summary Markdown to safe HTML: markdown-it-py renders (raw HTML escaped), nh3 sanitises.

Only absolute http(s) links stay links; any other link (relative, `#top`, `mailto:`, `ftp:`) is reduced to its
text before rendering, so no `<a>` without a destination reaches a page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "code", "pre"}
    | {"blockquote", "a", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "del", "s"}
)
ALLOWED_SCHEMES = frozenset({"http", "https"})
LINK_REL = "noopener noreferrer"


def is_web_url(href: str) -> bool:
    """An absolute http(s) URL with a host: the only links a summary keeps."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.hostname)


def _unlink(state: StateCore) -> None:
    """Drop the link_open/link_close pair of every link that is not a web URL; its text stays."""
    for block in state.tokens:
        if not block.children:
            continue
        kept: list[Token] = []
        dropped: list[bool] = []  # one entry per open link: was its opening dropped?
        for token in block.children:
            if token.type == "link_open":
                drop = not is_web_url(str(token.attrGet("href") or ""))
                dropped.append(drop)
                if drop:
                    continue
            elif token.type == "link_close" and dropped and dropped.pop():
                continue
            kept.append(token)
        block.children = kept


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
_MARKDOWN.core.ruler.push("unlink_non_web", _unlink)


def to_html(markdown: str) -> str:
    """Render `markdown` and keep only a small set of tags; links open in a new tab, without an opener."""
    return nh3.clean(
        _MARKDOWN.render(markdown),
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={"a": {"href", "title"}, "ol": {"start"}},  # a list that starts at 3 says so
        attribute_filter=_keep_web_links,
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def _keep_web_links(tag: str, attribute: str, value: str) -> str | None:
    """A second guard after the renderer's: an href that is not an absolute http(s) URL is removed."""
    if tag == "a" and attribute == "href":
        return value if is_web_url(value) else None
    return value
