"""SQL expressions that give identical answers on SQLite and PostgreSQL, for statistics."""
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement):  # reads as a SQL function
    """Whole seconds since 1970 of a stored UTC moment, fractions dropped on both databases."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


# unixepoch() (SQLite 3.38+) is several times faster than strftime('%s') on large periods.
UNIXEPOCH_SINCE = (3, 38, 0)


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element, compiler, **kw):
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff' and would round the fraction to milliseconds,
    # so it is cut off, to floor exactly as PostgreSQL's FLOOR does.
    argument = f"substr({compiler.process(element.clauses, **kw)}, 1, 19)"
    if getattr(compiler.dialect.dbapi, "sqlite_version_info", (0,)) >= UNIXEPOCH_SINCE:
        return f"unixepoch({argument})"
    return f"CAST(strftime('%s', {argument}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element, compiler, **kw):
    # date_part gives float8, twice as fast as EXTRACT's numeric; a microsecond fraction is
    # never within float8 rounding of the next second before the year 2200, so FLOOR is exact.
    argument = compiler.process(element.clauses, **kw)
    return f"CAST(FLOOR(date_part('epoch', {argument})) AS BIGINT)"


def seconds_between(start, end):
    """Whole seconds from `start` to `end` (each floored to the second first)."""
    return epoch_seconds(end) - epoch_seconds(start)


def bucket_index(column, boundaries: Sequence[datetime]):
    """0-based index of the bucket a moment falls in, given the start of every later bucket.

    Rows are filtered to the whole range first, so the last bucket is the ELSE; with a single
    bucket there is nothing to tell apart and the caller groups nothing (None).
    """
    if not boundaries:
        return None
    return sa.case(*[(column < boundary, index) for index, boundary in enumerate(boundaries)],
                   else_=len(boundaries))


def local_seconds(column, segments: Sequence[tuple[datetime, int]]):
    """Epoch seconds of a moment shifted by the time zone's offset in force at that moment."""
    if len(segments) == 1:
        offset = sa.literal(segments[0][1])
    else:
        offset = sa.case(*[(column < segments[index + 1][0], seconds)
                           for index, (_, seconds) in enumerate(segments[:-1])],
                         else_=segments[-1][1])
    return epoch_seconds(column) + offset


def local_hour_of_week(column, segments: Sequence[tuple[datetime, int]]):
    """Hours since local Monday 00:00 (0-167): 1970-01-01 was a Thursday, 72 hours in."""
    return (local_seconds(column, segments) // 3600 + 72) % 168


class not_an_index_key(FunctionElement):  # reads as a SQL function
    """The column's value, but not for the planner to choose an index by (SQLite's unary +).

    SQLite picks a range index over an index that already gives the ORDER BY, and then sorts
    the whole range; PostgreSQL weighs both and needs no hint.
    """

    inherit_cache = True
    name = "not_an_index_key"

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(not_an_index_key)
def _not_an_index_key(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(not_an_index_key, "sqlite")
def _not_an_index_key_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"
