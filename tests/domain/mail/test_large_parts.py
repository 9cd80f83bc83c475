"""Large attachments are decoded from the raw bytes, with the same result as the parser's."""

from __future__ import annotations

import hashlib
import random
import tracemalloc
from email import policy
from email.message import EmailMessage
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.domain.mail import parse
from helpdesk.domain.mail.large_parts import detach_large_parts
from helpdesk.domain.mail.parse import parse_email

OVER = 2_000  # a small threshold keeps the examples small


def mail_with(parts: list[tuple[str, bytes]], *, nested: bool = False,
              linesep: str = "\r\n") -> bytes:
    mail = EmailMessage()
    mail["From"] = "ann@customer.example"
    mail["Subject"] = "Files"
    mail.set_content("See the attachments.")
    if nested:
        mail.add_alternative("<p>See <img src='cid:pic'></p>", subtype="html")
        mail.get_payload()[1].add_related(b"\x89PNG" * 2_000, maintype="image", subtype="png",
                                          cid="<pic>")
    for name, content in parts:
        mail.add_attachment(content, maintype="application", subtype="octet-stream",
                            filename=name)
    return mail.as_bytes(policy=policy.default.clone(linesep=linesep))


def parsed_both_ways(raw: bytes):
    """parse_email detaching at OVER bytes, and parse_email never detaching."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parse, "detach_large_parts", partial(detach_large_parts, over=OVER))
        detaching = parse_email(raw)
        patch.setattr(parse, "detach_large_parts", lambda data: (data, {}))
        whole = parse_email(raw)
    return detaching, whole


def summary(parsed) -> tuple:
    attachments = sorted((a.filename, a.content_type, a.sha256, a.content_id, a.inline)
                         for a in parsed.attachments)
    return attachments, parsed.body_text, parsed.body_html_sanitised, parsed.subject


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(min_value=0, max_value=6_000), min_size=1, max_size=4),
       nested=st.booleans(), linesep=st.sampled_from(["\r\n", "\n"]))
def test_detaching_large_parts_gives_the_same_attachments_and_body(sizes, nested, linesep):
    rng = random.Random(sum(sizes))
    raw = mail_with([(f"file{n}.bin", rng.randbytes(size)) for n, size in enumerate(sizes)],
                    nested=nested, linesep=linesep)
    detaching, whole = parsed_both_ways(raw)
    assert summary(detaching) == summary(whole)


def test_detached_attachment_over_the_limit_is_named_as_oversized():
    raw = mail_with([("big.bin", b"b" * 10_000)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parse, "detach_large_parts", partial(detach_large_parts, over=OVER))
        parsed = parse_email(raw, max_attachment_bytes=5_000)
    assert (parsed.attachments, parsed.oversized_attachments) == ((), ("big.bin",))


def test_only_parts_over_the_threshold_are_replaced_by_a_placeholder():
    raw = mail_with([("small.bin", b"s" * 100), ("big.bin", b"b" * 10_000)])
    reduced, detached = detach_large_parts(raw, over=OVER)
    assert list(detached.values()) == [b"b" * 10_000]
    assert len(reduced) < len(raw) - 10_000
    assert b"c3Nz" in reduced  # the small one stays, base64 as sent


def test_placeholders_cannot_be_forged_by_the_sender():
    raw = mail_with([("big.bin", b"b" * 10_000)])
    first, second = detach_large_parts(raw, over=OVER)[1], detach_large_parts(raw, over=OVER)[1]
    assert first.keys().isdisjoint(second.keys())  # a fresh secret per message


def test_broken_base64_leaves_the_message_to_the_ordinary_parser():
    raw = mail_with([("big.bin", b"b" * 10_000)])
    broken = raw.replace(b"YmJi", b"YmJ", 1)  # one character short: the padding no longer fits
    assert detach_large_parts(broken, over=OVER) == (broken, {})


def test_parse_email_keeps_memory_near_the_size_of_a_large_attachment():
    content = random.Random(3).randbytes(8 * 1024 * 1024)
    raw = mail_with([("dump.bin", content)])
    tracemalloc.start()
    try:
        parsed = parse_email(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [a.sha256 for a in parsed.attachments] == [hashlib.sha256(content).hexdigest()]
    assert peak < 2 * len(content)  # the parser alone would take about eight times
