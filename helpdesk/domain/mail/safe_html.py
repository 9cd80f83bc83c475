"""HTML mail bodies: a readable plain-text rendering and a sanitised copy for display.

Remote images are never loaded by default: after sanitising, every ``<img>`` whose ``src``
is an http(s) URL has that attribute renamed to ``data-remote-src``. The agent UI shows a
"load images" button that copies ``data-remote-src`` back into ``src``; ``cid:`` images
(attachments of the same message) keep their ``src`` and are served from our own storage.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

from helpdesk.domain.mail.charset import scrub

_TAGS = frozenset(nh3.ALLOWED_TAGS) - {"area", "map", "details", "summary"}
_ATTRIBUTES = {
    "*": {"title", "lang", "dir", "align"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "valign"},
    "th": {"colspan", "rowspan", "valign", "scope"},
    "table": {"border", "cellpadding", "cellspacing", "width"},
    "ol": {"start", "type"},
    "font": {"color"},
}
_URL_SCHEMES = {"http", "https", "mailto", "cid"}
_REMOTE_IMG_SRC = re.compile(r'(<img\b[^>]*?)\ssrc="(https?:[^"]*)"', re.IGNORECASE)


def sanitise_html(html: str) -> str:
    """Allow-list clean an HTML body and defer remote images (see module docstring)."""
    cleaned = nh3.clean(
        scrub(html).replace("\x00", ""),
        tags=set(_TAGS),
        clean_content_tags={"script", "style", "title", "head"},
        attributes={tag: set(attrs) for tag, attrs in _ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    # nh3 serialises attributes as name="value", so this rewrite sees one canonical form.
    return _REMOTE_IMG_SRC.sub(r'\1 data-remote-src="\2"', cleaned)


_BLOCK = frozenset(
    {"address", "article", "aside", "blockquote", "center", "div", "dl", "dt", "dd", "footer"}
    | {"form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre"}
    | {"section", "table", "tr", "ul"}
)
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextRenderer(HTMLParser):
    """Collects readable text: blocks become lines, links become "text (url)"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag == "br":
            self.chunks.append("\n")
        elif tag == "li":
            self.chunks.append("\n- ")
        elif tag in ("td", "th"):
            self.chunks.append(" ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.chunks)))
        elif tag in _BLOCK:
            self.chunks.append("\n\n" if tag in ("p", "table", "blockquote", "ul", "ol") else "\n")
        if tag == "pre":
            self.pre_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.chunks[start:]).strip()
            if re.match(r"(?i)(https?|mailto):", href) and href.removeprefix("mailto:") != text:
                self.chunks.append(f" ({href})" if text else href)
        elif tag in _BLOCK and tag != "li":
            self.chunks.append("\n\n" if tag in ("p", "table", "blockquote") else "\n")
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if not self.pre_depth:
            data = re.sub(r"[ \t\r\n\f]+", " ", data)
        self.chunks.append(data.replace("\xa0", " "))


def html_to_text(html: str) -> str:
    """Render HTML as plain text: paragraphs, line breaks, list items, links with their URL."""
    renderer = _TextRenderer()
    try:
        renderer.feed(scrub(html))
        renderer.close()
    except Exception:  # noqa: S110 - html.parser edge cases; keep what was collected
        pass
    text = "".join(renderer.chunks)
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
