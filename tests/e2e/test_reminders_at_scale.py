"""The remedies for a crowd on one minute (README, Reminders at scale): reminders as paid
broadcasts, and new people's default times spread over a window."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.emulator import BotApiEmulator
from bot.telegram.sweep import ReminderSweep
from tests.conftest import FakeClock
from tests.e2e.helpers import onboard, rows
from tests.e2e.person import Person
from tests.e2e.test_reminders import local_today, run_due


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, paid_broadcast_rate=1000.0, reminder_spread_minutes=30)


async def test_new_people_get_default_times_spread_over_the_window(
    bot: Any, alex: Person, engine: AsyncEngine
) -> None:
    await onboard(alex)
    (person,) = await rows(engine, "SELECT morning_reminder, evening_reminder FROM users")
    morning, evening = person["morning_reminder"], person["evening_reminder"]
    minutes = int(morning[:2]) * 60 + int(morning[3:]) - 8 * 60
    assert -15 <= minutes <= 15
    assert int(evening[:2]) * 60 + int(evening[3:]) - 18 * 60 == minutes  # moved alike
    # The person was shown the times they got, not the unspread defaults.
    assert any(f"{morning} and {evening}" in m.text for m in alex.messages)


async def test_reminders_go_as_paid_broadcasts_and_leave_old_ones_alone(
    bot: Any, alex: Person, clock: FakeClock, emulator: BotApiEmulator
) -> None:
    clock.set(local_today(clock, 6).astimezone(UTC))
    await onboard(alex)
    service: ReminderSweep = bot.bot_data["reminders"]
    assert service.paid and service.rate == 1000.0
    for hour in (8, 18):  # (the spread times are at most a quarter of an hour off)
        clock.set(local_today(clock, hour, 20).astimezone(UTC))
        await run_due(bot)
    sends = [p for m, p in emulator.requests if m == "sendMessage" and "rm:" in str(p)]
    assert len(sends) == 2
    assert all(p.get("allow_paid_broadcast") in (True, "true") for p in sends)
    # The morning one, unanswered, keeps its buttons: no edit held the batch up.
    assert not [m for m, _ in emulator.requests if m == "editMessageReplyMarkup"]
    reminders = [m for m in alex.messages if "rm:" in str(m.reply_markup)]
    assert len(reminders) == 2
