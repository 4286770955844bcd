"""The store on a real database file: migrations, UTC times, the compare-and-set."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError, StatementError
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
from bot.coach.states import DeliveryStatus, SessionStatus
from bot.programme import Programme
from bot.store import engine as engine_module
from bot.store.engine import create_engine, migrate
from bot.store.hot_pg import APPLICATION_NAME, CONNECTIONS
from bot.store.models import ReminderDelivery, User
from bot.store.queries import Seen, Store, UserChanges
from bot.store.reminders import ReminderStore, SentBook, SentReminder
from bot.telegram.updates import MAX_CONCURRENT_UPDATES


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
    assert await store.apply(session.id, SessionState(0), first, now)
    assert not await store.apply(session.id, SessionState(0), first, now)
    done = advance(steps, SessionState(1), Report(Outcome.DONE))
    assert isinstance(done, Advance)
    later = now + timedelta(minutes=1)
    assert await store.apply(session.id, SessionState(1), done, later)
    assert not await store.apply(session.id, SessionState(1), done, later)
    assert await store.outcomes(session.id) == {1: Outcome.DONE}
    # What was written: the rating kept when the next answer gives none, the step moved,
    # the time of the last answer, the result's exercise and side, nothing finished yet.
    stored = await store.session(session.id)
    assert stored is not None
    assert (stored.step, stored.pain_before, stored.pain_after) == (2, 5, None)
    assert (stored.status, stored.finished_at) == (SessionStatus.OPEN, None)
    assert stored.answered_at == later
    (result,) = await store.results(session.id)
    exercise = steps[1].exercise
    assert exercise is not None
    assert (result.exercise_key, result.side, result.recorded_at) == (
        exercise.key,
        steps[1].side,
        later,
    )
    # A naive time is refused, on either path (SQLAlchemy wraps the column type's error).
    with pytest.raises((ValueError, StatementError), match="naive datetime"):
        await store.apply(session.id, SessionState(2), done, datetime(2026, 6, 1, 8, 0))
    # A new session marks the unfinished one abandoned: only one is ever open.
    await store.start_session(user.id, "2026-06-02", now)
    async with engine.connect() as connection:
        statuses = (await connection.execute(text("SELECT status FROM sessions ORDER BY id"))).all()
    await store.close()
    await engine.dispose()
    assert [s[0] for s in statuses] == ["abandoned", "open"]


async def test_user_seen_reads_the_person_and_their_newest_unfinished_session(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    store = Store(engine)
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert await store.user_seen(99, "en") == Seen(None, None, False)  # not started yet
    user = await store.add_user(_user(7, now))
    other = await store.add_user(_user(8, now))
    assert user.id is not None and other.id is not None
    assert await store.user_seen(7, "") == Seen(user, None, False)
    done = await store.start_session(user.id, "2026-05-31", now - timedelta(days=1))
    assert done.id is not None
    await store.set_session_status(done.id, SessionStatus.FINISHED, was=SessionStatus.OPEN)
    await store.start_session(other.id, "2026-06-01", now)  # someone else's
    seen = await store.user_seen(7, "")
    assert seen.person == user and seen.unfinished is None  # a finished session is not unfinished
    today = await store.start_session(user.id, "2026-06-01", now)
    unfinished = (await store.user_seen(7, "")).unfinished
    assert unfinished is not None and unfinished.id == today.id
    await store.set_session_status(today.id or 0, SessionStatus.LEFT, was=SessionStatus.OPEN)
    unfinished = (await store.user_seen(7, "")).unfinished
    assert unfinished is not None and (unfinished.id, unfinished.status) == (today.id, "left")
    # The same values and types as the ORM reads them (on PostgreSQL the read skips it).
    assert _fields(unfinished) == _fields(await store.session(today.id or 0))
    assert _fields((await store.user_seen(7, "")).person) == _fields(await store.user(7))
    assert unfinished.status is SessionStatus.LEFT and unfinished.started_at.tzinfo is UTC
    # Someone marked unreachable is reachable again once they write, exactly once.
    await ReminderStore(store).set_active(user.id, False)
    seen = await store.user_seen(7, "")
    assert seen.person is not None and seen.person.active and seen.reactivated
    assert (await store.user_seen(7, "")).reactivated is False
    # The language Telegram reports is kept when it changes (reminders are sent in it).
    assert (await store.user_seen(7, "de")).person.language == "de"  # type: ignore[union-attr]
    assert (await store.user(7)).language == "de"  # type: ignore[union-attr]
    assert (await store.user_seen(7, "")).person.language == "de"  # type: ignore[union-attr]
    await store.close()
    await engine.dispose()


async def test_the_taps_pool_takes_the_database_url_s_options(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the read and write of a tap skip SQLAlchemy on PostgreSQL only")
    # An option of SQLAlchemy's asyncpg adapter (asyncpg itself names it otherwise).
    engine = create_engine(f"{database_url}?prepared_statement_cache_size=0")
    await migrate(engine)
    store = Store(engine)
    await store.open()
    await store.add_user(_user(12, datetime.now(UTC)))
    seen = await store.user_seen(12, "")
    await store.close()
    await engine.dispose()
    assert seen.person is not None and seen.person.telegram_user_id == 12


async def test_the_taps_pool_gets_over_a_restart_of_postgresql(
    database_url: str, programme: Programme
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the read and write of a tap skip SQLAlchemy on PostgreSQL only")
    engine = create_engine(database_url)
    await migrate(engine)
    store = Store(engine)
    await store.open()
    now = datetime.now(UTC)
    user = await store.add_user(_user(11, now))
    session = await store.start_session(user.id or 0, "2026-06-01", now)
    # PostgreSQL closes every connection of the taps' pool, as a restart would.
    ended = text(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
        " WHERE application_name = :name AND datname = current_database()"
    )
    async with engine.connect() as connection:
        assert await connection.scalar(ended, {"name": APPLICATION_NAME}) == CONNECTIONS
    seen = await store.user_seen(11, "")  # on a new connection
    assert seen.person is not None and seen.person.id == user.id
    assert seen.unfinished is not None and seen.unfinished.id == session.id
    # And the write that follows, on another.
    first = advance(session_steps(programme), SessionState(0), RatePain(3))
    assert isinstance(first, Advance)
    assert await store.apply(session.id or 0, SessionState(0), first, now)
    await store.close()
    await engine.dispose()


def test_the_taps_pool_has_a_connection_for_each_update_handled_at_once() -> None:
    # Fewer, and updates would wait for one; more would sit idle on the server.
    assert CONNECTIONS == MAX_CONCURRENT_UPDATES


def _fields(row: SQLModel | None) -> dict[str, tuple[type, Any]]:
    assert row is not None
    return {name: (type(value), value) for name, value in row.model_dump().items()}


async def test_sqlite_writers_queue_in_the_process_not_in_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Updates handled side by side may both write while one's transaction is open across
    turns of the event loop. The second waits its turn in the process, however long the
    first takes; inside SQLite it would give up after the busy timeout ("database is
    locked", seen under load with a connection per update)."""
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 50)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await migrate(engine)
    store = Store(engine)
    first = await store.add_user(_user(1, datetime(2026, 6, 1, tzinfo=UTC)))
    second = await store.add_user(_user(2, datetime(2026, 6, 1, tzinfo=UTC)))
    assert first.id is not None and second.id is not None
    order: list[str] = []

    async def slow_writer() -> None:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE users SET first_name = 'slow' WHERE id = :id"), {"id": first.id}
            )
            await asyncio.sleep(0.3)  # six busy timeouts
            order.append("slow committed")

    async def other_writer() -> None:
        await asyncio.sleep(0.05)  # once the slow writer holds SQLite's write lock
        await store.update_user(second.id, UserChanges(time_zone="Europe/Paris"))
        order.append("other committed")

    await asyncio.gather(slow_writer(), other_writer())
    names = [(await store.user(1)), (await store.user(2))]
    await engine.dispose()
    assert order == ["slow committed", "other committed"]
    assert [(u.first_name, u.time_zone) for u in names if u] == [
        ("slow", "UTC"),
        ("", "Europe/Paris"),
    ]


