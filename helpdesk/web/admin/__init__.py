"""Admins' pages: the mailbox, what the desk keeps, and every setting, readable in one place."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from helpdesk.web.admin import views  # noqa: E402,F401
