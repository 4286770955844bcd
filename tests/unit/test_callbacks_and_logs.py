from __future__ import annotations

import io
import logging

import pytest

from bot.logs import configure_logging
from bot.telegram.callbacks import SessionPress, pain_button, parse_session_press, session_button


def test_session_buttons_round_trip() -> None:
    data = session_button(123456789, 12, "too_painful")
    assert len(data.encode()) <= 64
    assert parse_session_press(data) == SessionPress(123456789, 12, action="too_painful")
    assert parse_session_press(pain_button(7, 0, 10)) == SessionPress(7, 0, pain=10)


@pytest.mark.parametrize("data", ["s:1:2", "s:x:2:d", "s:1:2:z", "s:1:2:n11", "go", "s:1:-2:d"])
def test_unknown_callback_data_is_refused(data: str) -> None:
    assert parse_session_press(data) is None


def test_token_is_redacted_in_messages_arguments_and_tracebacks() -> None:
    token = "987:SECRET"
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO", token, stream)
        log = logging.getLogger("test")
        log.info("GET https://api.telegram.org/bot%s/getMe", token)
        try:
            raise RuntimeError(f"failed https://api.telegram.org/bot{token}/sendMessage")
        except RuntimeError:
            log.exception("boom")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    output = stream.getvalue()
    assert token not in output
    assert output.count("bot<token>/") == 2  # the log message and the exception in the traceback
