"""The audit trail's hash chain: each entry's digest covers its fields and the one before.

The encoding is frozen: the migration that chained the entries written before the chain used
it too, and changing it would make every stored digest a break.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

# What the first entry of the chain names as the entry before it.
GENESIS = "0" * 64


def detail_digest(detail: str | None) -> str:
    """sha256 of the detail as written (None and "" differ)."""
    return hashlib.sha256(json.dumps(detail, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class ChainedFields:
    """What an entry's digest covers: everything but its id and its (redactable) detail."""

    at: datetime
    staff_id: int | None
    contact_id: int | None
    organisation_id: int | None
    action: str
    subject_type: str
    subject_id: int | None
    detail_digest: str
    previous_digest: str

    def digest(self) -> str:
        """sha256 over a canonical JSON array of the fields, `at` as microsecond UTC ISO."""
        encoded = json.dumps(
            [self.at.astimezone(UTC).isoformat(timespec="microseconds"), self.staff_id,
             self.contact_id, self.organisation_id, self.action, self.subject_type,
             self.subject_id, self.detail_digest, self.previous_digest],
            ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()
