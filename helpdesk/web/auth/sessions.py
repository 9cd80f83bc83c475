"""Revocable sessions with an inactivity limit, for staff and super-users alike."""
from datetime import UTC, datetime

from flask import current_app, request, session
from flask_login import current_user, logout_user

from helpdesk.domain.ids import parse_id
from helpdesk.extensions import db
from helpdesk.models import Contact, StaffMember

# A request carrying this header (htmx polling) does not count as activity.
BACKGROUND_HEADER = "X-Helpdesk-Background"


def load_user(user_id: str) -> StaffMember | Contact | None:
    """Flask-Login's loader: a cookie whose token was rotated (sign-out, disable) loads nobody."""
    try:
        kind, raw_id, token = user_id.split(":", 2)
        model = {"staff": StaffMember, "contact": Contact}[kind]
        person_id = parse_id(raw_id)
        person = db.session.get(model, person_id) if person_id is not None else None
    except (ValueError, KeyError):
        return None
    if person is None or not person.active or person.session_token != token:
        return None
    return person


def idle_limit_for(person: StaffMember | Contact):
    key = "STAFF_SESSION_IDLE" if isinstance(person, StaffMember) else "PORTAL_SESSION_IDLE"
    return current_app.config[key]


def refresh_or_expire_session():
    """Sign out a person idle for longer than the limit; otherwise note this activity."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    now = datetime.now(UTC)
    seen_at = session.get("seen_at")
    if seen_at is None or now.timestamp() - seen_at > idle_limit_for(current_user).total_seconds():
        logout_user()
        session.clear()
        session["expired"] = True
        return
    if request.headers.get(BACKGROUND_HEADER) != "1":
        session["seen_at"] = now.timestamp()
