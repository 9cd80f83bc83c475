"""The one place a refusal becomes a response: a page, an htmx fragment or problem JSON."""
from http import HTTPStatus

from flask import Flask, jsonify, make_response, render_template, request
from flask_login import current_user

from helpdesk.models import Contact, StaffMember
from helpdesk.services import Refusal
from helpdesk.web.htmx import VARY

# The element of the base layout where messages show; htmx swaps a refusal into it.
MESSAGES_ID = "messages"


def error_layout(status: int) -> str:
    """The layout an error page extends: the signed-in person's own, so their navigation stays;
    the plain one for everybody else, and for a server error (its layout might fail too)."""
    if status >= 500:
        return "base.html"
    person = current_user._get_current_object()
    if isinstance(person, StaffMember):
        return "staff_base.html"
    if isinstance(person, Contact) and person.is_super_user:
        return "portal/base.html"
    return "base.html"


def wants_problem_json() -> bool:
    return (request.accept_mimetypes.best_match(["text/html", "application/json"])
            == "application/json")


def refusal_response(refusal: Refusal):
    """Problem JSON (RFC 9457: with type about:blank the title is the status phrase, the
    sentence is the detail) when asked for; for htmx the sentence lands in the messages
    area (status 200, so htmx swaps it); otherwise a page with the refusal's status."""
    if wants_problem_json():
        response = jsonify(type="about:blank", title=HTTPStatus(refusal.status).phrase,
                           status=refusal.status, detail=str(refusal))
        response.status_code = refusal.status
        response.mimetype = "application/problem+json"
    elif request.headers.get("HX-Request") == "true":
        response = make_response(render_template("errors/_refusal.html", refusal=refusal))
        response.headers["HX-Retarget"] = f"#{MESSAGES_ID}"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = make_response(render_template("errors/refusal.html", refusal=refusal,
                                                 layout=error_layout(refusal.status)),
                                 refusal.status)
    response.headers["Vary"] = f"{VARY}, Accept"
    return response


def register(app: Flask) -> None:
    app.register_error_handler(Refusal, refusal_response)
