"""The development desk's mail catcher: outgoing mail kept in the database, for /dev/mail.

CatchingConnection stands where the SMTP connection stands in the sender (the same
`send_composed`), so caught mail is claimed, leased and marked sent like any other, and the
loop brake counts it. The caught row joins the sender's session and is committed with the
outbox row's SENT, so a mail is caught exactly when its row says sent. Only the newest KEEP are
kept: a long development session does not grow the table without end.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from helpdesk.domain.mail.display import ShownMail, shown_mail
from helpdesk.extensions import db
from helpdesk.models import CaughtMail, OutboxMessage, OutboxState
from helpdesk.services.transaction import use_case

KEEP = 500


class CatchingConnection:
    """Catches what the sender hands over, instead of talking to a server."""

    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock

    def __enter__(self) -> "CatchingConnection":
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def send_composed(self, message: EmailMessage, envelope_from: str,
                      recipients: list[str]) -> None:
        """Keep the bytes SMTP would have had; the caller's commit (the row sent) keeps them."""
        db.session.add(CaughtMail(
            caught_at=self.clock(), envelope_from=envelope_from, recipients=list(recipients),
            subject=str(message.get("Subject", ""))[:300], raw=message.as_bytes(policy=SMTP),
            outbox_message_id=_row_being_sent(message)))
        db.session.flush()
        oldest_kept = db.session.scalar(sa.select(CaughtMail.id).order_by(CaughtMail.id.desc())
                                        .offset(KEEP - 1).limit(1))
        if oldest_kept is not None:
            db.session.execute(sa.delete(CaughtMail).where(CaughtMail.id < oldest_kept))


def _row_being_sent(message: EmailMessage) -> int | None:
    """The outbox row this message is: the one claimed for sending under its Message-ID."""
    message_id = str(message.get("Message-ID", "")).strip().strip("<>")
    return db.session.scalar(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.smtp_message_id == message_id,
               OutboxMessage.state == OutboxState.PENDING,
               OutboxMessage.claimed_until.is_not(None))
        .order_by(OutboxMessage.id).limit(1))


@dataclass(frozen=True)
class CaughtRow:
    """One line of the list: when, to whom, what, and the outbox's kind when it tells."""

    id: int
    caught_at: datetime
    recipients: list[str]
    subject: str
    kind: str | None


def caught_mails() -> list[CaughtRow]:
    """Everything caught, newest first (at most KEEP rows), without the bytes."""
    rows = db.session.execute(
        sa.select(CaughtMail.id, CaughtMail.caught_at, CaughtMail.recipients,
                  CaughtMail.subject, OutboxMessage.kind)
        .outerjoin(OutboxMessage, OutboxMessage.id == CaughtMail.outbox_message_id)
        .order_by(CaughtMail.id.desc()).limit(KEEP))
    return [CaughtRow(*row) for row in rows]


@dataclass(frozen=True)
class Caught:
    """One caught mail, its bytes and its parts for reading."""

    mail: CaughtMail
    shown: ShownMail


def caught(mail_id: int) -> Caught | None:
    mail = db.session.scalar(sa.select(CaughtMail).options(undefer(CaughtMail.raw))
                             .where(CaughtMail.id == mail_id))
    return Caught(mail, shown_mail(mail.raw)) if mail is not None else None


@use_case
def clear_caught() -> int:
    """Delete every caught mail; how many there were."""
    return db.session.execute(sa.delete(CaughtMail)).rowcount
