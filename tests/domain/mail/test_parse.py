"""parse_email on hand-built messy messages: names, charsets, HTML, attachments, framing."""

from __future__ import annotations

import base64
import hashlib

from helpdesk.domain.mail.parse import ParsedEmail, parse_email, split_quoted


def mime(*parts: bytes, boundary: bytes = b"XYZ", headers: bytes = b"") -> bytes:
    """A multipart/mixed message from raw part blocks (headers + blank line + body)."""
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    return (
        b"From: Jan <jan@example.nl>\r\nTo: support@example.com\r\nSubject: s\r\n"
        + headers
        + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="'
        + boundary
        + b'"\r\n\r\n'
        + body
        + b"--"
        + boundary
        + b"--\r\n"
    )


def test_rfc2047_attachment_filename_is_decoded() -> None:
    part = (
        b'Content-Type: application/pdf; name="=?UTF-8?B?ZmFjdHV1ciDigqwucGRm?="\r\n'
        b'Content-Disposition: attachment; filename="=?UTF-8?B?ZmFjdHV1ciDigqwucGRm?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4")
    )
    (attachment,) = parse_email(mime(b"Content-Type: text/plain\r\n\r\nhi", part)).attachments
    assert attachment.filename == "factuur \u20ac.pdf"
    assert attachment.content == b"%PDF-1.4"


def test_rfc2231_attachment_filename_is_decoded_and_made_safe() -> None:
    part = (
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; "
        b"filename*=UTF-8''..%2F..%2Fetc%2Fr%C3%A9sum%C3%A9.txt\r\n"
        b"\r\ndata"
    )
    (attachment,) = parse_email(mime(b"Content-Type: text/plain\r\n\r\nhi", part)).attachments
    assert attachment.filename == "r\u00e9sum\u00e9.txt"


def test_unknown_charset_falls_back_without_crashing() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: =?x-unknown?Q?caf=C3=A9?=\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\ncaf\xc3\xa9 \xff"
    )
    parsed = parse_email(raw)
    assert parsed.parse_error is None
    assert parsed.subject == "caf\u00e9"
    assert parsed.body_text.startswith("caf")


def test_korean_ks_c_5601_charset_alias_decodes() -> None:
    raw = b"From: a@example.com\r\nContent-Type: text/plain; charset=ks_c_5601-1987\r\n\r\n"
    assert parse_email(raw + "\ud55c\uad6d".encode("cp949")).body_text == "\ud55c\uad6d"


def test_raw_utf8_bytes_in_from_display_name_are_recovered() -> None:
    raw = "From: Håvard Ås <Havard@Example.NO>\r\nSubject: Tjenare\r\n\r\nhei".encode()
    parsed = parse_email(raw)
    assert parsed.from_name == "Håvard Ås"
    assert parsed.from_address == "havard@example.no"


def test_raw_latin1_bytes_in_subject_fall_back_to_cp1252() -> None:
    raw = b"From: a@example.com\r\nSubject: Gr\xfc\xdfe\r\n\r\nx"
    assert parse_email(raw).subject == "Grüße"


def test_html_only_mail_is_converted_to_readable_text() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Hallo,</p>"
        b"<p>Zie <a href='https://example.nl/x'>de pagina</a>.<br>Groet</p>"
        b"<ul><li>een</li><li>twee</li></ul><script>alert(1)</script></body></html>"
    )
    text = parse_email(raw).body_text
    assert text == "Hallo,\n\nZie de pagina (https://example.nl/x).\nGroet\n\n- een\n- twee"


def test_sanitised_html_drops_script_event_handlers_and_htmx_attributes() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: text/html\r\n\r\n"
        b"<p onclick='x()' data-id='1' hx-get='/agent/delete'>hi</p><script>alert(1)</script>"
        b"<img src='cid:logo' onerror='alert(2)'><iframe src='https://evil'></iframe>"
        b"<form action='/x'><input name=a></form><a href='javascript:alert(3)'>j</a>"
        b"<a href='https://example.nl'>ok</a>"
    )
    html = parse_email(raw).body_html_sanitised
    assert html is not None
    for forbidden in (
        "script",
        "onclick",
        "onerror",
        "hx-get",
        "data-id",
        "iframe",
        "<form",
        "javascript",
    ):
        assert forbidden not in html
    assert '<a href="https://example.nl" rel="noopener noreferrer">ok</a>' in html
    assert '<img src="cid:logo">' in html


def test_remote_image_is_not_loaded_until_asked() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: text/html\r\n\r\n<img src='https://t.example/p.gif'>"
    )
    html = parse_email(raw).body_html_sanitised
    assert html == '<img data-remote-src="https://t.example/p.gif">'


def test_mbox_from_line_and_junk_before_headers_are_skipped() -> None:
    raw = (
        b"From jan@example.nl Wed Apr 19 20:56:33 2017\n---- Original email message ----\n"
        b"From: Jan <jan@example.nl>\nSubject: Hallo\n\nbody"
    )
    parsed = parse_email(raw)
    assert (parsed.from_address, parsed.subject, parsed.body_text) == (
        "jan@example.nl",
        "Hallo",
        "body",
    )


def test_outlook_msg_file_is_marked_unparsable() -> None:
    parsed = parse_email(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500)
    assert parsed.parse_error == "not an RFC 5322 message (Outlook .msg)"


