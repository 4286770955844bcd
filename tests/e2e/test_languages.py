"""A second language is a folder of Fluent files: the person's Telegram language picks it,
and anything it does not translate comes in English. No code changes."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.app import build_application, load_catalog, running
from bot.catalog import LOCALES_DIR
from bot.config import Settings
from bot.emulator import BotApiEmulator
from bot.programme import Programme, Safety
from tests.conftest import FakeClock
from tests.e2e.helpers import rows
from tests.e2e.person import Person

# A test-only translation of three messages (German).
GERMAN = """
hello-send-start = Hallo! Schick /start, um anzufangen.
hello-named = Hallo { $name }!
unknown-command = Diesen Befehl kenne ich nicht. /help zeigt, was ich kann.
"""


@pytest.fixture
async def bilingual_bot(
    tmp_path: Path,
    settings: Settings,
    programme: Programme,
    safety: Safety,
    emulator: BotApiEmulator,
    clock: FakeClock,
) -> AsyncIterator[Any]:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    (locales / "de").mkdir()
    (locales / "de" / "test.ftl").write_text(GERMAN, encoding="utf-8")
    application = build_application(
        settings, programme, safety, clock=clock, catalog=load_catalog(locales)
    )
    async with running(application):
        emulator.bot_idle.append(application.update_queue.join)
        yield application
        await emulator.release_polls()


async def test_the_persons_language_picks_the_catalog(
    bilingual_bot: object, emulator: BotApiEmulator, database_url: str
) -> None:
    jonas = Person(emulator, 2001, "Jonas", language_code="de-AT")
    alex = Person(emulator, 2002, "Alex", language_code="en")
    nobody = Person(emulator, 2003, "Sam")

    (reply,) = await jonas.say("hallo")
    assert reply.text == "Hallo! Schick /start, um anzufangen."
    (reply,) = await alex.say("hello")
    assert reply.text == "Hello! Send /start to begin."
    (reply,) = await nobody.say("hi")
    assert reply.text == "Hello! Send /start to begin."

    welcome, question = await jonas.say("/start", expect=2)
    assert welcome.text.startswith("Hallo Jonas! I'm your exercise coach")  # the rest: English
    assert "Safety first" in question.text
    (reply,) = await jonas.say("/nonsense")
    assert reply.text.startswith("Diesen Befehl kenne ich nicht.")

    # The language is kept for what is sent without an update (reminders, timers).
    engine_rows = await _users(database_url)
    assert engine_rows == [{"telegram_user_id": 2001, "language": "de-AT"}]
    # The command menu is set for each language of the catalog (Telegram picks by the
    # person's language); "de" falls back to English words where it has none.
    menus = [params.get("language_code") for method, params in emulator.requests
             if method == "setMyCommands"]  # fmt: skip
    assert sorted(map(str, menus)) == ["None", "de"]


async def _users(database_url: str) -> list[dict[str, Any]]:
    engine: AsyncEngine = create_async_engine(database_url)
    try:
        return await rows(engine, "SELECT telegram_user_id, language FROM users")
    finally:
        await engine.dispose()
