"""Column types shared by the models."""
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm

from helpdesk.domain.text import single_line


class UTCDateTime(sa.TypeDecorator):
    """An aware UTC datetime on every database (SQLite keeps no offset, so we add it back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; pass an aware UTC instant")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls, *, length: int = 24, **kwargs) -> sa.Enum:
    """A portable enum: a VARCHAR with a CHECK constraint, storing the enum's values."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        **kwargs,
    )


class OneLineString(sa.TypeDecorator):
    """A subject, name or title: stored on one line, without control characters.

    Cleaning at the column means no entry path (portal, staff forms, command line, mail,
    a bulk UPDATE) can store a line break; the attribute listener below also cleans the
    value on the object, so the session and the database agree before a commit.
    """

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect):
        return None if value is None else single_line(value)


def _clean_on_set(_target, value, _old, _initiator):
    return single_line(value) if isinstance(value, str) else value


@sa.event.listens_for(sa.orm.Mapper, "mapper_configured")
def _clean_one_line_attributes(mapper, class_) -> None:
    for attribute in mapper.column_attrs:
        if any(isinstance(column.type, OneLineString) for column in attribute.columns):
            sa.event.listen(getattr(class_, attribute.key), "set", _clean_on_set, retval=True)
