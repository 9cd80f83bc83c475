"""Mail as data: bytes to a parsed mail, sender checks, threading keys, safe HTML, composing.

Pure functions: no Flask, no database.
"""
