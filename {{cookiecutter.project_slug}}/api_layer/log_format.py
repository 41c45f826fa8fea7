"""Log records that cannot be forged, leak no secrets and stay one line each.

Threat: user-supplied text (a path, a `Host` header, an exception message) carrying a newline
writes a fake log line; tracebacks for every bad `Host` header flood the log (~1 KB a request).
Decision: every record is one physical line. The text format escapes control characters and
line separators (`\\n` stays visible as `\\n`); `LOG_FORMAT=json` writes one JSON object per
line. Suspicious requests Django reports on `django.security.*` are logged as one line without
the traceback. Nothing here logs headers or bodies: tokens and passwords never reach a record.
Every record carries the id of the request it was made for (request_id.py), `-` outside one.
"""

import json
import re
from datetime import UTC, datetime
from logging import Filter, Formatter
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .request_id import NO_REQUEST, RequestIdFilter

# C0 and C1 control characters (newline, carriage return, escape...) and Unicode line separators.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
DESTINATIONS = ("console+file", "console", "file")
FORMATS = ("text", "json")
MAX_BYTES = 10 * 1024 * 1024
BACKUP_COUNT = 5
# Loggers whose records are expected attacks, not bugs: one line each, no traceback.
WITHOUT_TRACEBACK = [
    "django.security.DisallowedHost",
    "django.security.RequestDataTooBig",
    "django.security.SuspiciousOperation",
]


def escape(text):
    return UNSAFE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class TextFormatter(Formatter):
    def __init__(self):
        super().__init__(
            "%(asctime)s [%(request_id)s] %(levelname)s %(name)s %(message)s",
            defaults={"request_id": NO_REQUEST},  # a handler without the filter
        )

    def format(self, record):
        return escape(super().format(record))


class JsonFormatter(Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", NO_REQUEST),
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)  # ASCII only: every control character escaped


class WithoutTraceback(Filter):
    def filter(self, record):
        record.exc_info = None
        record.exc_text = None
        return True


def logging_config(destination, log_file, log_format, max_bytes=MAX_BYTES):
    """The LOGGING setting: `destination` is console, file or console+file."""
    if destination not in DESTINATIONS or log_format not in FORMATS:
        raise ImproperlyConfigured(
            f"LOG_DESTINATION must be one of {', '.join(DESTINATIONS)} (got {destination!r}) "
            f"and LOG_FORMAT one of {', '.join(FORMATS)} (got {log_format!r})"
        )
    formatter = {"()": JsonFormatter if log_format == "json" else TextFormatter}
    handlers = {}
    if "console" in destination.split("+"):
        handlers["console"] = {"class": "logging.StreamHandler"}
    if "file" in destination.split("+"):
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers["file"] = {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(log_file),
            "maxBytes": max_bytes,
            "backupCount": BACKUP_COUNT,
            "encoding": "utf-8",
            "delay": True,  # opened at the first record: a command that logs nothing leaves none
        }
    for handler in handlers.values():
        handler.update(formatter="line", filters=["request_id"])
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": formatter},
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "without_traceback": {"()": WithoutTraceback},
        },
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": "INFO"},
        "loggers": {
            # 4xx lines come from the request log; django.request keeps the 5xx tracebacks.
            "django.request": {"level": "ERROR"},
            **{name: {"filters": ["without_traceback"]} for name in WITHOUT_TRACEBACK},
        },
    }
