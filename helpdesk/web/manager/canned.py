"""Canned replies: managers write them, agents insert them into replies."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from helpdesk.domain import languages
from helpdesk.services import Refusal
from helpdesk.services.tickets import canned_replies
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.auth.forms import EmptyForm
from helpdesk.web.labels import LANGUAGE_LABELS
from helpdesk.web.manager import bp


class CannedReplyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20_000)])
    language = SelectField(_l("Language"), choices=[
        SelectChoice(language, LANGUAGE_LABELS[language]) for language in languages.SUPPORTED])


def _reply_or_404(reply_id: int):
    reply = canned_replies.reply_by_id(reply_id)
    if reply is None:
        abort(404)
    return reply


def _save(form: CannedReplyForm, reply=None):
    """Save a valid form; None when it was, the page again (status 200) when not."""
    if form.validate_on_submit():
        try:
            canned_replies.save(form.title.data, form.body.data, form.language.data, reply)
        except Refusal as refused:
            form.title.errors = [*form.title.errors, str(refused)]
        else:
            return None
    return render_template("manager/canned_reply.html", form=form, reply=reply), 200


@bp.route("/canned-replies", methods=["GET", "POST"])
@policy(MANAGER)
def canned_reply_list():
    form = CannedReplyForm()
    if form.is_submitted():
        page = _save(form)
        if page is not None:
            return page
        flash(_("Canned reply saved."), "info")
        return redirect(url_for("manager.canned_reply_list"), 303)
    return render_template("manager/canned_replies.html", form=form,
                           replies=canned_replies.all_replies(), delete_form=EmptyForm())


@bp.route("/canned-replies/<int:reply_id>", methods=["GET", "POST"])
@policy(MANAGER)
def canned_reply_edit(reply_id: int):
    reply = _reply_or_404(reply_id)
    form = CannedReplyForm(obj=reply)
    if form.is_submitted():
        page = _save(form, reply)
        if page is not None:
            return page
        flash(_("Canned reply saved."), "info")
        return redirect(url_for("manager.canned_reply_list"), 303)
    return render_template("manager/canned_reply.html", form=form, reply=reply)


@bp.post("/canned-replies/<int:reply_id>/delete")
@policy(MANAGER)
def canned_reply_delete(reply_id: int):
    reply = _reply_or_404(reply_id)
    if EmptyForm().validate_on_submit():
        canned_replies.delete(reply)
        flash(_("Canned reply deleted."), "info")
    return redirect(url_for("manager.canned_reply_list"), 303)
