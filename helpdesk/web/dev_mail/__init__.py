"""The mail catcher's pages (/dev/mail, development only) and the banner of a desk whose mail
goes nowhere."""
from flask import Blueprint

bp = Blueprint("dev_mail", __name__)

from helpdesk.web.dev_mail import views  # noqa: E402,F401
