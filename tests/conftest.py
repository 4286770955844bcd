"""Shared fixtures: content, a fresh database, the emulator and the running bot."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.app import build_application, load_catalog, running
from bot.catalog import Catalog
from bot.config import Settings, load_settings
from bot.emulator import ApiSpec, BotApiEmulator
from bot.programme import Programme, Safety, load_programme, load_safety
from tests.e2e.person import Person
from tests.postgres import postgres_database

TOKEN = "123:TEST"


@pytest.fixture(scope="session")
def programme() -> Programme:
    return load_programme()


@pytest.fixture(scope="session")
def safety() -> Safety:
    return load_safety()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def spec() -> ApiSpec:
    return ApiSpec()


# Every test that takes `database_url` runs on SQLite and, when TEST_DATABASE_URL names a
# reachable PostgreSQL server (`.ci/run` sets it), on PostgreSQL too.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
DATABASES = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]


def pytest_report_header() -> str:
    if TEST_DATABASE_URL:
        return "databases: SQLite and PostgreSQL (TEST_DATABASE_URL)"
    return "databases: SQLite only (set TEST_DATABASE_URL to test PostgreSQL too)"


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    # A database of its own for each test, dropped afterwards.
    async with postgres_database(TEST_DATABASE_URL) as url:
        yield url


@pytest.fixture
async def emulator(spec: ApiSpec) -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(TOKEN, spec)
    await emulator.start()
    yield emulator
    await emulator.stop()
    # Every test that talks to the emulator also checks that Telegram would have accepted
    # every request, and that no tap was left spinning.
    assert emulator.violations == []
    assert emulator.unanswered_callbacks() == []


@pytest.fixture
def settings(emulator: BotApiEmulator, database_url: str) -> Settings:
    loaded = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emulator.base_url,
            "DATABASE_URL": database_url,
            "DEFAULT_TIMEZONE": "Europe/Berlin",
        }
    )
    # Test people press the next button milliseconds after the last answer arrives, as
    # no person does: the double-tap guard would refuse them. It has tests of its own
    # (tests/e2e/test_presses.py), with the real window.
    return dataclasses.replace(loaded, double_tap_seconds=0.0)


@pytest.fixture
def quick_programme(programme: Programme) -> Programme:
    """The real programme with one-second holds, so a timer test doesn't wait 30 s."""
    return dataclasses.replace(
        programme,
        exercises=tuple(
            dataclasses.replace(e, hold_seconds=1) if e.hold_seconds else e
            for e in programme.exercises
        ),
    )


class FakeClock:
    """Real time plus an offset that a test moves forward: no test waits for real hours."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def set(self, moment: datetime) -> None:
        self.offset = moment - datetime.now(UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def bot(
    settings: Settings,
    quick_programme: Programme,
    safety: Safety,
    emulator: BotApiEmulator,
    clock: FakeClock,
) -> AsyncIterator[Any]:
    application = build_application(settings, quick_programme, safety, clock=clock)
    async with running(application):
        emulator.bot_idle.append(application.update_queue.join)
        yield application
        await emulator.release_polls()


@pytest.fixture
async def engine(database_url: str, bot: Any) -> AsyncIterator[AsyncEngine]:
    """A second connection to the bot's database, for checking what was stored."""
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def alex(emulator: BotApiEmulator) -> Person:
    return Person(emulator, 1001, "Alex")


@pytest.fixture
def log_records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog
