"""parse_email never raises: arbitrary bytes and mutated real messages."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk.domain.mail.parse import ParsedEmail, parse_email
from tests.fixtures.corpus import CORPUS

SAMPLE_SIZE = 20
MAX_SAMPLE_BYTES = 60_000  # keep mutation runs fast; big files are covered by the corpus test


def sample_messages() -> list[bytes]:
    """A deterministic spread of about 20 small corpus messages across all sources."""
    if not CORPUS.is_dir():
        return []
    files = sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file()
        and p.name != "README.md"
        and p.suffix != ".yml"
        and p.stat().st_size <= MAX_SAMPLE_BYTES
    )
    step = max(1, len(files) // SAMPLE_SIZE)
    return [p.read_bytes() for p in files[::step][:SAMPLE_SIZE]]


SAMPLES = sample_messages()

mail_like_bytes = st.one_of(
    st.binary(max_size=5000),
    st.lists(
        st.sampled_from(
            [
                b"From: ",
                b"To: ",
                b"Subject: ",
                b"=?utf-8?b?",
                b"=?x?q?",
                b"?=",
                b"\r\n",
                b"\n",
                b"Content-Type: multipart/mixed; boundary=b\r\n",
                b"--b\r\n",
                b"--b--",
                b"\xff\xfe",
                b"Content-Transfer-Encoding: base64\r\n",
                b"filename*=utf-8''%E2%82",
                b"<",
                b">",
                b"Content-Type: message/rfc822\r\n",
                b"charset=ks_c_5601-1987",
                b"\xd0\xcf\x11\xe0",
                b"Authentication-Results: ",
                b"<html><script>",
                b"a@b",
                b" ",
                b"\t",
                b":",
            ]
        ),
        max_size=200,
    ).map(b"".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mail_like_bytes)
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert isinstance(parse_email(raw), ParsedEmail)


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Apply (kind, position, byte) edits: 0 flips a byte, 1 inserts one, 2 deletes one."""
    buf = bytearray(data)
    for kind, position, value in edits:
        if not buf:
            buf.append(value)
            continue
        i = position % len(buf)
        if kind == 0:
            buf[i] ^= value or 1
        elif kind == 1:
            buf.insert(i, value)
        else:
            del buf[i]
    return bytes(buf)


edits = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 2**31), st.integers(0, 255)), max_size=30
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES or [b""]), edits)
def test_mutated_corpus_messages_never_raise(mail_corpus, message: bytes, changes: list) -> None:
    assert isinstance(parse_email(mutate(message, changes)), ParsedEmail)
