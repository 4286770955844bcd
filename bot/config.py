"""Settings from the environment (and a `.env` file), read and validated once."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from urllib.parse import urlsplit

from bot.coach.timezones import is_valid_zone, parse_clock_time

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/bot.db"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"


class SettingsError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    database_url: str = DEFAULT_DATABASE_URL
    default_timezone: str = "Europe/Berlin"
    reminder_times: tuple[time, time] = (time(8, 0), time(18, 0))
    log_level: str = "INFO"
    # Messages a second for the whole bot; Telegram allows about 30.
    telegram_rate_limit: float = 29.0
    # An exercise answered this soon after the step before it is a double tap that landed
    # on the next step's button (the tapped message turns into the next step): ignored.
    double_tap_seconds: float = 1.0
    # Reminders as paid broadcasts (Bot API allow_paid_broadcast: up to 1000 messages a
    # second, 0.1 Stars each; the bot must qualify): their rate, 0 for off.
    paid_broadcast_rate: float = 0.0
    # New people's default reminder times spread over this many minutes from the
    # defaults, so that a crowd does not share one minute; 0 for off.
    reminder_spread_minutes: int = 0
    # Polling mode: serve /metrics on this port (None: not served). Webhook mode serves
    # it on the webhook's port.
    metrics_port: int | None = None
    # "auto": webhook instances on PostgreSQL take their sends from one bot-wide
    # schedule in the database (store/budget.py); "on": in polling mode too; "off":
    # each process paces itself alone. (Polling is one process: Telegram gives updates
    # to one getUpdates caller, so it has no one to share with.)
    shared_rate_limit: str = "off"
    metrics_listen: str = "127.0.0.1"

    def shares_send_budget(self, *, webhook: bool) -> bool:
        return self.shared_rate_limit == "on" or (self.shared_rate_limit == "auto" and webhook)

    @property
    def reminder_rate(self) -> float:
        """Reminders a second: paid broadcasts' rate when on, else the bot's own limit."""
        return self.paid_broadcast_rate or self.telegram_rate_limit

    @property
    def telegram_file_base_url(self) -> str:
        # PTB wants the file URL separately; Telegram (and a local Bot API server) serve
        # files under /file/bot<token> beside /bot<token>.
        base = self.telegram_api_base_url
        return base[: -len("bot")] + "file/bot" if base.endswith("/bot") else base


def _reminder_times(raw: str) -> tuple[time, time]:
    parts = [part.strip() for part in raw.split(",")]
    times = [parse_clock_time(part) for part in parts]
    if len(times) != 2 or None in times or times[0] == times[1]:
        raise SettingsError(
            f"REMINDER_TIMES must be two different times of day like 08:00,18:00, not {raw!r}"
        )
    first, second = sorted(t for t in times if t is not None)
    return first, second


def load_settings(env: Mapping[str, str]) -> Settings:
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram "
            "(send it /newbot), then put TELEGRAM_BOT_TOKEN=<token> in .env or the environment."
        )
    zone = env.get("DEFAULT_TIMEZONE", "").strip() or Settings.default_timezone
    if not is_valid_zone(zone):
        raise SettingsError(
            f"DEFAULT_TIMEZONE must be an IANA time zone name like Europe/Berlin, not {zone!r}"
        )
    level = env.get("LOG_LEVEL", "").strip().upper() or Settings.log_level
    if level not in logging.getLevelNamesMapping():
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    base_url = env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL
    if not base_url.startswith(("http://", "https://")):
        raise SettingsError(
            f"TELEGRAM_API_BASE_URL must be an http(s) URL like {DEFAULT_API_BASE_URL}, "
            f"not {base_url!r}"
        )
    raw_rate = env.get("TELEGRAM_RATE_LIMIT", "").strip() or "29"
    try:
        rate = float(raw_rate)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= 1000:
        raise SettingsError(
            f"TELEGRAM_RATE_LIMIT must be messages per second between 0 and 1000, not {raw_rate!r}"
        )
    raw_double_tap = env.get("DOUBLE_TAP_SECONDS", "").strip() or str(Settings.double_tap_seconds)
    try:
        double_tap = float(raw_double_tap)
    except ValueError:
        double_tap = -1.0
    if not 0 <= double_tap <= 10:
        raise SettingsError(
            f"DOUBLE_TAP_SECONDS must be seconds between 0 and 10, not {raw_double_tap!r}"
        )
    paid_rate = _number(env, "PAID_BROADCAST_RATE", "0", 0, 1000, "messages per second")
    spread = _number(env, "REMINDER_SPREAD_MINUTES", "0", 0, 180, "whole minutes")
    if spread != int(spread):
        raise SettingsError(
            f"REMINDER_SPREAD_MINUTES must be whole minutes between 0 and 180, not {spread}"
        )
    raw_port = env.get("METRICS_PORT", "").strip()
    metrics_port = int(raw_port) if raw_port.isdigit() else None
    if raw_port and not (metrics_port and metrics_port <= 65535):
        raise SettingsError(f"METRICS_PORT must be a port between 1 and 65535, not {raw_port!r}")
    database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    on_postgres = database_url.startswith("postgresql")
    shared = env.get("SHARED_RATE_LIMIT", "").strip().lower() or "auto"
    if shared not in ("auto", "on", "off") or (shared == "on" and not on_postgres):
        raise SettingsError(
            "SHARED_RATE_LIMIT must be auto (on with PostgreSQL), on (PostgreSQL only) or "
            f"off, not {shared!r}"
        )
    return Settings(
        telegram_bot_token=token,
        telegram_api_base_url=base_url.rstrip("/"),
        database_url=database_url,
        default_timezone=zone,
        reminder_times=_reminder_times(env.get("REMINDER_TIMES", "").strip() or "08:00,18:00"),
        log_level=level,
        telegram_rate_limit=rate,
        double_tap_seconds=double_tap,
        paid_broadcast_rate=paid_rate,
        reminder_spread_minutes=int(spread),
        metrics_port=metrics_port,
        shared_rate_limit=shared if on_postgres else "off",
        metrics_listen=env.get("METRICS_LISTEN", "").strip() or Settings.metrics_listen,
    )


def _number(
    env: Mapping[str, str], name: str, default: str, low: float, high: float, unit: str
) -> float:
    raw = env.get(name, "").strip() or default
    try:
        value = float(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise SettingsError(f"{name} must be {unit} between {low:g} and {high:g}, not {raw!r}")
    return value


@dataclass(frozen=True)
class WebhookSettings:
    """For `python -m bot webhook`: where to listen, and what Telegram is told."""

    url: str  # the public HTTPS URL Telegram posts updates to
    secret: str  # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token
    listen: str = "0.0.0.0"  # behind a load balancer: every interface
    port: int = 8080

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def load_webhook_settings(env: Mapping[str, str]) -> WebhookSettings:
    url = env.get("WEBHOOK_URL", "").strip()
    # Telegram posts only to https://; a self-hosted Bot API server (and the tests'
    # emulator) may post to http:// too.
    self_hosted = env.get("TELEGRAM_API_BASE_URL", DEFAULT_API_BASE_URL) != DEFAULT_API_BASE_URL
    schemes = ("https://", "http://") if self_hosted else ("https://",)
    if not any(url.startswith(scheme) and len(url) > len(scheme) for scheme in schemes):
        raise SettingsError(
            "WEBHOOK_URL must be the public https:// URL that Telegram should post updates "
            f"to, like https://bot.example.org/telegram, not {url!r} (http:// only with a "
            "self-hosted Bot API server in TELEGRAM_API_BASE_URL)"
        )
    secret = env.get("WEBHOOK_SECRET", "").strip()
    if not _SECRET.fullmatch(secret):
        raise SettingsError(
            "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - (for example "
            "the output of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    raw_port = env.get("WEBHOOK_PORT", "").strip() or env.get("PORT", "").strip() or "8080"
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        raise SettingsError(f"WEBHOOK_PORT must be a port number, not {raw_port!r}")
    listen = env.get("WEBHOOK_LISTEN", "").strip() or WebhookSettings.listen
    return WebhookSettings(url=url, secret=secret, listen=listen, port=int(raw_port))
