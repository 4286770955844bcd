from __future__ import annotations

import os
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, SettingsError, load_settings, load_webhook_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": "1:x"})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.reminder_times == (time(8), time(18))
    assert settings.default_timezone == "Europe/Berlin"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_file_base_url == "https://api.telegram.org/file/bot"
    assert settings.double_tap_seconds == 1.0
    assert settings.paid_broadcast_rate == 0 and settings.reminder_rate == 29.0
    assert settings.reminder_spread_minutes == 0
    assert settings.metrics_port is None
    assert not settings.shares_send_budget(webhook=True)  # SQLite: one process
    on_postgres = {"TELEGRAM_BOT_TOKEN": "1:x", "DATABASE_URL": "postgresql+asyncpg://h/db"}
    auto = load_settings(on_postgres)
    assert auto.shares_send_budget(webhook=True)
    assert not auto.shares_send_budget(webhook=False)  # polling: one process
    assert load_settings({**on_postgres, "SHARED_RATE_LIMIT": "on"}).shares_send_budget(
        webhook=False
    )
    off = load_settings({**on_postgres, "SHARED_RATE_LIMIT": "off"})
    assert not off.shares_send_budget(webhook=True)


def test_values_are_read() -> None:
    settings = load_settings({
        "TELEGRAM_BOT_TOKEN": "1:x", "REMINDER_TIMES": "19:00, 07:15",
        "DEFAULT_TIMEZONE": "Asia/Tokyo", "LOG_LEVEL": "debug",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot/", "DOUBLE_TAP_SECONDS": "0",
        "PAID_BROADCAST_RATE": "1000", "REMINDER_SPREAD_MINUTES": "30",
        "METRICS_PORT": "9108", "METRICS_LISTEN": "0.0.0.0",
    })  # fmt: skip
    assert (settings.metrics_port, settings.metrics_listen) == (9108, "0.0.0.0")
    assert settings.double_tap_seconds == 0.0
    assert settings.reminder_rate == 1000.0 and settings.telegram_rate_limit == 29.0
    assert settings.reminder_spread_minutes == 30
    assert settings.reminder_times == (time(7, 15), time(19))
    assert settings.default_timezone == "Asia/Tokyo"
    assert settings.log_level == "DEBUG"
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "DEFAULT_TIMEZONE"),
        ({"REMINDER_TIMES": "08:00"}, "REMINDER_TIMES"),
        ({"REMINDER_TIMES": "08:00,25:00"}, "REMINDER_TIMES"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"TELEGRAM_API_BASE_URL": "api.telegram.org"}, "TELEGRAM_API_BASE_URL"),
        ({"DOUBLE_TAP_SECONDS": "soon"}, "DOUBLE_TAP_SECONDS"),
        ({"DOUBLE_TAP_SECONDS": "-1"}, "DOUBLE_TAP_SECONDS"),
        ({"PAID_BROADCAST_RATE": "2000"}, "PAID_BROADCAST_RATE must be messages per second"),
        ({"REMINDER_SPREAD_MINUTES": "7.5"}, "REMINDER_SPREAD_MINUTES must be whole minutes"),
        ({"REMINDER_SPREAD_MINUTES": "lots"}, "REMINDER_SPREAD_MINUTES"),
        ({"METRICS_PORT": "0"}, "METRICS_PORT must be a port"),
        ({"SHARED_RATE_LIMIT": "on"}, "SHARED_RATE_LIMIT must be auto"),  # SQLite
        ({"SHARED_RATE_LIMIT": "maybe"}, "SHARED_RATE_LIMIT must be auto"),
        ({"METRICS_PORT": "70000"}, "METRICS_PORT must be a port"),
        ({"METRICS_PORT": "nine"}, "METRICS_PORT must be a port"),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], message: str) -> None:
    full = {"TELEGRAM_BOT_TOKEN": "1:x", **env} if env else {}
    with pytest.raises(SettingsError, match=message):
        load_settings(full)


def test_no_token_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "@BotFather" in lines[0]
    assert "Traceback" not in result.stderr


def test_webhook_settings_are_checked() -> None:
    hook = load_webhook_settings(
        {"WEBHOOK_URL": "https://bot.example.org/telegram", "WEBHOOK_SECRET": "abc_DEF-1",
         "PORT": "9000"}
    )  # fmt: skip
    assert (hook.path, hook.port, hook.listen) == ("/telegram", 9000, "0.0.0.0")
    for env, named in (
        ({"WEBHOOK_SECRET": "abc"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "http://x.org/t", "WEBHOOK_SECRET": "abc"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://", "WEBHOOK_SECRET": "abc"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://x.org/t"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "https://x.org/t", "WEBHOOK_SECRET": "no spaces"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "https://x.org/t", "WEBHOOK_SECRET": "a", "WEBHOOK_PORT": "70000"},
         "WEBHOOK_PORT"),
    ):  # fmt: skip
        with pytest.raises(SettingsError, match=named):
            load_webhook_settings(env)
    # A self-hosted Bot API server may post to http://.
    local = {"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot", "WEBHOOK_SECRET": "abc"}
    assert load_webhook_settings({**local, "WEBHOOK_URL": "http://127.0.0.1:9/t"}).path == "/t"


def test_help_says_what_each_command_does(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    assert main(["--help"]) == 0
    shown = capsys.readouterr().out
    for command in ("run", "webhook", "migrate", "demo"):
        assert f"\n  {command} " in shown
    assert main(["nonsense"]) == 2
