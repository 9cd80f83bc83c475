"""Read top-level scalar keys from Zammad's expected-result YAML (no PyYAML in the venv)."""

from __future__ import annotations

import re

_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    '"': '"',
    "\\": "\\",
    "/": "/",
    "0": "\0",
    "e": "\x1b",
    " ": " ",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}


def _fold(lines: list[str]) -> str:
    """YAML line folding: a single break becomes a space, empty lines become newlines."""
    out = lines[0]
    blank = 0
    for line in lines[1:]:
        if not line.strip():
            blank += 1
            continue
        out += ("\n" * blank if blank else " ") + line.strip()
        blank = 0
    return out


def _double_quoted(text: str) -> str:
    text = re.sub(r"\\\n\s*", "", text)  # escaped line break: join without space
    text = _fold(text.split("\n"))
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        code = text[i + 1]
        width = {"x": 2, "u": 4, "U": 8}.get(code)
        if width:
            out.append(chr(int(text[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        else:
            out.append(_ESCAPES.get(code, code))
            i += 2
    return "".join(out)


def read_scalar(document: str, key: str) -> str | None:
    """The value of a top-level scalar key, or None when absent."""
    match = re.search(rf"^{re.escape(key)}:[ \t]*(.*)$", document, re.MULTILINE)
    if not match:
        return None
    rest = document[match.start(1) :]
    if rest.startswith("'"):
        end = re.search(r"'(?!')", rest[1:])
        body = rest[1 : 1 + end.start()] if end else rest[1:]
        return _fold(body.split("\n")).replace("''", "'")
    if rest.startswith('"'):
        end = re.search(r'(?<!\\)((?:\\\\)*)"', rest[1:])
        body = rest[1 : 1 + end.end() - 1] if end else rest[1:]
        return _double_quoted(body)
    lines = [match.group(1)]
    for line in rest.split("\n")[1:]:
        if not line.startswith(" ") or re.match(r"^\S", line):
            break
        lines.append(line)
    return _fold(lines).strip()
