"""What each category asks of the customer, and how the answers read as the first message."""
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from helpdesk.models import Category
from helpdesk.services.language import speaking

MAX_DETAIL_LENGTH = 10_000


@dataclass(frozen=True)
class DetailField:
    """One question the form asks for a category; its answer is kept in Ticket.details[name]."""

    name: str
    label: LazyString
    required: bool = True
    multiline: bool = True


_SINCE = DetailField("since", _l("Since when?"), multiline=False)
_AFFECTED = DetailField("affected", _l("What is affected?"))
_USERS = DetailField("users", _l("How many users are affected?"), required=False,
                     multiline=False)
_QUESTION = DetailField("question", _l("Your question"))

CATEGORY_FIELDS: dict[Category, tuple[DetailField, ...]] = {
    Category.BUG: (
        DetailField("steps", _l("Steps to reproduce")),
        DetailField("expected", _l("What did you expect?")),
        DetailField("actual", _l("What happened instead?")),
        DetailField("where", _l("Where in the product?"), required=False, multiline=False),
        DetailField("since", _l("Since when?"), required=False, multiline=False),
    ),
    Category.OUTAGE: (_SINCE, _AFFECTED, _USERS),
    Category.WISH: (
        DetailField("what", _l("What would you like?")),
        DetailField("why", _l("Why? What would it help you do?")),
    ),
    Category.CONFIGURATION: (_QUESTION,),
    Category.QUESTION: (_QUESTION,),
    Category.CALAMITY: (_AFFECTED, _SINCE, _USERS),
}


def clean_details(category: Category, submitted: Mapping[str, str | None]) -> dict[str, str]:
    """Only the answers this category asks for, trimmed; empty answers are left out."""
    details = {}
    for field in CATEGORY_FIELDS[category]:
        value = (submitted.get(field.name) or "").strip()
        if value:
            details[field.name] = value[:MAX_DETAIL_LENGTH]
    return details


def missing_fields(category: Category, details: Mapping[str, str]) -> list[DetailField]:
    return [field for field in CATEGORY_FIELDS[category]
            if field.required and not details.get(field.name)]


def details_as_text(category: Category, details: Mapping[str, str], language: str) -> str:
    """The answers as the text of the first message, headed by their questions."""
    fields = [field for field in CATEGORY_FIELDS[category] if details.get(field.name)]
    if len(CATEGORY_FIELDS[category]) == 1:
        return "\n".join(details[field.name] for field in fields)
    with speaking(language):
        return "\n\n".join(f"{field.label}\n{details[field.name]}" for field in fields)
