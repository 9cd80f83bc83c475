"""Mail from files (`flask mail import`): .eml files and mboxes through the one delivery path.

A mail keeps the moment it arrived (the mbox From_ line, else its Date header) when that is
a sane past moment, so a conversation reads in order and its promise runs from when the
customer wrote. An old unanswered mail is then past its due moment at once; the sweep records
such a breach and reports it in the managers' one summary of late breaches, never as a mail
per ticket (services/escalation/sweep.py).
"""
from __future__ import annotations

import itertools
import mailbox
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import current_app

from helpdesk.services import Refusal
from helpdesk.services.intake.delivered import deliver
from helpdesk.services.intake.inbound_mail import MailSource, Outcome

IMPORT_SOURCE = MailSource("import")
# mboxrd escapes a body line "From " as ">From " and ">From " as ">>From "; one ">" goes.
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_BARE_LF = re.compile(rb"(?<!\r)\n")


@dataclass
class FileReport:
    """What one file gave: the outcome of each mail, and a line for each that failed."""

    path: str
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        new, replies = self.outcomes[Outcome.NEW_TICKET], self.outcomes[Outcome.REPLY]
        return (f"{new} new ticket{'' if new == 1 else 's'}, "
                f"{replies} repl{'y' if replies == 1 else 'ies'}, "
                f"{self.outcomes[Outcome.HELD]} held, "
                f"{self.outcomes[Outcome.DUPLICATE]} already there")


def import_files(paths: list[str], now: datetime,
                 report: Callable[[FileReport], None] = lambda done: None, *,
                 tell_customers: bool = True) -> list[FileReport]:
    """Deliver every mail of every file, one commit each; a file or mail that fails is noted.

    `tell_customers` False: no acknowledgement or notice goes out for these mails (a move from
    another desk, whose customers had their answers there).
    """
    reports = []
    for path in paths:
        file_report = import_file(Path(path), now, tell_customers=tell_customers)
        report(file_report)
        reports.append(file_report)
    return reports


def import_file(path: Path, now: datetime, *, tell_customers: bool = True) -> FileReport:
    """One .eml (anything not an mbox) or mbox file; its mails are delivered one by one."""
    file_report = FileReport(str(path))
    mails = read_mails(path, current_app.config["MAX_MESSAGE_BYTES"])
    for number in itertools.count(1):
        try:
            raw, envelope_at = next(mails)
        except StopIteration:
            break
        except (OSError, mailbox.Error) as error:  # the file; trouble delivering goes up
            file_report.failures.append(f"cannot read it: {error}")
            break
        try:
            result = deliver(raw, now=now, source=IMPORT_SOURCE,
                             received_at=received_at(raw, envelope_at, now),
                             tell_customers=tell_customers)
        except Refusal as error:  # too large: this mail is refused, the others go on
            file_report.failures.append(f"mail {number}: {error}")
        else:
            file_report.outcomes[result.outcome] += 1
    return file_report


def read_mails(path: Path, limit: int) -> Iterator[tuple[bytes, datetime | None]]:
    """Each mail's bytes, with CRLF line ends as on the wire (so a mail that also came in over
    IMAP or SMTP is recognised by its receipt), and the moment its mbox From_ line gives (None
    for a single mail). A single mail is read up to one byte over `limit`: enough to refuse it."""
    if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or a device would never end
        raise OSError(f"{path} is not a regular file")
    with path.open("rb") as file:
        is_mbox = file.read(5) == b"From "
        if not is_mbox:
            file.seek(0)
            yield _wire(file.read(limit + 1)), None
            return
    # mailbox indexes the file by scanning it and reads one mail at a time, never all of it.
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys():
            from_line, _, raw = box.get_bytes(key, from_=True).partition(b"\n")
            yield _wire(_ESCAPED_FROM.sub(rb"\1", raw)), _moment(
                from_line.decode("ascii", "replace").split(None, 2)[2:])
    finally:
        box.close()


def _wire(raw: bytes) -> bytes:
    return _BARE_LF.sub(b"\r\n", raw)


def received_at(raw: bytes, envelope_at: datetime | None, now: datetime) -> datetime:
    """The envelope's moment, else the Date header's, when it is a past moment; else now."""
    moment = envelope_at
    if moment is None or moment > now:
        date = BytesHeaderParser().parsebytes(raw).get("Date")
        moment = _moment([str(date)] if date else [])
    return moment if moment is not None and moment <= now else now


def _moment(texts: list[str]) -> datetime | None:
    """The first text as an aware moment (no zone given: UTC); None when it is no date."""
    try:
        moment = parsedate_to_datetime(texts[0])
    except (IndexError, TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
