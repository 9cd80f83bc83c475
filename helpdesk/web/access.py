"""Who may use which route: every view declares a policy, and one hook enforces it."""
from collections.abc import Callable

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from helpdesk import desk_url
from helpdesk.models import Contact, OrganisationStatus, StaffMember, StaffRole

PUBLIC = "public"
SUPER_USER = "super_user"
AGENT = "agent"
MANAGER = "manager"
ADMIN = "admin"
POLICIES = (PUBLIC, SUPER_USER, AGENT, MANAGER, ADMIN)

_STAFF_ROLES = {AGENT: StaffRole.AGENT, MANAGER: StaffRole.MANAGER, ADMIN: StaffRole.ADMIN}


def policy(name: str) -> Callable:
    """Declare who may use a view; the app refuses routes that declare nothing."""
    if name not in POLICIES:
        raise ValueError(f"unknown access policy {name!r}")

    def decorate(view: Callable) -> Callable:
        view.access_policy = name
        return view

    return decorate


def enforce_access_policy():
    """Refuse a request unless the signed-in person satisfies the view's policy."""
    if request.endpoint is None:
        return None  # 404 or 405 follows
    view = current_app.view_functions[request.endpoint]
    required = getattr(view, "access_policy", None)
    if required is None:
        abort(403)  # fail closed: a route without a policy serves nobody
    if required == PUBLIC:
        return None
    if required == SUPER_USER:
        person = current_user._get_current_object()
        if not isinstance(person, Contact) or not person.is_super_user:
            return redirect(url_for("portal.sign_in", next=request.full_path))
        if person.organisation.status == OrganisationStatus.ENDED:
            # A clear page rather than a bare refusal: the contract ended, not a mistake.
            return render_template("portal/ended.html"), 403
        return None
    person = current_user._get_current_object()
    if isinstance(person, Contact):
        abort(403)  # a signed-in customer is known, and not allowed on staff pages
    if not isinstance(person, StaffMember):
        return _to_sign_in(url_for("auth.staff_sign_in", next=request.full_path))
    if not current_user.has_role(_STAFF_ROLES[required]):
        abort(403)
    return None


def _to_sign_in(location: str):
    """Send the browser to sign in; htmx would otherwise swap the sign-in page into a fragment."""
    if request.headers.get("HX-Request") == "true":
        return Response(status=204, headers={"HX-Redirect": location})
    return redirect(location)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# For one page an agent asked to show a mail's remote images on: those may load, nothing else.
REMOTE_IMAGES_POLICY = CONTENT_SECURITY_POLICY.replace(
    "img-src 'self' data:", "img-src 'self' data: https: http:")


# An https desk tells browsers to come back over https only, for a year.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def set_security_headers(response):
    """Our own origin only: mail HTML can never load scripts, styles or remote images."""
    if desk_url.is_https(current_app.config):
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
