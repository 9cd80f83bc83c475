"""The super-user portal: sign-in and the organisation's tickets."""
from flask import Blueprint

bp = Blueprint("portal", __name__)

from helpdesk.web.portal import account, export, views  # noqa: E402,F401
