"""Two instances of the bot on one PostgreSQL database: every reminder goes out once."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

import pytest

from bot.app import build_application, running
from bot.config import Settings
from bot.emulator import BotApiEmulator
from bot.programme import Programme, Safety
from bot.store.engine import create_engine
from tests.e2e.helpers import rows
from tests.e2e.test_reminder_restart import PEOPLE, prefill, reminders_per_person


async def test_two_instances_send_each_reminder_exactly_once(
    emulator: BotApiEmulator,
    database_url: str,
    settings: Settings,
    quick_programme: Programme,
    safety: Safety,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances need PostgreSQL; SQLite is one process by design")
    await prefill(database_url, emulator)
    instances = [build_application(settings, quick_programme, safety) for _ in range(2)]
    async with AsyncExitStack() as stack:
        for instance in instances:  # one after the other: the second finds the schema made
            await stack.enter_async_context(running(instance))
        deadline = time.monotonic() + 60
        while len(reminders_per_person(emulator)) < PEOPLE:
            assert time.monotonic() < deadline, "not every reminder arrived"
            await asyncio.sleep(0.1)
        # Both instances swept at least once more after the batch was claimed.
        await asyncio.sleep(1.5)
        await emulator.release_polls()
    counts = reminders_per_person(emulator)
    assert len(counts) == PEOPLE and set(counts.values()) == {1}
    reports = [instance.bot_data["reminders"].last_report for instance in instances]
    assert sorted(report.sent if report else 0 for report in reports) == [0, PEOPLE]
    engine = create_engine(database_url)
    try:
        statuses = await rows(
            engine, "SELECT status, count(*) AS n FROM reminder_deliveries GROUP BY status"
        )
    finally:
        await engine.dispose()
    assert statuses == [{"status": "sent", "n": PEOPLE}]
