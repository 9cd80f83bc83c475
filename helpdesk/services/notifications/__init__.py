"""Mail the desk writes to customers about their tickets, and the promise in words.

Owns acknowledgements, replies as mail and status mail (customer_mail) and the wording of due
moments and durations that pages and mail share (wording).
May use promise, mail_out, domain and models.
"""
