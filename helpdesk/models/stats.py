"""The statistics rollup: settled days' and months' figures, per combination of dimensions."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.extensions import db
from helpdesk.models.ticket import Category, Channel
from helpdesk.models.types import UTCDateTime, enum_column

# First responses by time on the promise's clock: (label key, upper bound in seconds). The
# rollup stores a counter per band, so changing the bands needs a migration.
TIME_BANDS = (("within_1_hour", 3600), ("1_to_4_hours", 4 * 3600), ("4_to_8_hours", 8 * 3600),
              ("8_to_24_hours", 24 * 3600), ("over_24_hours", None))
FIRST_MET_BAND_COLUMNS = tuple(f"first_met_{key}" for key, _ in TIME_BANDS)
ARRIVAL_HOUR_COLUMNS = tuple(f"arrived_h{hour:02d}" for hour in range(24))


class RollupSpan(StrEnum):
    DAY = "day"
    MONTH = "month"


class StatsRollup(db.Model):
    """One local day's or month's figures for one combination of the dimensions.

    Ticket figures count by the ticket's dimensions and the day it was received (or each day
    it was resolved: a resolution event); response figures by the day the customer's message
    arrived and the ticket's dimensions (its category too), exactly as the live statistics count
    them. A month's rows are
    its days' rows summed per weekday (the heatmap needs it), so a year reads twelve months of
    rows instead of 365 days of them.
    """

    __table_args__ = (
        sa.Index("ix_stats_rollup_span", "span", "starts_on", "category", "organisation_id",
                 "assignee_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    span: Mapped[RollupSpan] = mapped_column(enum_column(RollupSpan, length=8,
                                                         name="rollup_span"))
    starts_on: Mapped[date] = mapped_column(sa.Date)  # the day, or the month's first day
    weekday: Mapped[int] = mapped_column(sa.SmallInteger)  # Monday 0, for the heatmap
    category: Mapped[Category] = mapped_column(enum_column(Category, name="category"))
    organisation_id: Mapped[int] = mapped_column()
    assignee_id: Mapped[int | None] = mapped_column()
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, name="channel"))
    received: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    first_on_time: Mapped[int] = mapped_column(default=0)
    first_late: Mapped[int] = mapped_column(default=0)
    first_met: Mapped[int] = mapped_column(default=0)
    # Twenty-nine plain counters are clearer as columns than as generated names in the
    # code that sums them, but writing them out one by one would add nothing.
    for _column in (*FIRST_MET_BAND_COLUMNS, *ARRIVAL_HOUR_COLUMNS):
        vars()[_column] = mapped_column(sa.Integer, nullable=False, default=0)
    del _column


class StatsRollupDay(db.Model):
    """A local day whose rollup may be read: rolled up in this zone, and unchanged since.

    `rolled_changes` is the weight of the StatsChange rows of the UTC dates the day overlaps,
    read before the day's tickets were; a change committed later raises that weight, so the
    day is read live again until it is rolled up anew.
    """

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    zone: Mapped[str] = mapped_column(sa.String(64))
    rolled_changes: Mapped[int] = mapped_column(sa.BigInteger)
    rolled_up_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatsRollupMonth(db.Model):
    """A local month whose rollup may be read: summed from its days' rollups as they still are.

    `rolled_changes` is the sum of its days' rolled_changes when it was summed; a day rolled up
    again since has a higher one, so the month is then read by its days until summed anew.
    """

    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # its first day
    zone: Mapped[str] = mapped_column(sa.String(64))
    rolled_changes: Mapped[int] = mapped_column(sa.BigInteger)
    rolled_up_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatsChange(db.Model):
    """A change to tickets or response records of a UTC date, written with the change itself.

    Append-only, so writers never wait for each other; the rollup folds old rows of a date
    into one row of the same total weight.
    """

    __table_args__ = (sa.Index("ix_stats_change_utc_day", "utc_day", "weight"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    utc_day: Mapped[date] = mapped_column(sa.Date)
    weight: Mapped[int] = mapped_column(sa.BigInteger, default=1)
