"""Inviting staff by mail: a one-time, expiring link to set a password and enrol TOTP.

Only the token's hash is stored, as for the portal's links. The link's page shows the TOTP
secret chosen with the invitation; the account exists only once the invitee has set a
password and proved one code, so a half-finished invitation leaves no account behind.
"""
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import format_timedelta

from helpdesk import desk_url
from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models import StaffInvitation, StaffMember
from helpdesk.services import Refusal
from helpdesk.services.language import speaking
from helpdesk.services.mail_out.outbox import queue_mail
from helpdesk.services.people import directory, signin
from helpdesk.services.staffing.accounts import audit, ensure_may_grant
from helpdesk.services.transaction import use_case

KIND = "staff_invitation"  # the outbox kind and the templates' name
ENDPOINT = "auth.accept_invitation"
SUBJECT = "staff_invitation"
INVITED = "invite_staff"
ACCEPTED = "accept_staff_invitation"


def valid_for() -> timedelta:
    return current_app.config["STAFF_INVITATION_VALID"]


def valid_in_words() -> str:
    """How long an invitation works, from the setting, in the reader's language."""
    return format_timedelta(valid_for(), threshold=1)


def _token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@use_case
def invite(manager: StaffMember, email: str, name: str, role: str,
           now: datetime) -> StaffInvitation:
    """Mail a new colleague a link to join with the role given (up to the manager's own)."""
    email = directory.normalise_email(email)
    chosen_role = directory.staff_role(role)
    ensure_may_grant(manager, chosen_role)
    directory.ensure_no_staff_with(email)
    name = name.strip()
    if not name:
        raise Refusal("Give the name of the person you invite.")
    raw_token = secrets.token_urlsafe(32)
    invitation = StaffInvitation(
        token_hash=_token_hash(raw_token), email=email, name=name, role=chosen_role,
        totp_secret=directory.new_totp_secret(), invited_by_id=manager.id, created_at=now,
        expires_at=now + valid_for())
    db.session.add(invitation)
    db.session.flush()
    audit(manager, INVITED, now, SUBJECT, invitation.id,
          f"{email} as {chosen_role.value}")
    _queue_mail(invitation, manager, raw_token, now)
    return invitation


def _queue_mail(invitation: StaffInvitation, manager: StaffMember, raw_token: str,
                now: datetime) -> None:
    # The desk's own language, in the mail and on the page it links to: the invitee has
    # chosen none yet.
    language = languages.DEFAULT
    link = desk_url.link(ENDPOINT, language=language, token=raw_token)
    with speaking(language):
        context = {"invitation": invitation, "manager": manager, "link": link,
                   "valid": valid_in_words()}
        queue_mail(
            to_address=invitation.email, kind=KIND, now=now, language=language,
            subject=render_template(f"email/{KIND}_subject.txt", **context).strip(),
            body_text=render_template(f"email/{KIND}.txt", **context),
            body_html=render_template(f"email/{KIND}.html", **context),
            automatic=False,
        )


def _usable(raw_token: str, now: datetime) -> StaffInvitation:
    invitation = db.session.scalar(
        sa.select(StaffInvitation).filter_by(token_hash=_token_hash(raw_token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        raise Refusal("This invitation has expired or was used already. Ask a manager to "
                      "invite you again.")
    return invitation


@use_case
def invitation_to_accept(raw_token: str, now: datetime) -> StaffInvitation:
    """The invitation a link carries, while it is unused and unexpired (nothing changes)."""
    return _usable(raw_token, now)


@use_case
def accept(raw_token: str, password: str, code: str, now: datetime) -> StaffMember:
    """The invitee sets a password and proves a TOTP code: the account exists from now on.

    Every other open invitation for the address ends with it.
    """
    invitation = _usable(raw_token, now)
    staff = directory.add_staff(invitation.email, invitation.name, invitation.role.value,
                                password, now, totp_secret=invitation.totp_secret)
    if not signin.accept_totp_code(staff, code, now):
        raise Refusal("That code is not right or was used already.")
    db.session.flush()
    db.session.execute(
        sa.update(StaffInvitation)
        .where(StaffInvitation.email == invitation.email, StaffInvitation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    invitation.used_at, invitation.staff_id = now, staff.id
    audit(staff, ACCEPTED, now, SUBJECT, invitation.id,
          f"{staff.email} as {staff.role.value}")
    return staff
