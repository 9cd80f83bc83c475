"""Which uploads we take, what we call them, and how they are served back."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.domain.files import (
    FALLBACK_FILENAME,
    MAX_FILENAME_LENGTH,
    accepted_type,
    clean_filename,
    content_matches,
    served_type,
    shown_inline,
)
from tests.fixtures.images import make_png


@pytest.mark.parametrize(("raw", "clean"), [
    ("screenshot.png", "screenshot.png"),
    ("C:\\Users\\eva\\Desktop\\fout.PNG", "fout.PNG"),
    ("../../etc/passwd", "passwd"),
    ("..hidden.txt", "hidden.txt"),
    ("rapport\x00\r\n.pdf", "rapport.pdf"),
    ("schermafbeelding e\u0301e\u0301n.png", "schermafbeelding één.png"),
    ("", FALLBACK_FILENAME),
    ("../", FALLBACK_FILENAME),
])
def test_filenames_lose_paths_and_control_characters(raw, clean):
    assert clean_filename(raw) == clean


def test_a_long_filename_keeps_its_extension():
    cleaned = clean_filename("a" * 500 + ".xlsx")
    assert len(cleaned) == MAX_FILENAME_LENGTH and cleaned.endswith(".xlsx")


@given(st.text())
def test_a_cleaned_filename_is_never_a_path_or_empty(raw):
    cleaned = clean_filename(raw)
    assert cleaned and "/" not in cleaned and "\\" not in cleaned
    assert not cleaned.startswith(".") and len(cleaned) <= MAX_FILENAME_LENGTH


@pytest.mark.parametrize(("name", "expected"), [
    ("shot.PNG", "image/png"), ("photo.jpeg", "image/jpeg"), ("log.txt", "text/plain"),
    ("report.pdf", "application/pdf"), ("sheet.xlsx", "application/vnd.openxmlformats-"
                                                      "officedocument.spreadsheetml.sheet"),
    ("drawing.svg", None), ("page.html", None), ("tool.exe", None), ("png", None),
    (".png", None), ("archive.tar.gz", None),
])
def test_the_type_follows_from_an_accepted_extension_only(name, expected):
    assert accepted_type(name) == expected


def test_images_and_pdfs_must_start_like_one():
    assert content_matches("image/png", make_png()[:16])
    assert not content_matches("image/png", b"<html><script>")
    assert content_matches("image/jpeg", b"\xff\xd8\xff\xe0")
    assert content_matches("image/gif", b"GIF89a....")
    assert content_matches("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ")
    assert not content_matches("image/webp", b"RIFF\x00\x00\x00\x00WAVEfmt ")
    assert content_matches("application/pdf", b"%PDF-1.7")
    assert not content_matches("application/pdf", b"MZ")
    assert content_matches("text/plain", b"anything")


def test_only_raster_images_are_shown_inline_and_unknown_types_are_opaque():
    assert shown_inline("image/png") and not shown_inline("image/svg+xml")
    assert not shown_inline("application/pdf")
    assert served_type("application/pdf") == "application/pdf"
    assert served_type("text/html") == "application/octet-stream"
    assert served_type("image/svg+xml") == "application/octet-stream"
