"""Mail that lets a super-user into the portal: one-time sign-in and password-reset links."""
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale

from helpdesk import desk_url
from helpdesk.extensions import db
from helpdesk.services import signin
from helpdesk.services.outbox import queue_mail


def queue_sign_in_link(email: str, now: datetime) -> None:
    """Mail a one-time link if the address is a portal user's; say nothing either way."""
    _queue_link(email, now, purpose=signin.SIGN_IN, kind="sign_in_link",
                endpoint="portal.follow_sign_in_link",
                valid=current_app.config["SIGN_IN_LINK_VALID"])


def queue_password_reset(email: str, now: datetime) -> None:
    """Mail a one-time link to set a new password, if the address is a portal user's."""
    _queue_link(email, now, purpose=signin.RESET, kind="password_reset",
                endpoint="portal.reset_password",
                valid=current_app.config["PASSWORD_RESET_VALID"])


def _queue_link(email: str, now: datetime, *, purpose: str, kind: str, endpoint: str,
                valid: timedelta) -> None:
    contact = signin.portal_contact_for(email)
    if contact is None:
        return
    token = signin.issue_token(contact, purpose, now, valid)
    link = desk_url.link(endpoint, token=token)
    with force_locale(contact.language):
        context = {"contact": contact, "link": link, "minutes": int(valid.total_seconds() // 60)}
        queue_mail(
            to_address=contact.email, kind=kind, now=now, language=contact.language,
            subject=render_template(f"email/{kind}_subject.txt", **context).strip(),
            body_text=render_template(f"email/{kind}.txt", **context),
            body_html=render_template(f"email/{kind}.html", **context),
            automatic=False,
        )
    db.session.commit()
