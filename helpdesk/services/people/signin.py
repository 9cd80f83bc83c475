"""Checking who someone is: passwords, TOTP codes, one-time links, and throttling failures."""
import hashlib
import ipaddress
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import TypeVar

import pyotp
import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models import (
    Contact,
    OrganisationStatus,
    SignInFailure,
    SignInToken,
    StaffMember,
)
from helpdesk.services.people import directory
from helpdesk.services.transaction import use_case

SIGN_IN = "sign-in"
RESET = "reset"
Person = TypeVar("Person", StaffMember, Contact)


@cache
def _unused_hash() -> str:
    """Checked against when an account does not exist, so timing does not reveal accounts."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


class SignInThrottled(Exception):
    """Too many recent failures for this account from this address, or from this address."""


# Failed passwords and codes are one count; requests for a link by mail another, so a whole
# office asking for links never locks its password sign-ins.
SIGN_IN_FAILURES = "sign-in"
MAIL_REQUESTS = "mail"


# An IPv6 subscriber is given at least a /64 to pick addresses from: it is one client.
IPV6_CLIENT_PREFIX = 64


def client_network(address: str) -> str:
    """The address failures count under: an IPv6 client's /64, an IPv4 one as itself (also
    when a dual-stack server reports it as ::ffff:a.b.c.d)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(ip)


def _failure_keys(email: str, address: str, what: str) -> list[str]:
    """Per account at this address, and per address: never per account alone, which anyone
    anywhere could fill up to lock the owner out."""
    prefix = "" if what == SIGN_IN_FAILURES else f"{what}:"
    address = client_network(address)
    # A digest: the longest address and email together would not fit the key's column.
    pair = hashlib.sha256(f"{email.strip().lower()}\n{address}".encode()).hexdigest()
    return [f"{prefix}account-at-address:{pair}", f"{prefix}address:{address}"]


def configured_limits() -> dict:
    """The failure window and counts from the settings, as ensure_not_throttled takes them."""
    config = current_app.config
    return {"window": config["SIGN_IN_FAILURE_WINDOW"],
            "per_account": config["SIGN_IN_FAILURES_PER_ACCOUNT"],
            "per_address": config["SIGN_IN_FAILURES_PER_ADDRESS"]}


def ensure_not_throttled(email: str, address: str, now: datetime, *, window: timedelta,
                         per_account: int, per_address: int,
                         what: str = SIGN_IN_FAILURES) -> None:
    """Refuse when this address failed `per_account` times for this account, or `per_address`
    times for any, within the window."""
    account_key, address_key = _failure_keys(email, address, what)
    since = now - window
    counts = dict(db.session.execute(
        sa.select(SignInFailure.key, sa.func.count())
        .where(SignInFailure.key.in_([account_key, address_key]), SignInFailure.at >= since)
        .group_by(SignInFailure.key)
    ).all())
    if counts.get(account_key, 0) >= per_account or counts.get(address_key, 0) >= per_address:
        raise SignInThrottled


@use_case
def record_failure(email: str, address: str, now: datetime) -> None:
    """Count a wrong password or code."""
    _add_failures(email, address, now, SIGN_IN_FAILURES)


def _add_failures(email: str, address: str, now: datetime, what: str) -> None:
    for key in _failure_keys(email, address, what):
        db.session.add(SignInFailure(key=key, at=now))


def throttle_mail_request(email: str, address: str, now: datetime, *, window: timedelta,
                          per_account: int, per_address: int) -> None:
    """A request for a link by email counts like a failed attempt, so nobody floods a mailbox.

    It counts whether or not the address has an account, so the limit reveals nothing either.
    The caller commits.
    """
    ensure_not_throttled(email, address, now, window=window, per_account=per_account,
                         per_address=per_address, what=MAIL_REQUESTS)
    _add_failures(email, address, now, MAIL_REQUESTS)


@use_case
def check_password(email: str, password: str, address: str, now: datetime,
                   find: Callable[[str, str], Person | None], *,
                   language: str | None = None) -> Person | None:
    """Who `find` says this email and password belong to; None counts as a failure.

    SignInThrottled, before any password is checked, after too many recent failures. A
    `language` chosen before signing in becomes the person's own (when the password is all
    it takes to sign in).
    """
    ensure_not_throttled(email, address, now, **configured_limits())
    person = find(email, password)
    if person is None:
        record_failure(email, address, now)
    else:
        _adopt_language(person, language)
    return person


