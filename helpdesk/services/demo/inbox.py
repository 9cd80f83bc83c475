"""The demo's held mail: one of each kind an agent meets, delivered with real bytes."""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from helpdesk.domain.mail.plain import plain_mail
from helpdesk.extensions import db
from helpdesk.models import Contact
from helpdesk.services.demo.conversations import DEMO_SOURCE, customer_mail
from helpdesk.services.intake.delivered import deliver
from helpdesk.services.mail_out.outbox import desk_address, desk_domain

# The demo's own mail server, as it would stamp its verdicts on mail it received.
DEMO_AUTHSERV_ID = "mx.helpdesk.example"


def seed_held_mail(now: datetime) -> None:
    """An unknown sender, a contact who is no super-user, an out-of-office, a forged sender."""
    stranger = plain_mail(
        sender="j.peeters@example.net", sender_name="Jan Peeters", to=desk_address(),
        subject="Offerte voor 40 licenties", at=now - timedelta(hours=5),
        message_id=f"demo-held-1@{desk_domain()}",
        body="Goedemiddag,\n\nWij overwegen jullie pakket. Kunt u een offerte sturen voor "
             "40 licenties?\n\nMet vriendelijke groet,\nJan Peeters")
    deliver(stranger, now=now - timedelta(hours=5), source=DEMO_SOURCE)

    piet = _contact("piet@acme.example")  # registered, but may not raise tickets
    raw, _ = customer_mail(piet, to=desk_address(), subject="Printer op kantoor doet het niet",
                           at=now - timedelta(hours=4), unique="held-2",
                           body="Hoi,\n\nDe printer op de tweede verdieping print niets meer. "
                                "Kunnen jullie helpen?\n\nPiet")
    deliver(raw, now=now - timedelta(hours=4), source=DEMO_SOURCE)

    tom = _contact("tom@acme.example")
    raw, _ = customer_mail(tom, to=desk_address(), subject="Automatic reply: out of office",
                           at=now - timedelta(hours=2, minutes=50), unique="held-3",
                           headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
                           body="I am out of the office until Monday and read no mail. "
                                "For urgent matters call Eva Jansen.")
    deliver(raw, now=now - timedelta(hours=2, minutes=50), source=DEMO_SOURCE)

    eva = _contact("eva@acme.example")  # her address, but not sent by Acme's mail server
    verdict = (f"{DEMO_AUTHSERV_ID}; spf=fail smtp.mailfrom=acme.example; dkim=none; "
               "dmarc=fail header.from=acme.example")
    raw, _ = customer_mail(eva, to=desk_address(), subject="Nieuw rekeningnummer voor facturen",
                           at=now - timedelta(hours=1, minutes=30), unique="held-4",
                           headers={"Authentication-Results": verdict},
                           body="Beste,\n\nVanaf nu graag alle betalingen naar ons nieuwe "
                                "rekeningnummer NL00 BANK 0123 4567 89.\n\nEva")
    with _enforcing_sender_auth():
        deliver(raw, now=now - timedelta(hours=1, minutes=30), source=DEMO_SOURCE)


@contextmanager
def _enforcing_sender_auth() -> Iterator[None]:
    """For one delivery, trust the demo's mail server's verdicts, as a desk behind one does."""
    config = current_app.config
    saved = config["SENDER_AUTH"], config["AUTHSERV_ID"]
    config["SENDER_AUTH"], config["AUTHSERV_ID"] = "enforce", DEMO_AUTHSERV_ID
    try:
        yield
    finally:
        config["SENDER_AUTH"], config["AUTHSERV_ID"] = saved


def _contact(email: str) -> Contact:
    return db.session.scalar(sa.select(Contact).filter_by(email=email))
