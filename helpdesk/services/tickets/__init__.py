"""Tickets and the queue: opening and changing tickets, what agents do to them, and reading them.

Owns the ticket lifecycle (lifecycle), agents' use cases (desk), the queue and search, the
ticket page's record, attachments and uploads, presence and canned replies.
May use promise (due moments), escalation (a calamity alerts at once), notifications and
mail_out (mail about a ticket), history, domain, models and adapters.
"""
