"""Every real-world corpus message parses; Zammad's expectations hold or are explained."""

from __future__ import annotations

import pytest
from yaml_scalars import read_scalar

from helpdesk.domain.mail.parse import parse_email
from tests.fixtures.corpus import CORPUS, corpus_files


def zammad_cases() -> list[str]:
    """Zammad .box files that come with an expected-result .yml."""
    return [
        f
        for f in corpus_files()
        if f.endswith(".box") and (CORPUS / f).with_suffix(".yml").exists()
    ]


# Where we deliberately differ from Zammad's parser. A sender we cannot pin down is None
# (the mail is then held as "unknown sender"), never a guess from Reply-To or a mangled value.
KNOWN_DIFFERENCES = {
    "mail016.box": "no From header at all; Zammad falls back to Reply-To, we do not trust it",
    "mail017.box": "two From headers (one garbage); ambiguous sender, Zammad picks one",
    "mail018.box": "subject is a UTF-7 encoded word; we decode it, Zammad leaves +ANw- raw",
    "mail019.box": 'From is "name" <> (empty address); Zammad falls back to Reply-To',
    "mail035.box": "From is only a quoted string, not an address; Zammad keeps the quotes",
    "mail044.box": "From domain ends in a dot (yahoo.com.): not a valid addr-spec",
    "mail053.box": "From is MAILER-DAEMON without a domain: no address",
    "mail058.box": "From lists two mailboxes; ambiguous sender, Zammad takes the first",
    "mail059.box": "From lists two mailboxes (first empty); ambiguous, Zammad takes the second",
    "mail071.box": "local part contains unquoted spaces: not a valid addr-spec",
    "mail076.box": 'From is "quoted words"@domain> with a stray bracket: malformed',
    "mail087.box": "From is 'Test test@example.com' (unquoted space): malformed",
}


@pytest.mark.parametrize("relative_path", corpus_files() or ["<no corpus>"])
def test_corpus_message_parses_without_exception(mail_corpus, relative_path: str) -> None:
    parsed = parse_email((mail_corpus / relative_path).read_bytes())
    assert parsed.parse_error is None or isinstance(parsed.parse_error, str)
    assert isinstance(parsed.body_text, str)


def _normalise(text: str | None) -> str:
    return " ".join((text or "").split())


@pytest.mark.parametrize("relative_path", zammad_cases() or ["<no corpus>"])
def test_zammad_sender_and_subject_match_expected(mail_corpus, relative_path: str) -> None:
    box = mail_corpus / relative_path
    expected = box.with_suffix(".yml").read_text(encoding="utf-8")
    parsed = parse_email(box.read_bytes())
    actual = (parsed.from_address or "", _normalise(parsed.subject))
    wanted = (
        (read_scalar(expected, "from_email") or "").strip().lower(),
        _normalise(read_scalar(expected, "subject")),
    )
    if box.name in KNOWN_DIFFERENCES:
        assert actual != wanted, f"{box.name} now matches Zammad: drop it from KNOWN_DIFFERENCES"
    else:
        assert actual == wanted


def test_known_differences_name_existing_files(mail_corpus) -> None:
    assert all((mail_corpus / "zammad" / name).exists() for name in KNOWN_DIFFERENCES)
