"""Logging set-up. The bot token must never reach a log line."""

from __future__ import annotations

import logging
import sys

from telegram.error import InvalidToken


class RedactToken(logging.Filter):
    """Replace the token wherever it appears in a record (message, arguments, traceback).

    Request URLs carry the token, and they appear in log lines (our transport's debug
    line, httpx's) and in exceptions; filtering the formatted record catches them all.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = message.replace(self.token, "<token>")
        record.args = None
        if record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


class NoTracebackForRefusedToken(logging.Filter):
    """PTB logs a refused token with a traceback from deep inside its start-up; our one
    line after it says what to do, and the traceback adds nothing for an operator."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], InvalidToken):
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(level: str, token: str, stream: object = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(NoTracebackForRefusedToken())  # (first: the next formats tracebacks)
    handler.addFilter(RedactToken(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL (with the token) at INFO; the redaction above would
    # catch it, but one line per poll is noise an operator does not need.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Alembic says "Context impl SQLiteImpl" and each step at INFO on every start; the
    # bot's "ready" line names the database, and a refused token stays one line.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return handler
