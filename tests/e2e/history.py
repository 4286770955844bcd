"""Past sessions written straight into the bot's database, for tests that need weeks of
history; and a whole session done through the bot, as a person would."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.coach.session import session_steps
from bot.programme import Programme
from bot.store.models import ExerciseResult, ExerciseSession
from tests.e2e.helpers import rows
from tests.e2e.person import Person


@dataclass(frozen=True)
class PastSession:
    days_ago: int
    pain_before: int
    pain_after: int
    outcome: str = "done"  # the answer to every exercise step


async def add_history(
    engine: AsyncEngine,
    programme: Programme,
    telegram_user_id: int,
    sessions: Sequence[PastSession],
    *,
    now: datetime | None = None,
    zone: str = "Europe/Berlin",
) -> None:
    (user,) = await rows(
        engine, "SELECT id FROM users WHERE telegram_user_id = :t", t=telegram_user_id
    )
    now = now or datetime.now(UTC)
    steps = [s for s in session_steps(programme) if s.exercise is not None]
    async with engine.begin() as connection:
        for past in sessions:
            # Mid-morning local time on that day, so the local date is unambiguous.
            day = (now.astimezone(ZoneInfo(zone)) - timedelta(days=past.days_ago)).date()
            started = datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo(zone))
            result = await connection.execute(
                insert(ExerciseSession).values(
                    user_id=user["id"],
                    local_date=day.isoformat(),
                    status="finished",
                    step=len(steps) + 2,
                    paused_for_pain=False,
                    pain_before=past.pain_before,
                    pain_after=past.pain_after,
                    started_at=started,
                    finished_at=started + timedelta(minutes=20),
                )
            )
            (session_id,) = result.inserted_primary_key or (None,)
            await connection.execute(
                insert(ExerciseResult),
                [
                    {
                        "session_id": session_id,
                        "step": index + 1,
                        "exercise_key": step.exercise.key if step.exercise else "",
                        "side": step.side,
                        "outcome": past.outcome,
                        "recorded_at": started + timedelta(minutes=index + 1),
                    }
                    for index, step in enumerate(steps)
                ],
            )


async def do_session(person: Person, before: str, after: str, answer: str = "✅ Done") -> str:
    """Start a session, rate pain, give every exercise the same answer; the summary."""
    await person.say("/session")
    await person.press_last(before)
    while "And now, how much pain do you have?" not in person.last.text:
        if "What would you like to do?" in person.last.text:
            await person.press_last(person.last.button_texts()[0])  # go on
            continue
        await person.press_last(answer, expect=1)
    summary = (await person.press_last(after)).messages
    return "\n\n".join(message.text for message in summary)
