"""What admins read about the running desk: the mailbox, what is kept, and every setting.

Owns the admins' overview (overview); it changes nothing. May use models, adapters and the
settings table only.
"""
