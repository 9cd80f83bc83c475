"""What the catcher kept, for any staff member: the list, one mail, its source; clear all."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext

from helpdesk.services.mail_out import catcher, route
from helpdesk.web.access import AGENT, policy
from helpdesk.web.dev_mail import bp
from helpdesk.web.downloads import send_source


@bp.before_app_request
def no_catcher_no_pages():
    """A desk without the catcher has no such pages, for anyone: 404 before any sign-in.

    Registered with the blueprint, so before the access policy (configure_security adds that).
    """
    if request.blueprint == bp.name and not current_app.config["MAIL_CATCHER"]:
        abort(404)


@bp.app_context_processor
def mail_out():
    """Every staff page may link the catcher or say that mail goes nowhere; no query unless."""
    return {"mail_route": route.route, "waiting_in_outbox": route.waiting_in_outbox,
            "MAIL_CATCHER": route.CATCHER, "MAIL_NOWHERE": route.NOWHERE}


@bp.get("/")
@policy(AGENT)
def mail_list():
    return render_template("dev_mail/list.html", mails=catcher.caught_mails(), keep=catcher.KEEP)


def _caught(mail_id: int) -> catcher.Caught:
    found = catcher.caught(mail_id)
    if found is None:
        abort(404)
    return found


@bp.get("/<int:mail_id>")
@policy(AGENT)
def mail(mail_id: int):
    found = _caught(mail_id)
    return render_template("dev_mail/mail.html", mail=found.mail, shown=found.shown,
                           source=found.mail.raw.decode("utf-8", "replace"))


@bp.get("/<int:mail_id>/source.eml")
@policy(AGENT)
def mail_source(mail_id: int):
    return send_source(_caught(mail_id).mail.raw, f"caught-{mail_id}.eml")


@bp.post("/clear")
@policy(AGENT)
def clear():
    cleared = catcher.clear_caught()
    flash(ngettext("%(num)d caught mail deleted.", "%(num)d caught mails deleted.", cleared),
          "info")
    return redirect(url_for("dev_mail.mail_list"))
