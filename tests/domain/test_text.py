"""One-line text: what a subject or a name may hold."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.domain.text import single_line


@pytest.mark.parametrize(("text", "expected"), [
    ("Export fails", "Export fails"),
    ("Export\r\nBcc: all@example.com", "Export Bcc: all@example.com"),
    ("  Ann\tde\x00 Vries\x1b[31m ", "Ann de Vries [31m"),
    ("line\u2028break\u2029para\x85next", "line break para next"),
    ("invoice\u202egpj.exe", "invoice gpj.exe"),  # a right-to-left override hides the name
    ("Zoë 👩‍💻", "Zoë 👩‍💻"),  # joiners inside emoji stay
    ("half\ud800surrogate", "halfsurrogate"),
    ("", ""),
])
def test_single_line(text, expected):
    assert single_line(text) == expected


@given(st.text())
def test_single_line_has_no_control_characters_and_is_stable(text):
    cleaned = single_line(text)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in cleaned)
    assert "\u2028" not in cleaned and "\u2029" not in cleaned
    assert len(cleaned) <= len(text)
    assert single_line(cleaned) == cleaned
