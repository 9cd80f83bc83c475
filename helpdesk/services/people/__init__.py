"""People and sign-in: organisations, their contacts, staff, and checking who someone is.

Owns the directory (directory), managers' changes to contacts (contacts), the directory's
audit trail (audit), and passwords, TOTP, one-time links and throttling (signin).
May use models only.
"""
