"""The portal: what a super-user may see and do, and the mail that lets them in.

Owns visibility (access), the super-user's use cases on tickets (customer_actions) and
sign-in and reset links by mail (link_mail).
May use tickets, notifications, mail_out, people and models.
"""
