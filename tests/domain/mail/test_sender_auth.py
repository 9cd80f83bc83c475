"""Only the trusted server's topmost Authentication-Results count."""

from __future__ import annotations

from helpdesk.domain.mail.sender_auth import evaluate_sender_auth

TRUSTED = "mx.helpdesk.example"


def test_trusted_pass_is_reported() -> None:
    auth = evaluate_sender_auth(
        [
            f"{TRUSTED}; spf=pass smtp.mailfrom=a.nl; dkim=pass header.d=a.nl; "
            "dmarc=pass header.from=a.nl"
        ],
        "MX.Helpdesk.Example",
        "ann@a.nl",
    )
    assert (auth.dmarc, auth.spf, auth.dkim, auth.trusted) == ("pass", "pass", "pass", True)
    assert auth.summary == f"dmarc=pass spf=pass dkim=pass (by {TRUSTED})"


def test_trusted_fail_is_reported() -> None:
    auth = evaluate_sender_auth(
        [f"{TRUSTED}; spf=fail; dmarc=fail (p=reject) header.from=a.nl"], TRUSTED, "ann@a.nl"
    )
    assert (auth.dmarc, auth.spf, auth.dkim, auth.trusted) == ("fail", "fail", None, True)


def test_forged_trusted_header_lower_down_is_ignored() -> None:
    headers = [
        f"{TRUSTED}; dmarc=fail header.from=bank.nl",
        "relay.sender.example; spf=pass",
        f"{TRUSTED}; dmarc=pass header.from=bank.nl",  # written by the sender before sending
    ]
    assert evaluate_sender_auth(headers, TRUSTED, "ann@bank.nl").dmarc == "fail"


def test_header_from_another_authserv_id_is_ignored() -> None:
    auth = evaluate_sender_auth(
        ["mx.google.com; dmarc=pass header.from=a.nl"], TRUSTED, "ann@a.nl")
    assert (auth.dmarc, auth.trusted) == (None, False)


def test_garbage_headers_are_skipped_without_crashing() -> None:
    headers = ["", ";;;", "\x00\udcff garbage", f"{TRUSTED}; dmarc=", f"{TRUSTED} ; ((("]
    auth = evaluate_sender_auth(headers, TRUSTED, "ann@a.nl")
    assert auth.dmarc is None


def test_parsable_header_next_to_garbage_in_the_trusted_block_counts() -> None:
    auth = evaluate_sender_auth(
        [f"{TRUSTED}; ==", f"{TRUSTED} (c); dmarc=pass header.from=a"], TRUSTED, "ann@a"
    )
    assert (auth.dmarc, auth.trusted) == ("pass", True)


def test_one_passing_dkim_signature_is_enough() -> None:
    auth = evaluate_sender_auth(
        [f"{TRUSTED}; dkim=fail header.d=x; dkim=pass header.d=a.nl"], TRUSTED, "ann@a.nl"
    )
    assert auth.dkim == "pass"


def test_dmarc_pass_for_the_from_domain_counts_whatever_the_case() -> None:
    auth = evaluate_sender_auth([f"{TRUSTED}; dmarc=pass header.from=Customer.NL"], TRUSTED,
                                "Ann@customer.nl")
    assert auth.dmarc == "pass"


def test_dmarc_pass_for_another_domain_is_a_fail() -> None:
    # The sender's own domain passes DMARC, but the From the agent sees is the bank's.
    auth = evaluate_sender_auth([f"{TRUSTED}; dmarc=pass header.from=attacker.example"], TRUSTED,
                                "ceo@bank.nl")
    assert auth.dmarc == "fail"
    assert auth.summary.startswith("dmarc=fail (pass for attacker.example, not bank.nl)")


def test_dmarc_pass_without_header_from_is_a_fail() -> None:
    auth = evaluate_sender_auth([f"{TRUSTED}; dmarc=pass"], TRUSTED, "ann@a.nl")
    assert auth.dmarc == "fail"
    assert "pass without header.from" in auth.summary


def test_dmarc_pass_without_a_from_address_is_a_fail() -> None:
    auth = evaluate_sender_auth([f"{TRUSTED}; dmarc=pass header.from=a.nl"], TRUSTED, None)
    assert auth.dmarc == "fail"


def test_an_aligned_pass_counts_next_to_a_pass_for_another_domain() -> None:
    auth = evaluate_sender_auth(
        [f"{TRUSTED}; dmarc=pass header.from=other.example; dmarc=pass header.from=a.nl"],
        TRUSTED, "ann@a.nl")
    assert auth.dmarc == "pass"


def test_dmarc_fail_stays_a_fail() -> None:
    auth = evaluate_sender_auth([f"{TRUSTED}; dmarc=fail header.from=a.nl"], TRUSTED, "ann@a.nl")
    assert auth.dmarc == "fail"
