"""Fold quoted replies and signatures out of a mail body for display; storage keeps all."""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^\s*(On\s.{0,200}\swrote|Op\s.{0,200}\sschreef\s.{0,80}|Am\s.{0,200}\sschrieb\s.{0,80})"
    r"\s*:\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(Original Message|Oorspronkelijk bericht|Origineel bericht|"
    r"Ursprüngliche Nachricht|Forwarded message|Doorgestuurd bericht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|Van|Von)\s*:\*?\s*\S", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\s*\*?(Sent|Verzonden|Gesendet|Date|Datum)\s*:", re.IGNORECASE)
_SIGNATURE = re.compile(r"^-- ?$")


def _quote_starts(lines: list[str]) -> int | None:
    """Index of the first line that starts the quoted or signature tail, if any."""
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line) or _SIGNATURE.match(line):
            return i
        if _ATTRIBUTION.match(line):
            return i
        # Attributions wrapped over two lines: "On Mon, 1 Jan 2024, Jane Doe" / "<jane@x> wrote:"
        joined = line + " " + lines[i + 1].strip() if i + 1 < len(lines) else ""
        if re.match(r"^\s*(On|Op|Am)\s", line, re.IGNORECASE) and _ATTRIBUTION.match(joined):
            return i
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_SENT.match(x) for x in lines[i + 1 : i + 4]):
            return i
        if line.lstrip().startswith(">") and _only_quotes_follow(lines[i:]):
            return i
    return None


def _only_quotes_follow(lines: list[str]) -> bool:
    """True when the rest is quoted text (possibly ending in a signature), not interleaved."""
    for line in lines:
        if _SIGNATURE.match(line):
            return True
        if line.strip() and not line.lstrip().startswith(">"):
            return False
    return True


def split_quoted(text: str) -> tuple[str, str]:
    """Split a body into (visible, folded): folded holds quotes, attributions and signature."""
    lines = text.replace("\r\n", "\n").split("\n")
    start = _quote_starts(lines)
    if start is None:
        return text.strip("\n"), ""
    visible = "\n".join(lines[:start]).strip("\n")
    if not visible.strip():
        # Nothing but a quote: showing an empty body would hide the message entirely.
        return text.strip("\n"), ""
    return visible.rstrip(), "\n".join(lines[start:]).strip("\n")
