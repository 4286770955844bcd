"""A database created by the first released schema (migration 0001) is upgraded in place
with every row kept, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.store.engine import create_engine, migrate
from bot.store.models import UTCDateTime
from bot.store.queries import Store
from bot.store.records import RecordStore
from bot.store.reminders import ReminderStore

NOON = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)

# The 0001 tables as they were, written without today's models.
OLD_USERS = sa.table(
    "users",
    *(sa.column(name) for name in ("id", "telegram_user_id", "chat_id", "first_name")),
    *(sa.column(name) for name in ("time_zone", "morning_reminder", "evening_reminder")),
    *(sa.column(name) for name in ("onboarding", "awaiting_text", "red_flags")),
    sa.column("red_flags_answered_at", UTCDateTime()),
    sa.column("created_at", UTCDateTime()),
)
OLD_SESSIONS = sa.table(
    "sessions",
    *(sa.column(name) for name in ("id", "user_id", "local_date", "status", "step")),
    sa.column("paused_for_pain", sa.Boolean()),
    *(sa.column(name) for name in ("pain_before", "pain_after", "timer_step")),
    sa.column("started_at", UTCDateTime()),
    sa.column("finished_at", UTCDateTime()),
    sa.column("timer_ends_at", UTCDateTime()),
)
OLD_RESULTS = sa.table(
    "exercise_results",
    *(sa.column(name) for name in ("id", "session_id", "step", "exercise_key", "side")),
    sa.column("outcome"),
    sa.column("recorded_at", UTCDateTime()),
)
OLD_CHECKINS = sa.table(
    "pain_checkins",
    *(sa.column(name) for name in ("id", "user_id", "message_id", "score")),
    sa.column("recorded_at", UTCDateTime()),
)


async def test_the_first_schema_is_upgraded_with_every_row_kept(database_url: str) -> None:
    engine = create_engine(database_url)
    await migrate(engine, "0001")
    async with engine.begin() as connection:
        await connection.execute(
            OLD_USERS.insert(),
            [
                {"id": n, "telegram_user_id": 1000 + n, "chat_id": 1000 + n,
                 "first_name": f"P{n}", "time_zone": "Europe/Berlin",
                 "morning_reminder": "07:30", "evening_reminder": "19:00",
                 "onboarding": "done", "awaiting_text": "", "red_flags": "none",
                 "red_flags_answered_at": NOON, "created_at": NOON}
                for n in (1, 2)
            ],
        )  # fmt: skip
        await connection.execute(
            OLD_SESSIONS.insert(),
            [{"id": 10, "user_id": 1, "local_date": "2026-03-01", "status": "finished",
              "step": 13, "paused_for_pain": False, "pain_before": 6, "pain_after": 4,
              "timer_step": None, "started_at": NOON,
              "finished_at": NOON + timedelta(minutes=20), "timer_ends_at": None}],
        )  # fmt: skip
        await connection.execute(
            OLD_RESULTS.insert(),
            [{"id": 100 + step, "session_id": 10, "step": step, "exercise_key": f"e{step}",
              "side": "left" if step % 2 else None, "outcome": "done",
              "recorded_at": NOON + timedelta(minutes=step)}
             for step in range(1, 12)],
        )  # fmt: skip
        await connection.execute(
            OLD_CHECKINS.insert(),
            [{"id": 1, "user_id": 2, "message_id": 55, "score": 3, "recorded_at": NOON}],
        )

    await migrate(engine)

    store = Store(engine)
    first = await store.user(1001)
    assert first is not None
    assert (first.first_name, first.morning_reminder, first.evening_reminder) == (
        "P1", "07:30", "19:00",
    )  # fmt: skip
    assert first.created_at == NOON and first.red_flags_answered_at == NOON
    # New columns get the values an old user should have: reachable, reminders on,
    # nothing scheduled yet (the sweep schedules them), progression not offered.
    assert (first.active, first.reminders_on) == (True, True)
    assert first.next_reminder_at is None and first.progression_offered_at is None
    assert {u.telegram_user_id for u in await ReminderStore(store).unscheduled()} == {1001, 1002}
    records = RecordStore(store, exercise_steps=11)
    (session,) = await records.sessions(1)
    assert (session.pain_before, session.pain_after, session.done, session.finished) == (
        6, 4, 11, True,
    )  # fmt: skip
    results, pains = await records.everything(1)
    assert sorted((r.exercise_key, r.side) for r in results) == sorted(
        (f"e{step}", "left" if step % 2 else None) for step in range(1, 12)
    )
    assert sorted((p.moment, p.score) for p in pains) == [("after", 4), ("before", 6)]
    _, checkins = await records.everything(2)
    assert [(p.moment, p.score, p.recorded_at) for p in checkins] == [("check-in", 3, NOON)]
    await engine.dispose()
