"""Mail that lets a super-user into the portal: one-time sign-in links."""
from datetime import datetime

from flask import current_app, render_template, url_for
from flask_babel import force_locale

from helpdesk.extensions import db
from helpdesk.services import signin
from helpdesk.services.outbox import queue_mail


def queue_sign_in_link(email: str, now: datetime) -> None:
    """Mail a one-time link if the address is a portal user's; say nothing either way."""
    contact = signin.portal_contact_for(email)
    if contact is None:
        return
    valid = current_app.config["SIGN_IN_LINK_VALID"]
    token = signin.issue_token(contact, signin.SIGN_IN, now, valid)
    link = url_for("portal.follow_sign_in_link", token=token, _external=True)
    with force_locale(contact.language):
        context = {"contact": contact, "link": link, "minutes": int(valid.total_seconds() // 60)}
        queue_mail(
            to_address=contact.email, kind="sign_in_link", now=now, language=contact.language,
            subject=render_template("email/sign_in_link_subject.txt", **context).strip(),
            body_text=render_template("email/sign_in_link.txt", **context),
            body_html=render_template("email/sign_in_link.html", **context),
            automatic=False,
        )
    db.session.commit()