async def test_the_webhook_ledger_tells_new_done_and_busy_apart(database_url: str) -> None:
    from bot.store.ledger import KEEP_FOR, TAKEN_FOR, Taken, UpdateLedger

    engine = create_engine(database_url)
    await migrate(engine)
    ledger = UpdateLedger(Store(engine))
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert await ledger.take(1, now) is Taken.NEW
    assert await ledger.take(1, now) is Taken.BUSY  # in hand (here or at another instance)
    await ledger.finish(1, now)
    assert await ledger.take(1, now + timedelta(hours=1)) is Taken.DONE
    # Taken and never finished: its instance died; after TAKEN_FOR someone takes it over.
    assert await ledger.take(2, now) is Taken.NEW
    assert await ledger.take(2, now + TAKEN_FOR / 2) is Taken.BUSY
    later = now + TAKEN_FOR + timedelta(seconds=1)
    assert await ledger.take(2, later) is Taken.NEW
    assert await ledger.take(2, later) is Taken.BUSY  # once
    assert await ledger.forget_before(now + KEEP_FOR) == 2
    await engine.dispose()


async def test_sent_reminders_are_written_down_together(database_url: str) -> None:
    """The sweep writes sent reminders in one statement (SentBook): until then they are
    still pending, and then they are sent and the ones they replaced are missed."""
    engine = create_engine(database_url)
    await migrate(engine)
    store = Store(engine)
    reminders = ReminderStore(store)
    due = datetime(2026, 6, 2, 8, tzinfo=UTC)
    people = [await store.add_user(_user(n, due - timedelta(days=1))) for n in (1, 2)]
    today = [
        ReminderDelivery(user_id=p.id or 0, slot="morning", local_date="2026-06-02", due_at=due)
        for p in people
    ]
    yesterday = ReminderDelivery(
        user_id=people[0].id or 0, slot="evening", local_date="2026-06-01",
        due_at=due - timedelta(hours=14), status=DeliveryStatus.SENT, message_id=5,
    )  # fmt: skip
    async with store.db() as db:
        db.add_all([*today, yesterday])
        await db.commit()
        ids = [row.id or 0 for row in today]
        replaced = yesterday.id or 0
    book = SentBook(reminders, every=60.0)
    await book.add(SentReminder(ids[0], 10, due), [replaced])
    await book.add(SentReminder(ids[1], 11, due + timedelta(seconds=1)), [])
    # The first was sent less than `every` ago: not written yet.
    assert {r.delivery_id for r in await reminders.pending(due, 10)} == set(ids)
    await book.write()
    assert await reminders.pending(due, 10) == []
    written = [await reminders.delivery(i) for i in [*ids, replaced]]
    assert [(d.status, d.message_id) for d in written if d] == [
        (DeliveryStatus.SENT, 10),
        (DeliveryStatus.SENT, 11),
        (DeliveryStatus.MISSED, 5),
    ]
    assert written[1] is not None and written[1].sent_at == due + timedelta(seconds=1)
    await book.write()  # nothing new: nothing happens
    # Written by itself `every` seconds after the first, with no sender asking.
    later = ReminderDelivery(
        user_id=people[1].id or 0, slot="evening", local_date="2026-06-02", due_at=due
    )
    async with store.db() as db:
        db.add(later)
        await db.commit()
        later_id = later.id or 0
    book.every = 0.05
    await book.add(SentReminder(later_id, 12, due), [])
    await asyncio.sleep(0.3)
    written_later = await reminders.delivery(later_id)
    assert written_later is not None and written_later.status == DeliveryStatus.SENT
    # At a stop, what is left is written at once, before the engine goes.
    last = ReminderDelivery(
        user_id=people[0].id or 0, slot="evening", local_date="2026-06-02", due_at=due
    )
    async with store.db() as db:
        db.add(last)
        await db.commit()
        last_id = last.id or 0
    book.every = 60.0
    await book.add(SentReminder(last_id, 13, due), [])
    await book.close()
    written_last = await reminders.delivery(last_id)
    assert written_last is not None and written_last.status == DeliveryStatus.SENT
    await engine.dispose()


async def test_sqlite_statements_run_in_the_event_loop_s_thread(tmp_path: Path) -> None:
    """store/inline_sqlite.py: no round trip to aiosqlite's thread for each call."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    threads: list[int] = []

    def whose_thread() -> int:
        threads.append(threading.get_ident())
        return 1

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("whose_thread", 0, whose_thread)

    event.listen(engine.sync_engine, "connect", on_connect)
    await migrate(engine)
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT whose_thread()"))).scalar() == 1
        # Errors come back as SQLAlchemy's, as they did through aiosqlite's thread.
        with pytest.raises(OperationalError, match="no such table"):
            await connection.execute(text("SELECT * FROM no_such_table"))
    await engine.dispose()
    assert threads == [threading.get_ident()]
