"""Mail handed to the desk whole (the SMTP/LMTP intake, an import): one mail, one commit.

The IMAP path (ingest.py) works from a folder's position; mail handed over has none. The caller
holds the bytes and answers for them only once `deliver` has returned: the intake says 250
then, the import counts the mail. A crash before the commit leaves nothing, so the sender's
retry is the first copy that counts; a retry after it is recognised by its receipt and ends as
a duplicate. A mail that cannot be made a ticket is held as unparsable with its bytes kept, so
the sender is never asked to retry what can never succeed.
"""
from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from helpdesk.extensions import db
from helpdesk.services import Refusal
from helpdesk.services.intake.inbound_mail import (
    MailSource,
    Result,
    Staging,
    commit_staged,
    keep,
    stage_failing,
    stage_kept,
)
from helpdesk.services.intake.parse_ahead import Parsed, Unparsed
from helpdesk.services.promise.calendar_settings import SlaTerms
from helpdesk.services.transaction import job

log = logging.getLogger(__name__)

# Not the mail's fault: nothing is committed and the caller asks the sender to try again
# (TimeoutError: no connection free in the pool; DisconnectionError: one lost on checkout).
INFRASTRUCTURE_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError,
                         sa.exc.DisconnectionError, OSError)


class MailTooLarge(Refusal):
    """Over MAX_MESSAGE_BYTES: refused whole (the intake's 552), never half kept."""


def check_size(size: int) -> None:
    """MailTooLarge for a mail over the desk's limit."""
    limit = current_app.config["MAX_MESSAGE_BYTES"]
    if size > limit:
        raise MailTooLarge("The mail is %(size)s bytes, over the limit of %(limit)s.",
                           size=size, limit=limit)


@job
def deliver(raw: bytes, *, now: datetime, source: MailSource,
            received_at: datetime | None = None, parsed: Parsed | None = None,
            tell_customers: bool = True) -> Result:
    """A ticket message or a held message with its receipt, committed; or a duplicate.

    `parsed`: what a parsing worker made of the bytes (Unparsed: it failed within its limits);
    None parses them here. `tell_customers` False queues no acknowledgement or notice. Trouble
    with the database or the disk goes to the caller with nothing committed; any other failure
    holds the mail as unparsable, its bytes kept.
    """
    check_size(len(raw))
    received_at = received_at or now
    staging = Staging.batch()
    try:
        if isinstance(parsed, Unparsed):
            raise _Unparsable(parsed.error)
        kept = keep(raw, staging.store, parsed)
        result = stage_kept(kept, received_at=received_at, now=now, source=source,
                            sla_terms=SlaTerms.configured(), staging=staging,
                            tell_customers=tell_customers)
        return commit_staged(result, staging)
    except _Unparsable as error:
        db.session.rollback()
        detail = str(error)
    except INFRASTRUCTURE_ERRORS:
        db.session.rollback()
        raise
    except Exception as error:  # the mail is kept and shown to agents
        db.session.rollback()
        log.exception("a mail delivered by %s could not be made a ticket", source.mailbox)
        detail = f"{type(error).__name__}: {error}"
    staging = Staging.batch()
    held = stage_failing(raw, f"delivered by {source.mailbox}; {detail}"[:500],
                         received_at=received_at, now=now, source=source, staging=staging)
    return commit_staged(held, staging)


class _Unparsable(Exception):
    """The parsing worker could not parse the mail within its limits."""
