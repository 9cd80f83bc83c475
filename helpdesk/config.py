"""Default settings; every key can be overridden with a HELPDESK_* environment variable."""
from datetime import timedelta


class DefaultConfig:
    """Defaults that make `make run` work on a fresh machine (SQLite in the instance folder)."""

    # Filled in by create_app with a SQLite file in the instance folder when left empty.
    SQLALCHEMY_DATABASE_URI = ""
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Replaced at start-up by a per-instance random key kept in the instance folder.
    SECRET_KEY = ""

    # Sessions and sign-in.
    STAFF_SESSION_IDLE = timedelta(minutes=30)
    PORTAL_SESSION_IDLE = timedelta(minutes=30)  # super-users get the same rule as staff
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True behind HTTPS (HELPDESK_SESSION_COOKIE_SECURE=true)
    SIGN_IN_FAILURES_PER_ACCOUNT = 5
    SIGN_IN_FAILURES_PER_ADDRESS = 20
    SIGN_IN_FAILURE_WINDOW = timedelta(minutes=15)
    SIGN_IN_LINK_VALID = timedelta(minutes=15)
    PASSWORD_RESET_VALID = timedelta(hours=1)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the (revocable) session

    # Languages.
    LANGUAGES = ("nl", "en")
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"

    # Storage of raw mail and attachments (relative paths are inside the instance folder).
    BLOB_STORE = "blobs"
    MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
    MAX_ATTACHMENTS_PER_MESSAGE = 10
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024

    # Incoming mail (IMAP).
    IMAP_HOST = "127.0.0.1"
    IMAP_PORT = 993
    IMAP_USER = ""
    IMAP_PASSWORD = ""
    IMAP_FOLDER = "INBOX"
    IMAP_PROCESSED_FOLDER = ""  # empty: flag processed mail instead of moving it
    IMAP_SECURITY = "ssl"  # ssl, starttls, or none (loopback only)
    IMAP_CA_FILE = ""  # empty: the system's trusted certificates
    IMAP_TIMEOUT_SECONDS = 30
    IMAP_POLL_SECONDS = 30  # when the server offers no IDLE
    MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # larger mail is held without being downloaded
    INGEST_MAX_ATTEMPTS = 3  # then a message that keeps failing is held as unparsable
    INGEST_PARSE_WORKERS = 1  # processes that parse a long pass ahead of storing it; 0: none
    NOT_SUPER_USER_NOTICE_INTERVAL = timedelta(days=1)  # at most one such reply per contact
    SENDER_AUTH = "log"  # off, log or enforce
    AUTHSERV_ID = ""
    CALAMITY_ADDRESSES = ()

    # Outgoing mail (SMTP; helpdesk/mail/smtp.py says why not through Flask-Mail's transport).
    MAIL_SERVER = ""  # empty: no SMTP configured, mail waits in the outbox
    MAIL_PORT = 465
    MAIL_SECURITY = "ssl"  # ssl, starttls, or none (loopback only); TLS never falls back
    MAIL_CA_FILE = None  # a PEM file of trusted CAs for a private mail server; None: system's
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "support@helpdesk.invalid"
    MAIL_TIMEOUT_SECONDS = 30
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_RETRY_SECONDS = 60  # the first retry's delay; each next one waits twice as long
    OUTBOX_LEASE_SECONDS = 60  # a dead sender's mail goes again after this; renewed when sending
    AUTOMATIC_MAILS_PER_RECIPIENT_PER_HOUR = 5

    # The agents' workspace: how often open pages refresh themselves (htmx polling).
    QUEUE_POLL_SECONDS = 20
    QUEUE_PAGE_SIZE = 50
    PRESENCE_POLL_SECONDS = 15

    # The desk as customers see it. DESK_URL is where people open it: links in mail use it.
    DESK_URL = "http://127.0.0.1:5000"
    DESK_NAME = "Service desk"
    PHONE_NUMBER = "+31 20 123 4567"
    PHONE_HOURS = "10:00-17:00"
    PORTAL_POLL_SECONDS = 20  # how often an open ticket page looks for new answers
