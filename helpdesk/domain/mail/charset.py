"""Decode text from real-world mail: unknown charsets, raw 8-bit headers, RFC 2047 words."""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
from collections.abc import Iterable

_SURROGATE = re.compile("[\ud800-\udfff]")  # lone surrogates: surrogateescape'd bytes

# Labels seen in the wild that Python's codec registry does not know (or knows too narrowly).
CHARSET_ALIASES: dict[str, str] = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601-1989": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "iso-gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "x-mac-roman": "mac_roman",
    "x-mac-ce": "mac_latin2",
    "x-mac-centraleurope": "mac_latin2",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-greek": "mac_greek",
    "x-mac-turkish": "mac_turkish",
    "x-mac-icelandic": "mac_iceland",
    "x-mac-japanese": "shift_jis",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "ms932": "cp932",
    "windows-31j": "cp932",
    "x-user-defined": "cp1252",
    "iso-8859-1": "cp1252",  # mailers label cp1252 text as latin-1; cp1252 is a superset
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}
# Labels that carry no information: fall through to guessing.
UNKNOWN_CHARSETS = frozenset({"x-unknown", "unknown", "unknown-8bit", "default", "charset", ""})

# Lenient: real mailers put spaces inside encoded text, which RFC 2047 forbids.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def codec_for(label: str | None) -> str | None:
    """Python codec name for a MIME charset label, or None when unknown."""
    if not label:
        return None
    name = str(label).strip().strip("\"'").lower().split("*", 1)[0]
    if name in UNKNOWN_CHARSETS:
        return None
    name = CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset and utf-8, falling back to cp1252; never raise."""
    codec = codec_for(charset)
    # Latin-1/ASCII labels are often wrong about utf-8 text; utf-8 rarely decodes latin-1 text.
    attempts = ("utf-8",) if codec in (None, "cp1252") else (codec, "utf-8")
    for name in attempts:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    if codec and codec != "cp1252":
        # A multibyte charset with a few broken bytes beats cp1252 mojibake.
        return data.decode(codec, errors="replace")
    return data.decode("cp1252", errors="replace")


def scrub(text: str) -> str:
    """Replace lone surrogates (from surrogateescape) with U+FFFD."""
    return text.encode("utf-8", "replace").decode("utf-8") if has_surrogate(text) else text


def has_surrogate(text: str) -> bool:
    """Raw 8-bit bytes, read with surrogateescape, are in the text."""
    return _SURROGATE.search(text) is not None


# Raw 8-bit headers in mail labelled with a 7-bit charset are usually in its 8-bit sibling.
_EIGHT_BIT_SIBLINGS = {"iso2022_jp": ("cp932", "euc_jp"), "iso2022_kr": ("cp949",)}


def recover_raw_header(value: str, charsets: str | Iterable[str] | None = None) -> str:
    """Turn a surrogate-escaped header back into text: utf-8, declared charsets, then cp1252."""
    if not has_surrogate(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    labels = [charsets] if isinstance(charsets, str) else list(charsets or ())
    codecs_to_try = ["utf-8"]
    for label in labels:
        codec = codec_for(label)
        if codec:
            codecs_to_try += [codec, *_EIGHT_BIT_SIBLINGS.get(codec, ())]
    for name in dict.fromkeys(codecs_to_try):
        if name == "cp1252":
            continue  # cp1252 accepts almost anything: only as the last resort
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("cp1252", errors="replace")


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding.lower() == "q":
        return quopri.decodestring(text.replace("_", " ").encode("ascii", "replace"), header=False)
    data = text.encode("ascii", "replace")
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/]", b"", data)[: len(data) // 4 * 4] or b"")


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words, joining adjacent words so split characters survive."""
    out: list[str] = []
    pos = 0
    pending: list[tuple[str | None, bytes]] = []

    def flush() -> None:
        while pending:
            charset, data = pending.pop(0)
            while pending and pending[0][0] == charset:
                data += pending.pop(0)[1]
            out.append(decode_bytes(data, charset))

    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        if between and not (pending and between.isspace()):
            flush()
            out.append(between)
        try:
            data = _word_bytes(match.group(2), match.group(3))
        except (binascii.Error, ValueError):
            data = match.group(0).encode("ascii", "replace")
        pending.append((match.group(1).split("*", 1)[0].lower(), data))
        pos = match.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def unfold(value: str) -> str:
    """Remove header folding (CRLF followed by white space)."""
    return _FOLD.sub("", value)


def collapse_whitespace(text: str) -> str:
    """Collapse runs of white space, CR and LF to one space and trim."""
    return " ".join(text.split())
