"""Mail out: the outbox every mail is queued in, and the worker that sends it over SMTP.

Owns queueing in the caller's transaction (outbox) and claiming, sending, retrying and failing
(sender). Knows no ticket rule.
May use people (a reader's address and language), history, domain, models and adapters.
"""
