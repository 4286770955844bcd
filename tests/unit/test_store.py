"""The store on a real database file: migrations, UTC times, the compare-and-set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.coach.session import (
    Advance,
    Outcome,
    RatePain,
    Report,
    SessionState,
    advance,
    session_steps,
)
from bot.programme import Programme
from bot.store.engine import create_engine, migrate
from bot.store.models import User
from bot.store.queries import Store


def _user(telegram_id: int, created: datetime) -> User:
    return User(
        telegram_user_id=telegram_id,
        chat_id=telegram_id,
        time_zone="UTC",
        morning_reminder="08:00",
        evening_reminder="18:00",
        created_at=created,
    )


async def test_migrations_create_exactly_the_models_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    await migrate(engine)  # a second start changes nothing
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
        )
        mode = None
        if engine.dialect.name == "sqlite":
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
    await engine.dispose()
    assert diff == []
    assert mode in ("wal", None)  # WAL on SQLite; nothing to check on PostgreSQL


async def test_times_come_back_aware_in_utc(database_url: str) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    store = Store(engine)
    berlin_noon = datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    user = await store.add_user(_user(1, berlin_noon))
    loaded = await store.user(1)
    await engine.dispose()
    assert loaded is not None and loaded.id == user.id
    assert loaded.created_at == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert loaded.created_at.tzinfo is UTC


async def test_an_answer_applies_once(database_url: str, programme: Programme) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    store = Store(engine)
    now = datetime.now(UTC)
    user = await store.add_user(_user(2, now))
    assert user.id is not None
    session = await store.start_session(user.id, "2026-06-01", now)
    assert session.id is not None
    steps = session_steps(programme)
    first = advance(steps, SessionState(0), RatePain(5))
    assert isinstance(first, Advance)
    assert await store.apply(session.id, SessionState(0), first, steps[0], now)
    assert not await store.apply(session.id, SessionState(0), first, steps[0], now)
    done = advance(steps, SessionState(1), Report(Outcome.DONE))
    assert isinstance(done, Advance)
    assert await store.apply(session.id, SessionState(1), done, steps[1], now)
    assert not await store.apply(session.id, SessionState(1), done, steps[1], now)
    assert await store.outcomes(session.id) == {1: Outcome.DONE}
    # A new session marks the unfinished one abandoned: only one is ever open.
    await store.start_session(user.id, "2026-06-02", now)
    async with engine.connect() as connection:
        statuses = (await connection.execute(text("SELECT status FROM sessions ORDER BY id"))).all()
    await engine.dispose()
    assert [s[0] for s in statuses] == ["abandoned", "open"]
