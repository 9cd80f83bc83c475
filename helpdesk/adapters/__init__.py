"""Thin adapters to the world outside: the IMAP mailbox, SMTP, the blob store, private files.

Each speaks one protocol or file layout and knows no ticket; services call them.
May use settings only.
"""