@use_case
def check_totp_code(staff: StaffMember, code: str, address: str, now: datetime, *,
                    language: str | None = None) -> bool:
    """Accept the staff member's code, or count a failure; SignInThrottled as check_password.

    Accepted, a `language` chosen before signing in becomes the staff member's own.
    """
    ensure_not_throttled(staff.email, address, now, **configured_limits())
    if accept_totp_code(staff, code, now):
        _adopt_language(staff, language)
        return True
    record_failure(staff.email, address, now)
    return False


def _adopt_language(person: StaffMember | Contact, language: str | None) -> None:
    """The language someone chose before signing in is theirs from now on, in mail too."""
    if languages.is_supported(language) and person.language != language:
        directory.set_language(person, language)


def staff_with_password(email: str, password: str) -> StaffMember | None:
    staff = db.session.scalar(sa.select(StaffMember).filter_by(email=email.strip().lower()))
    if staff is None:
        check_password_hash(_unused_hash(), password)
        return None
    if not check_password_hash(staff.password_hash, password) or not staff.active:
        return None
    return staff


@use_case
def accept_totp_code(staff: StaffMember, code: str, now: datetime) -> bool:
    """Accept a code of the current or a neighbouring 30 s step, and never the same step twice."""
    code = code.strip().replace(" ", "")
    totp = pyotp.TOTP(staff.totp_secret)
    current_step = totp.timecode(now)
    for step in (current_step - 1, current_step, current_step + 1):
        if step > staff.totp_last_step and secrets.compare_digest(
            totp.generate_otp(step), code
        ):
            staff.totp_last_step = step
            if staff.totp_confirmed_at is None:
                staff.totp_confirmed_at = now
            return True
    return False


def portal_contact_for(email: str) -> Contact | None:
    """The super-user who may use the portal with this address, if any."""
    contact = db.session.scalar(sa.select(Contact).filter_by(email=email.strip().lower()))
    if (contact is None or not contact.is_super_user or not contact.active
            or contact.organisation.status == OrganisationStatus.ENDED):
        return None
    return contact


def contact_with_password(email: str, password: str) -> Contact | None:
    contact = portal_contact_for(email)
    if contact is None or contact.password_hash is None:
        check_password_hash(_unused_hash(), password)
        return None
    return contact if check_password_hash(contact.password_hash, password) else None


def _token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def issue_token(contact: Contact, purpose: str, now: datetime, valid: timedelta) -> str:
    """A one-time token for a link by email; only its hash is stored."""
    raw_token = secrets.token_urlsafe(32)
    db.session.add(SignInToken(token_hash=_token_hash(raw_token), contact_id=contact.id,
                               purpose=purpose, created_at=now, expires_at=now + valid))
    return raw_token


def _usable_token(raw_token: str, purpose: str, now: datetime) -> SignInToken | None:
    token = db.session.scalar(sa.select(SignInToken).filter_by(
        token_hash=_token_hash(raw_token), purpose=purpose))
    if token is None or token.used_at is not None or token.expires_at <= now:
        return None
    return token


@use_case
def consume_token(raw_token: str, purpose: str, now: datetime, *,
                  language: str | None = None) -> Contact | None:
    """The contact a valid, unused, unexpired token belongs to; the token is used up. A
    sign-in link's `language` (chosen before, or the link's own) becomes the contact's."""
    token = _usable_token(raw_token, purpose, now)
    if token is None:
        return None
    token.used_at = now
    contact = portal_contact_for(db.session.get(Contact, token.contact_id).email)
    if contact is not None:
        _adopt_language(contact, language)
    return contact


@use_case
def reset_password(raw_token: str, password: str, now: datetime) -> Contact | None:
    """Set a new password with a reset link; every session and every other link ends."""
    if _usable_token(raw_token, RESET, now) is None:
        return None  # a made-up link costs no password hash: hashing is the expensive part
    password_hash = directory.hash_password(password)  # a too short password keeps the link usable
    contact = consume_token(raw_token, RESET, now)
    if contact is None:
        return None
    db.session.execute(
        sa.update(SignInToken)
        .where(SignInToken.contact_id == contact.id, SignInToken.used_at.is_(None))
        .values(used_at=now))
    contact.password_hash = password_hash
    directory.end_all_sessions(contact)
    return contact


