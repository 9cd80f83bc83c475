"""Mail that lets a super-user into the portal: one-time sign-in and password-reset links.

Asking for a link only queues the request: the same few statements whoever the address belongs
to, so no timing tells a registered address from an unknown one. The worker answers the queue
(`link-requests`, or `flask links send`): it looks the address up, issues the token and queues
the mail, for registered super-users only. A manager may also send a super-user a sign-in
link from the contact's page (`send_sign_in_link`): the same token and mail, at once.
"""
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, render_template

from helpdesk import desk_url
from helpdesk.extensions import db
from helpdesk.models import Contact, LinkRequest, SignInToken, StaffMember
from helpdesk.services import Refusal
from helpdesk.services.language import speaking
from helpdesk.services.mail_out.outbox import queue_mail
from helpdesk.services.people import audit, signin
from helpdesk.services.transaction import job, use_case

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkKind:
    kind: str  # the outbox kind and the templates' name
    endpoint: str
    valid_setting: str


LINKS = {
    signin.SIGN_IN: LinkKind("sign_in_link", "portal.follow_sign_in_link", "SIGN_IN_LINK_VALID"),
    signin.RESET: LinkKind("password_reset", "portal.reset_password", "PASSWORD_RESET_VALID"),
}
EMAIL_LENGTH = 320
LINK_SENT = "contact_sign_in_link"


def valid_minutes(purpose: str) -> int:
    """How long a link of this purpose works, as its mail and the page that sent it say."""
    return int(current_app.config[LINKS[purpose].valid_setting].total_seconds() // 60)


@use_case
def request_link(email: str, purpose: str, address: str, now: datetime) -> None:
    """Queue a request for a link, whoever the address belongs to; SignInThrottled if too many.

    Nothing here reads the address's account: that is the worker's part.
    """
    if purpose not in LINKS:
        raise ValueError(f"unknown link purpose {purpose!r}")
    signin.throttle_mail_request(email, address, now, **signin.configured_limits())
    db.session.add(LinkRequest(email=email.strip().lower()[:EMAIL_LENGTH], purpose=purpose,
                               requested_at=now))


@job
def answer_link_requests(now: datetime, limit: int = 200) -> int:
    """Answer queued link requests, oldest first, one commit each; the number of links mailed.

    Each request is taken by deleting its row, so two workers never answer one twice.
    """
    requests = db.session.execute(
        sa.select(LinkRequest.id, LinkRequest.email, LinkRequest.purpose)
        .order_by(LinkRequest.id).limit(limit)).all()
    db.session.rollback()
    mailed = 0
    for request_id, email, purpose in requests:
        try:
            taken = db.session.execute(sa.delete(LinkRequest).where(LinkRequest.id == request_id))
            if taken.rowcount == 1 and _mail_link(email, purpose, now):
                mailed += 1
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("link request %s failed; it is dropped", request_id)
            db.session.execute(sa.delete(LinkRequest).where(LinkRequest.id == request_id))
            db.session.commit()
    return mailed


def _mail_link(email: str, purpose: str, now: datetime) -> bool:
    """Queue the link's mail if the address is a portal user's and not flooded with links."""
    contact = signin.portal_contact_for(email)
    if contact is None or _recent_links(contact, purpose, now) >= _links_per_window():
        return False
    _queue_link_mail(contact, purpose, now)
    return True


@use_case
def send_sign_in_link(contact: Contact, now: datetime, by: StaffMember) -> None:
    """A manager sends a super-user a one-time sign-in link, as the portal would, and it is
    audited. Staff are signed in, so unlike a request from the portal this may say no."""
    if signin.portal_contact_for(contact.email) is not contact:
        raise Refusal("Only an active super-user of an organisation whose contract has not "
                      "ended can sign in to the portal.")
    if _recent_links(contact, signin.SIGN_IN, now) >= _links_per_window():
        raise Refusal("%(email)s was sent enough sign-in links for now; try again later.",
                      email=contact.email)
    _queue_link_mail(contact, signin.SIGN_IN, now)
    audit.record(contact, LINK_SENT, now, by, f"sign-in link mailed to {contact.email}")


def _queue_link_mail(contact: Contact, purpose: str, now: datetime) -> None:
    link_kind = LINKS[purpose]
    token = signin.issue_token(contact, purpose, now, current_app.config[link_kind.valid_setting])
    link = desk_url.link(link_kind.endpoint, language=contact.language, token=token)
    kind = link_kind.kind
    with speaking(contact.language):
        context = {"contact": contact, "link": link, "minutes": valid_minutes(purpose)}
        queue_mail(
            to_address=contact.email, kind=kind, now=now, language=contact.language,
            subject=render_template(f"email/{kind}_subject.txt", **context).strip(),
            body_text=render_template(f"email/{kind}.txt", **context),
            body_html=render_template(f"email/{kind}.html", **context),
            automatic=False,
        )


def _links_per_window() -> int:
    # As many links as one address may ask for one account: requests from many addresses
    # together cannot fill a mailbox either.
    return current_app.config["SIGN_IN_FAILURES_PER_ACCOUNT"]


def _recent_links(contact: Contact, purpose: str, now: datetime) -> int:
    since = now - current_app.config["SIGN_IN_FAILURE_WINDOW"]
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SignInToken)
        .where(SignInToken.contact_id == contact.id, SignInToken.purpose == purpose,
               SignInToken.created_at >= since))
