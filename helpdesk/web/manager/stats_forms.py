"""The statistics filters: a GET form whose values live in the URL (shareable, no CSRF needed)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional, ValidationError

from helpdesk.domain.periods import EARLIEST, LATEST, PRESETS
from helpdesk.web.labels import CATEGORY_LABELS, CHANNEL_LABELS

PERIOD_LABELS = {
    "last_30_days": _l("Last 30 days"), "this_week": _l("This week"),
    "last_month": _l("Last month"), "this_quarter": _l("This quarter"),
    "this_year": _l("This year"), "last_12_months": _l("Last 12 months"),
    "custom": _l("From – to"),
}
MAX_CUSTOM_DAYS = 5 * 366
UNASSIGNED = "none"  # the agent filter's value for tickets nobody is assigned to


class StatsFilterForm(FlaskForm):
    class Meta:
        csrf = False  # read-only GET: the filters are part of a shareable address

    period = SelectField(_l("Period"), choices=[SelectChoice(name, PERIOD_LABELS[name])
                                                 for name in (*PRESETS, "custom")],
                         default="last_30_days")
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    organisation = SelectField(_l("Organisation"), default="")
    category = SelectField(_l("Category"), default="",
                           choices=[SelectChoice("", _l("All categories"))]
                           + [SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()])
    channel = SelectField(_l("Channel"), default="",
                          choices=[SelectChoice("", _l("All channels"))]
                          + [SelectChoice(c.value, label) for c, label in CHANNEL_LABELS.items()])
    agent = SelectField(_l("Agent"), default="")

    def __init__(self, organisations, staff, **kwargs):
        super().__init__(**kwargs)
        self.organisation.choices = [SelectChoice("", _l("All organisations"))] + [
            SelectChoice(o.slug, o.name) for o in organisations]
        self.agent.choices = [SelectChoice("", _l("All agents"))] + [
            SelectChoice(str(s.id), s.name) for s in staff] + [
            SelectChoice(UNASSIGNED, _l("Unassigned"))]

    def url_args(self) -> dict[str, str]:
        """The understood filters as URL parameters, for links that keep them (CSV)."""
        custom = self.period.data == "custom"
        args = {"period": self.period.data,
                "start": self.start.data.isoformat() if custom else "",
                "end": self.end.data.isoformat() if custom else "",
                "organisation": self.organisation.data, "category": self.category.data,
                "channel": self.channel.data, "agent": self.agent.data}
        return {key: value for key, value in args.items() if value}

    def validate_start(self, field):
        if field.data is not None and not EARLIEST <= field.data <= LATEST:
            raise ValidationError(_l("Choose a date in this century."))

    def validate_end(self, field):
        self.validate_start(field)
        if self.period.data != "custom":
            return
        if self.start.data is None or field.data is None:
            raise ValidationError(_l("Give both dates of the period."))
        if field.data < self.start.data:
            raise ValidationError(_l("The period cannot end before it starts."))
        if (field.data - self.start.data).days >= MAX_CUSTOM_DAYS:
            raise ValidationError(_l("Choose a period of at most five years."))
