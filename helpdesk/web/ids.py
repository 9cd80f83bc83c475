"""Ids in URLs, forms and query strings: a number too large for the database is no id.

A 23-digit id would overflow SQLite's and PostgreSQL's integers in the query (a 500);
here it is simply not found (404), an ignored filter or a form error.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms import IntegerField

from helpdesk.domain.ids import MAX_ID, MAX_ID_DIGITS, parse_id


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: at most MAX_ID, so a larger number matches no page."""

    regex = rf"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def __init__(self, map, *args, **kwargs) -> None:  # werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_arg(values: Mapping, name: str) -> int | None:
    """An id from a query string or form (request.args, request.form); None if it is none."""
    return parse_id(values.get(name))


class IdField(IntegerField):
    """A form field naming a row by id: empty is None, anything that cannot be one an error."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        self.data = parse_id(valuelist[0])
        if self.data is None:
            raise ValueError(_l("This choice does not exist."))
