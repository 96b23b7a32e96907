"""Summary Markdown to safe HTML: markdown-it-py renders (raw HTML escaped), nh3 sanitises."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "code", "pre"}
    | {"blockquote", "a", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "del", "s"}
)
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def to_html(markdown: str) -> str:
    """Render `markdown` and keep only a small set of tags; links open in a new tab, without an opener."""
    return nh3.clean(
        _MARKDOWN.render(markdown),
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={"a": {"href", "title"}},
        attribute_filter=_keep_absolute_links,
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def _keep_absolute_links(tag: str, attribute: str, value: str) -> str | None:
    """Relative links mean nothing outside arXiv's page: only http(s) and mailto URLs stay."""
    if tag == "a" and attribute == "href":
        scheme = value.split(":", 1)[0].strip().lower() if ":" in value else ""
        return value if scheme in ALLOWED_SCHEMES else None
    return value
