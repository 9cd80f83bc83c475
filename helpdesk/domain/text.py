"""Text that must stay on one line: subjects, names, titles, short notes, header values."""
from __future__ import annotations

import unicodedata

# Control characters, line and paragraph separators, and the bidirectional overrides and
# isolates that make "invoice\u202egpj.exe" read as "invoiceexe.jpg".
_BREAKING = {"Cc", "Zl", "Zp"}
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                           "\u2066\u2067\u2068\u2069")


def single_line(text: str | None) -> str:
    """One line: no CR/LF or other control characters, white space collapsed and trimmed."""
    kept = (
        " " if unicodedata.category(ch) in _BREAKING or ch in _BIDI_CONTROLS else ch
        for ch in (text or "")
        if not ("\ud800" <= ch <= "\udfff")  # a lone surrogate cannot be stored or sent
    )
    return " ".join("".join(kept).split())
