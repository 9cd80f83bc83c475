"""Mail HTML as agents see it: sanitised again, quotes folded, inline and remote images resolved.

Stored bodies were sanitised on the way in; they pass the same sanitiser again here, so a
stored body from before a sanitiser fix, or written by a bug, still cannot put markup on the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email import message_from_bytes, policy
from html import escape
from urllib.parse import unquote

from helpdesk.domain.mail.safe_html import sanitise_html

_DEFERRED_SRC = re.compile(r'(<img\b[^>]*?)\sdata-remote-src="', re.IGNORECASE)
_CID_SRC = re.compile(r'(<img\b[^>]*?)\ssrc="cid:([^"]*)"', re.IGNORECASE)
# Mail has no base URL: a relative link or image would point into our own application (an
# <img src="/desk/..."> would make the agent's browser call it), so they are dropped.
_LOCAL_IMG_SRC = re.compile(r'(<img\b[^>]*?)\ssrc="(?!cid:)[^"]*"', re.IGNORECASE)
_LOCAL_HREF = re.compile(r'(<a\b[^>]*?)\shref="(?!https?:|mailto:)[^"]*"', re.IGNORECASE)
_FIRST_QUOTE = re.compile(r"<blockquote\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def normalise_content_id(content_id: str) -> str:
    """"<part1@x>" and "cid:part1%40x" name the same part (RFC 2392)."""
    return unquote(content_id.strip()).strip("<>").strip()


def has_remote_images(html: str) -> bool:
    return _DEFERRED_SRC.search(html) is not None


def split_quoted_html(html: str) -> tuple[str, str]:
    """(visible, folded): fold from the first blockquote, unless nothing would stay visible."""
    match = _FIRST_QUOTE.search(html)
    if match is None:
        return html, ""
    visible = html[: match.start()]
    if not _TAG.sub("", visible).replace("&nbsp;", " ").strip():
        return html, ""
    return visible, html[match.start():]


def display_html(stored_html: str, cid_urls: Mapping[str, str], *,
                 load_remote_images: bool = False) -> tuple[str, str]:
    """Sanitise a stored body for display: (visible, folded quote), both safe markup.

    `cid_urls` maps normalised Content-IDs of this message's attachments to URLs on our own
    origin; unknown cid: images lose their src. Remote images stay deferred unless asked.
    """
    # Undo the deferral so the sanitiser judges the real URL, then split and re-sanitise each
    # half (which also balances the tags the split cut through).
    html = _DEFERRED_SRC.sub(r'\1 src="', stored_html)
    visible, folded = split_quoted_html(html)
    return (_finish(visible, cid_urls, load_remote_images),
            _finish(folded, cid_urls, load_remote_images) if folded else "")


def _finish(html: str, cid_urls: Mapping[str, str], load_remote_images: bool) -> str:
    cleaned = _LOCAL_HREF.sub(r"\1", _LOCAL_IMG_SRC.sub(r"\1", sanitise_html(html)))

    def resolve(match: re.Match) -> str:
        url = cid_urls.get(normalise_content_id(match.group(2)))
        return f'{match.group(1)} src="{escape(url)}"' if url else match.group(1)

    cleaned = _CID_SRC.sub(resolve, cleaned)
    if load_remote_images:
        cleaned = _DEFERRED_SRC.sub(r'\1 src="', cleaned)
    return cleaned


@dataclass(frozen=True)
class ShownMail:
    """A whole mail for reading: its headers, its text part, its HTML part made safe."""

    headers: tuple[tuple[str, str], ...]
    text: str | None
    html: str | None  # sanitised, nothing folded, no link or image into our own origin


def shown_mail(raw: bytes) -> ShownMail:
    """A mail the desk wrote itself (the catcher's), parts as they are; undecodable ones as None."""
    message = message_from_bytes(raw, policy=policy.default)
    headers = tuple((name, str(value)) for name, value in message.items())
    return ShownMail(headers=headers, text=_content(message, "plain"),
                     html=_finish(html, {}, False) if (html := _content(message, "html"))
                     else None)


def _content(message, subtype: str) -> str | None:
    body = message.get_body((subtype,))
    if body is None:
        return None
    try:
        return body.get_content()
    except (LookupError, ValueError):  # an unknown charset, a broken transfer encoding
        return None
