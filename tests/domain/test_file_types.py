"""Only raster images proven by their bytes are shown inline."""
import pytest

from helpdesk.domain.file_types import safe_image_type


@pytest.mark.parametrize(("head", "expected"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"GIF89a\x01\x00\x01\x00", "image/gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
])
def test_raster_images_are_recognised_by_their_signature(head, expected):
    assert safe_image_type(head) == expected


@pytest.mark.parametrize("head", [
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>',
    b"<html><script>alert(1)</script>",
    b"%PDF-1.7",
    b"",
])
def test_svg_html_and_anything_else_are_not_safe_images(head):
    assert safe_image_type(head) is None
