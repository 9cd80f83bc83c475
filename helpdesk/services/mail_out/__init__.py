"""Mail out: the outbox every mail is queued in, and the worker that sends it over SMTP (or, in
development, hands it to the catcher shown at /dev/mail).

Owns queueing in the caller's transaction (outbox), claiming, sending, retrying and failing
(sender), where mail goes (route) and what the catcher kept (catcher). Knows no ticket rule.
May use people (a reader's address and language), history, domain, models and adapters.
"""