def test_oversized_attachment_is_listed_but_not_included() -> None:
    part = b"Content-Type: application/zip\r\nContent-Disposition: attachment; filename=big.zip\r\n"
    raw = mime(b"Content-Type: text/plain\r\n\r\nhi", part + b"\r\n" + b"x" * 2000)
    parsed = parse_email(raw, max_attachment_bytes=1000)
    assert parsed.attachments == ()
    assert parsed.oversized_attachments == ("big.zip",)


def test_inline_cid_image_is_an_inline_attachment_with_content_id() -> None:
    image = (
        b"Content-Type: image/png\r\nContent-ID: <logo@x>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"\x89PNG")
    )
    parsed = parse_email(mime(b"Content-Type: text/html\r\n\r\n<img src='cid:logo@x'>", image))
    (attachment,) = parsed.attachments
    assert (attachment.content_id, attachment.inline, attachment.size) == ("logo@x", True, 4)
    assert attachment.sha256 == hashlib.sha256(b"\x89PNG").hexdigest()


def test_winmail_dat_is_kept_as_a_normal_attachment() -> None:
    part = (
        b"Content-Type: application/ms-tnef; name=winmail.dat\r\n"
        b"Content-Disposition: attachment; filename=winmail.dat\r\n\r\n\x78\x9f\x3e\x22"
    )
    (attachment,) = parse_email(mime(b"Content-Type: text/plain\r\n\r\nhi", part)).attachments
    assert (attachment.filename, attachment.content_type) == ("winmail.dat", "application/ms-tnef")


def test_invalid_transfer_encoding_is_read_as_8bit() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bits-please\r\n\r\nbeste \xc3\xa9\xc3\xa9n"
    )
    assert parse_email(raw).body_text == "beste één"


def test_broken_multipart_boundary_still_yields_text() -> None:
    raw = (
        b'From: a@example.com\r\nContent-Type: multipart/mixed; boundary="nope"\r\n\r\n'
        b"--other\r\nContent-Type: text/plain\r\n\r\nstill readable\r\n"
    )
    parsed = parse_email(raw)
    assert "still readable" in parsed.body_text


def test_several_from_mailboxes_leave_the_sender_unknown() -> None:
    parsed = parse_email(b"From: a@example.com, b@example.com\r\n\r\nx")
    assert parsed.from_address is None
    assert parsed.from_problem == "several mailboxes in From"


def test_threading_headers_and_recipients_are_collected() -> None:
    raw = (
        b"From: a@example.com\r\nTo: Support <Support+Bug@Example.com>\r\nCc: c@example.com\r\n"
        b"Delivered-To: support@example.com\r\nMessage-ID: <m1@x>\r\nIn-Reply-To: <m0@x>\r\n"
        b"References: <r1@x>\r\n <m0@x>\r\n"
        b"Authentication-Results: mx.example.com; dmarc=pass\r\n\r\nx"
    )
    parsed = parse_email(raw)
    assert parsed.message_id == "m1@x"
    assert parsed.in_reply_to == "m0@x"
    assert parsed.references == ("r1@x", "m0@x")
    assert parsed.to_addresses == (
        "support+bug@example.com",
        "c@example.com",
        "support@example.com",
    )
    assert parsed.authentication_results == ("mx.example.com; dmarc=pass",)


def test_empty_input_is_a_parse_error_not_an_exception() -> None:
    assert isinstance(parse_email(b""), ParsedEmail)
    assert parse_email(b"").parse_error


def test_split_quoted_folds_english_reply_and_signature() -> None:
    visible, folded = split_quoted("Thanks!\n\nOn Mon, 1 Jan 2024, Jane <j@x.nl> wrote:\n> hi")
    assert (visible, folded) == ("Thanks!", "On Mon, 1 Jan 2024, Jane <j@x.nl> wrote:\n> hi")
    assert split_quoted("Ok\n-- \nJan") == ("Ok", "-- \nJan")


def test_split_quoted_folds_dutch_and_outlook_headers() -> None:
    assert split_quoted("Top\nOp ma 1 jan. 2024 schreef Jan <j@x.nl>:\n> x")[0] == "Top"
    assert split_quoted("Top\n-----Original Message-----\nFrom: a")[0] == "Top"
    assert split_quoted("Top\n\nVan: Jan\nVerzonden: maandag\nAan: x")[0] == "Top"


def test_split_quoted_keeps_interleaved_replies_visible() -> None:
    text = "> question one\nanswer one\n> question two\nanswer two"
    assert split_quoted(text) == (text, "")


def test_failure_mid_parse_keeps_recovered_headers(monkeypatch) -> None:
    def explode(html: str) -> str:
        raise RuntimeError("sanitiser broke")

    monkeypatch.setattr("helpdesk.domain.mail.parse.sanitise_html", explode)
    raw = b"From: a@example.com\r\nSubject: Hi\r\nContent-Type: text/html\r\n\r\n<p>x</p>"
    parsed = parse_email(raw)
    assert parsed.parse_error == "unparsable: RuntimeError: sanitiser broke"
    assert (parsed.from_address, parsed.subject) == ("a@example.com", "Hi")


def test_non_bytes_input_is_a_parse_error() -> None:
    assert parse_email("From: a@example.com").parse_error == "input is not bytes"  # type: ignore[arg-type]
