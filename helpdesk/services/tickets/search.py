"""Full-text search over ticket numbers, subjects, senders and message text, from indexes.

PostgreSQL answers from GIN indexes on to_tsvector expressions, SQLite from FTS5 tables kept
current by triggers (both made by the agent workspace migration). Every word of the query must
occur, as a word or the start of one, in the subject or in one message (sender or text).

Two plans, chosen by a cheap probe: a selective query (few matches) fetches the matching
tickets by primary key; a broad one (a common word) walks the queue's own index in order and
checks each ticket, which stops as soon as a page is full.
"""
import re

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from helpdesk.domain.reference import ticket_number
from helpdesk.extensions import db
from helpdesk.models import Message, Ticket

# These must be the exact expressions the migration indexed, or PostgreSQL scans.
PG_MESSAGE_DOCUMENT = "to_tsvector('simple', translate(sender || ' ' || body_text, '@.', '  '))"
PG_TICKET_DOCUMENT = "to_tsvector('simple', translate(subject, '@.', '  '))"
MAX_TERMS = 8
# More matching messages or subjects than this and a search counts as broad.
BROAD_MATCHES = 5000
_TERM = re.compile(r"[^\W_]+")


def search_terms(text: str) -> list[str]:
    """The words of a query, lower-cased: letters and digits only, so no query syntax leaks."""
    return _TERM.findall(text.lower())[:MAX_TERMS]


def ticket_condition(text: str) -> sa.ColumnElement | None:
    """A WHERE condition on Ticket for the query, or None when it has no words at all."""
    terms = search_terms(text)
    number = ticket_number(text)
    if not terms and number is None:
        return None
    by_number = Ticket.number == number if number is not None else sa.false()
    if not terms:
        return by_number
    matcher = _PostgresqlMatcher(terms) if _dialect() == "postgresql" else _SqliteMatcher(terms)
    hits: set[int] = set()
    for probe in (matcher.message_ticket_ids(), matcher.subject_ticket_ids()):
        found = db.session.scalars(probe.limit(BROAD_MATCHES + 1)).all()
        if len(found) > BROAD_MATCHES:
            return sa.or_(by_number, matcher.correlated())
        hits.update(found)
    return sa.or_(by_number, _id_among(sorted(hits)))


def _dialect() -> str:
    return db.engine.dialect.name


def _id_among(ids: list[int]) -> sa.ColumnElement:
    if not ids:
        return sa.false()
    if _dialect() == "postgresql":
        # One array parameter, fetched by primary key, however many ids.
        return Ticket.id == sa.any_(sa.literal(ids, ARRAY(sa.Integer)))
    return Ticket.id.in_(ids)


class _PostgresqlMatcher:
    def __init__(self, terms: list[str]):
        self.query = sa.func.to_tsquery(sa.literal_column("'simple'"),
                                        " & ".join(f"{t}:*" for t in terms))
        self.in_message = sa.literal_column(PG_MESSAGE_DOCUMENT).bool_op("@@")(self.query)
        self.in_subject = sa.literal_column(PG_TICKET_DOCUMENT).bool_op("@@")(self.query)

    def message_ticket_ids(self) -> sa.Select:
        return sa.select(Message.ticket_id).where(self.in_message)

    def subject_ticket_ids(self) -> sa.Select:
        return sa.select(Ticket.id).where(self.in_subject)

    def correlated(self) -> sa.ColumnElement:
        # A scalar subquery with LIMIT stays a per-ticket probe; PostgreSQL would turn an
        # EXISTS into one hash of every match, which is what a broad search must avoid.
        probe = (sa.select(sa.literal_column("1"))
                 .where(Message.ticket_id == Ticket.id, self.in_message).limit(1))
        return sa.or_(self.in_subject, probe.scalar_subquery().is_not(None))


class _SqliteMatcher:
    def __init__(self, terms: list[str]):
        match = " ".join(f'"{t}"*' for t in terms)
        messages = sa.table("message_search", sa.column("rowid"))
        subjects = sa.table("ticket_search", sa.column("rowid"))
        self.message_ids = (sa.select(messages.c.rowid)
                            .where(sa.literal_column("message_search").op("MATCH")(match)))
        self.subject_ids = (sa.select(subjects.c.rowid)
                            .where(sa.literal_column("ticket_search").op("MATCH")(match)))

    def message_ticket_ids(self) -> sa.Select:
        # Joined from the FTS side, so a LIMIT stops the index walk early.
        found = self.message_ids.subquery()
        return sa.select(Message.ticket_id).join_from(found, Message, Message.id == found.c.rowid)

    def subject_ticket_ids(self) -> sa.Select:
        return self.subject_ids

    def correlated(self) -> sa.ColumnElement:
        # SQLite reads the matching rowids once into a temporary index and then checks each
        # ticket's few messages against it; an FTS lookup per message would expand the prefix
        # term again every time.
        return sa.or_(Ticket.id.in_(self.subject_ids),
                      sa.exists().where(Message.ticket_id == Ticket.id,
                                        Message.id.in_(self.message_ids)))
