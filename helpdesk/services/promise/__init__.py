"""The response promise: the configured calendar and targets, and each ticket's stored due moments.

Owns deadlines (owe, meet, pause, recompute), the settings managers change, and recomputing
open tickets after such a change. Says nothing in words (that is notifications.wording).
May use history, domain and models.
"""
