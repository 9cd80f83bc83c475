"""Attachments as staff read them: every download is recorded with who and when."""
from datetime import datetime

from helpdesk.extensions import db
from helpdesk.models import Attachment, StaffMember
from helpdesk.services.people import audit, visibility
from helpdesk.services.privacy import access
from helpdesk.services.transaction import use_case


@use_case
def audited_attachment(attachment_id: int, viewer: StaffMember,
                       now: datetime) -> Attachment | None:
    """The attachment a staff member asked for, with the download written to the audit trail.

    None when there is none, or when its ticket is one the staff member may not see.
    """
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not visibility.may_see_ticket(viewer, attachment.message.ticket,
                                                           now):
        return None
    ticket = attachment.message.ticket
    audit.add_entry(access.DOWNLOADED, now, viewer, "attachment", attachment.id,
                    f"#{ticket.number} {attachment.filename}",
                    contact_id=ticket.raised_by_id, organisation_id=ticket.organisation_id)
    return attachment
