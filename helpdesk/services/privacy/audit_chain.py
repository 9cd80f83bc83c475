"""Checking the audit trail's hash chain: the first entry that was changed, removed or added.

The chain makes tampering evident to anyone who cannot also rewrite every later entry and the
head row; it carries no secret, so it proves the trail was not edited casually, not that the
database's owner could not have rebuilt it.
"""
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from helpdesk.domain import audit_chain
from helpdesk.extensions import db
from helpdesk.models import AuditChainHead, AuditEntry
from helpdesk.services.people import audit

BATCH = 1000  # rows held in memory at once while walking the chain


@dataclass(frozen=True)
class Verdict:
    """How many entries were checked, and the first break (None when the chain holds)."""

    entries: int
    broken_at: int | None = None  # the entry's id; None with a problem means the head
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _entries() -> Iterator[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=BATCH))


def verify() -> Verdict:
    """Walk the chain in id order and stop at the first entry that does not hold."""
    previous, count = audit_chain.GENESIS, 0
    for entry in _entries():
        problem = _problem(entry, previous)
        if problem:
            return Verdict(count, entry.id, problem)
        previous, count = entry.digest, count + 1
    head = db.session.get(AuditChainHead, audit.HEAD_ID)
    head_digest = head.digest if head else audit_chain.GENESIS
    if head_digest != previous or (head is not None and head.entry_count != count):
        return Verdict(count, None, "the last entry is not the chain's recorded head "
                                    "(entries were removed from the end, or added around it)")
    return Verdict(count)


def _problem(entry: AuditEntry, previous: str) -> str | None:
    if entry.previous_digest != previous:
        return "it does not follow the entry before it (an entry was removed or inserted)"
    if not entry.redacted and audit_chain.detail_digest(entry.detail) != entry.detail_digest:
        return "its detail was changed"
    if audit.chained_fields(entry).digest() != entry.digest:
        return "its fields were changed (time, who, action, subject or digest)"
    return None
