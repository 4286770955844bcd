"""People written straight into the tables, for benchmarks and tests: set up, with or
without a reminder due. (The bot itself never uses this; it adds people through /start.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.coach.states import AwaitingText, Onboarding, RedFlagAnswer
from bot.store.models import User


def person_row(
    telegram_user_id: int,
    *,
    created_at: datetime,
    due_at: datetime | None = None,
    reminders_on: bool = True,
    first_name: str = "P",
) -> dict[str, Any]:
    """A person who finished set-up (Berlin, 08:00 and 18:00), their chat id equal to
    their user id; with `due_at`, their next reminder is a morning one due then."""
    return {
        "telegram_user_id": telegram_user_id,
        "chat_id": telegram_user_id,
        "first_name": first_name,
        "time_zone": "Europe/Berlin",
        "morning_reminder": "08:00",
        "evening_reminder": "18:00",
        "onboarding": Onboarding.DONE,
        "awaiting_text": AwaitingText.NOTHING,
        "red_flags": RedFlagAnswer.NONE,
        "created_at": created_at,
        "active": True,
        "reminders_on": reminders_on,
        "next_reminder_at": due_at,
        "next_reminder_slot": "morning" if due_at else None,
        "next_reminder_date": due_at.date().isoformat() if due_at else None,
    }


async def insert_people(
    engine: AsyncEngine, rows: Sequence[dict[str, Any]], chunk: int = 5000
) -> None:
    """Insert `person_row`s in chunks (one statement for 100,000 rows is too big)."""
    async with engine.begin() as connection:
        for start in range(0, len(rows), chunk):
            await connection.execute(insert(User), list(rows[start : start + chunk]))
