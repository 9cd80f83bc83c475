"""Reply texts managers prepare so agents answer common questions quickly and consistently."""
import sqlalchemy as sa

from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models import CannedReply
from helpdesk.services import Refusal
from helpdesk.services.transaction import use_case


def all_replies() -> list[CannedReply]:
    return db.session.scalars(sa.select(CannedReply)
                              .order_by(CannedReply.language, CannedReply.title)).all()


def reply_by_id(reply_id: int) -> CannedReply | None:
    return db.session.get(CannedReply, reply_id)


@use_case
def save(title: str, body: str, language: str, reply: CannedReply | None = None) -> CannedReply:
    """Add a canned reply, or change `reply`; titles are unique."""
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise Refusal("Give the canned reply a title and a text.")
    if not languages.is_supported(language):
        raise Refusal("Choose Dutch or English.")
    clash = db.session.scalar(sa.select(CannedReply.id).where(
        CannedReply.title == title, CannedReply.id != (reply.id if reply else -1)))
    if clash:
        raise Refusal("A canned reply with this title exists already.")
    if reply is None:
        reply = CannedReply()
        db.session.add(reply)
    reply.title, reply.body, reply.language = title[:200], body, language
    return reply


@use_case
def delete(reply: CannedReply) -> None:
    db.session.delete(reply)
