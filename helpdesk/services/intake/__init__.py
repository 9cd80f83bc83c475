"""Mail intake: IMAP mail in, exactly once, routed to a ticket or held for an agent.

Owns fetching (ingest, mailbox_lock, parse_ahead), one mail to one commit (inbound_mail,
raw_mail), who may write and which ticket a mail joins (routing), and held mail's decisions.
May use tickets, notifications, people, promise, history, domain, models and adapters.
"""
