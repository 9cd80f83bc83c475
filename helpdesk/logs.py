"""Log lines for operators: one record a line on stderr, as text or as a JSON object.

Every line is redacted, its message and its traceback alike: email addresses keep their first
letter and their domain (`e***@acme.example`), and the single-use tokens of sign-in, reset,
invitation and download links are cut out of paths. Logs travel further and live longer than
the desk's own data, which the terms let no one else read.
"""
import json
import logging
import re
import sys
from datetime import UTC, datetime

FORMATS = ("text", "json")  # HELPDESK_LOG_FORMAT
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The local part as RFC 5322 allows it unquoted (quotes and slashes left out: they end a
# repr or start a path); a domain with at least one dot.
_ADDRESS = re.compile(r"(?<![\w.!#$%&*+=?^`{|}~-])([\w!#$%&*+=?^`{|}~-])[\w.!#$%&*+=?^`{|}~-]*"
                      r"@((?:[\w-]+\.)+[\w-]{2,})")
# secrets.token_urlsafe(32), the desk's link tokens, is 43 characters; a slug or a number
# is far shorter.
_TOKEN = re.compile(r"(?<=/)[A-Za-z0-9_-]{32,}")


def redact(text: str) -> str:
    """The text with email addresses masked and link tokens in paths replaced."""
    return _TOKEN.sub("<token>", _ADDRESS.sub(r"\1***@\2", text))


class TextLines(logging.Formatter):
    """`2026-12-02 13:56:52,123 INFO helpdesk.jobs: ...`, a traceback on the lines below."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        line = {"time": moment.isoformat(timespec="milliseconds"), "level": record.levelname,
                "logger": record.name, "message": redact(record.getMessage())}
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class LineHandler(logging.StreamHandler):
    """Writes to the standard error of the moment, as logging's last resort does, so a stream
    replaced later (a daemon's, a test runner's) is the one written to."""

    def __init__(self, log_format: str = "text") -> None:
        super().__init__()
        self.setFormatter(JsonLines() if log_format == "json" else TextLines())

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass  # always sys.stderr, whatever StreamHandler sets


def configure(log_format: str, level: int | None = None) -> None:
    """Log every record as a line in `log_format`, replacing this module's handler if present.

    A process whose logging someone else set up (a test runner, an application that embeds
    the desk) keeps it, as with `logging.basicConfig`; `level` then changes nothing either.
    """
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if isinstance(handler, LineHandler)]
    if len(ours) < len(root.handlers):
        return
    for handler in ours:
        root.removeHandler(handler)
    root.addHandler(LineHandler(log_format))
    if level is not None:
        root.setLevel(level)
