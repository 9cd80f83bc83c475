"""Only the trusted server's topmost Authentication-Results count."""

from __future__ import annotations

from helpdesk.domain.sender_auth import evaluate_sender_auth

TRUSTED = "mx.helpdesk.example"


def test_trusted_pass_is_reported() -> None:
    auth = evaluate_sender_auth(
        [
            f"{TRUSTED}; spf=pass smtp.mailfrom=a.nl; dkim=pass header.d=a.nl; "
            "dmarc=pass header.from=a.nl"
        ],
        "MX.Helpdesk.Example",
    )
    assert (auth.dmarc, auth.spf, auth.dkim, auth.trusted) == ("pass", "pass", "pass", True)
    assert auth.summary == f"dmarc=pass spf=pass dkim=pass (by {TRUSTED})"


def test_trusted_fail_is_reported() -> None:
    auth = evaluate_sender_auth(
        [f"{TRUSTED}; spf=fail; dmarc=fail (p=reject) header.from=a.nl"], TRUSTED
    )
    assert (auth.dmarc, auth.spf, auth.dkim, auth.trusted) == ("fail", "fail", None, True)


def test_forged_trusted_header_lower_down_is_ignored() -> None:
    headers = [
        f"{TRUSTED}; dmarc=fail header.from=bank.nl",
        "relay.sender.example; spf=pass",
        f"{TRUSTED}; dmarc=pass header.from=bank.nl",  # written by the sender before sending
    ]
    assert evaluate_sender_auth(headers, TRUSTED).dmarc == "fail"


def test_header_from_another_authserv_id_is_ignored() -> None:
    auth = evaluate_sender_auth(["mx.google.com; dmarc=pass header.from=a.nl"], TRUSTED)
    assert (auth.dmarc, auth.trusted) == (None, False)


def test_garbage_headers_are_skipped_without_crashing() -> None:
    headers = ["", ";;;", "\x00\udcff garbage", f"{TRUSTED}; dmarc=", f"{TRUSTED} ; ((("]
    auth = evaluate_sender_auth(headers, TRUSTED)
    assert auth.dmarc is None


def test_parsable_header_next_to_garbage_in_the_trusted_block_counts() -> None:
    auth = evaluate_sender_auth(
        [f"{TRUSTED}; ==", f"{TRUSTED} (c); dmarc=pass header.from=a"], TRUSTED
    )
    assert (auth.dmarc, auth.trusted) == ("pass", True)


def test_one_passing_dkim_signature_is_enough() -> None:
    auth = evaluate_sender_auth(
        [f"{TRUSTED}; dkim=fail header.d=x; dkim=pass header.d=a.nl"], TRUSTED
    )
    assert auth.dkim == "pass"
