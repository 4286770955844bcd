"""On PostgreSQL, the two statements a tap waits for, on asyncpg directly.

Every private update reads the person with their newest unfinished session, and every
answer in a session writes one compare-and-set: three of every four updates a person in a
session sends are those two statements and nothing else. Under the overhead benchmark
SQLAlchemy took 22% of the bot's CPU (py-spy), the bot's own lines about 5%. Measured on
PostgreSQL, 2,000 reads of the person in a row: 0.67-0.87 ms of CPU a read as an ORM
query, 0.52-0.72 ms as a Core statement on a pooled connection, 0.15-0.17 ms on a pool
of asyncpg's own, and building the two models from its row about 0.15 ms more.
(SQLAlchemy's part is its pool's check-out and return, the greenlet hop into the driver
and back, and building the result; asyncpg's pool, in turn, sends a reset query to the
server whenever a connection comes back, which these statements do not need: they leave
nothing behind on the connection.)

So on PostgreSQL the store sends these two statements here: a pool of its own (one
connection for each update handled at once, opened at start), the statements as text,
prepared once per connection by asyncpg. The rows come back as the same models the ORM
builds, through the columns' own types (`UTCDateTime`, `StateText`), so callers see no
difference; every other statement still goes through SQLAlchemy. SQLite has no round
trip to save (its statements run in the event loop's thread: `inline_sqlite.py`) and
keeps SQLAlchemy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.coach.states import UNFINISHED, SessionStatus
from bot.store.models import ExerciseSession, User

# Updates handled at once (bot.telegram.updates.MAX_CONCURRENT_UPDATES), each needing
# one connection at a time.
CONNECTIONS = 8

_USERS: Table = User.__table__  # type: ignore[attr-defined]
_SESSIONS: Table = ExerciseSession.__table__  # type: ignore[attr-defined]


def _columns(table: Table, alias: str) -> str:
    return ", ".join(f"{alias}.{column.name}" for column in table.columns)


# $1: the Telegram user id; $2, ...: the unfinished statuses (each a parameter of its
# own: with an array, asyncpg would ask the server about the array's type on every new
# connection, three more round trips).
_UNFINISHED_PARAMS = ", ".join(f"${n}" for n in range(2, 2 + len(UNFINISHED)))
_PERSON = f"""
SELECT {_columns(_USERS, "u")}, {_columns(_SESSIONS, "s")}
FROM users u
LEFT JOIN sessions s ON s.user_id = u.id AND s.status IN ({_UNFINISHED_PARAMS})
WHERE u.telegram_user_id = $1
ORDER BY s.id DESC
LIMIT 1
"""

# `Store.apply` on PostgreSQL: the compare-and-set on (step, paused_for_pain) and, only if
# it moved the session and there is a result to record ($12), the result's insert, as a
# data-modifying CTE reading the update's RETURNING; the answer is how many rows moved.
# Values left NULL keep the column as it is (a pain rating, the end of a session).
_APPLY = """
WITH moved AS (
    UPDATE sessions SET
        step = $5,
        paused_for_pain = $6,
        timer_step = NULL,
        timer_ends_at = NULL,
        answered_at = $7,
        pain_before = COALESCE($8, pain_before),
        pain_after = COALESCE($9, pain_after),
        status = COALESCE($10, status),
        finished_at = COALESCE($11, finished_at)
    WHERE id = $1 AND status = $2 AND step = $3 AND paused_for_pain = $4
    RETURNING id
), recorded AS (
    INSERT INTO exercise_results (session_id, step, exercise_key, side, outcome, recorded_at)
    SELECT id, $13, $14, $15, $16, $7 FROM moved WHERE $12
)
SELECT count(*) FROM moved
"""


async def _leave_as_is(_connection: asyncpg.Connection[asyncpg.Record]) -> None:
    """A connection coming back to the pool needs no reset: the statements here take no
    locks, set nothing and leave no transaction open (asyncpg's default reset is a round
    trip to the server each time)."""


Processor = Callable[[Any], Any] | None


def _readers(engine: AsyncEngine, table: Table) -> list[tuple[str, Processor]]:
    """Each column's name and the conversion SQLAlchemy applies to its value on the way
    out (aware UTC times, states as their enums), so that rows read here are the rows
    the ORM would build."""
    return [
        (column.name, column.type.result_processor(engine.dialect, None))
        for column in table.columns
    ]


def _build(
    readers: list[tuple[str, Processor]], record: asyncpg.Record, start: int
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for offset, (name, process) in enumerate(readers):
        value = record[start + offset]
        values[name] = process(value) if process is not None and value is not None else value
    return values


# Seconds to wait at shutdown for the connections in use to come back.
CLOSE_TIMEOUT = 5.0
# How the pool's connections show in pg_stat_activity.
APPLICATION_NAME = "glute coach: taps"


def _connect_args(engine: AsyncEngine) -> dict[str, Any]:
    """asyncpg's arguments for the engine's URL, as SQLAlchemy's dialect reads it (host,
    user, ssl, ...), less what only SQLAlchemy's adapter takes."""
    _args, connect = engine.dialect.create_connect_args(engine.url)
    for adapter_only in ("prepared_statement_name_func", "async_creator_fn"):
        connect.pop(adapter_only, None)
    cache_size = connect.pop("prepared_statement_cache_size", None)
    if cache_size is not None:  # (the same setting, asyncpg's name)
        connect["statement_cache_size"] = int(cache_size)
    settings = connect.pop("server_settings", None) or {}
    connect["server_settings"] = {"application_name": APPLICATION_NAME, **settings}
    return dict(connect)


class HotStatements:
    def __init__(self, engine: AsyncEngine) -> None:
        self._connect = _connect_args(engine)
        self._users = _readers(engine, _USERS)
        self._sessions = _readers(engine, _SESSIONS)
        self._unfinished = [status.value for status in UNFINISHED]
        self._pool: asyncpg.Pool[asyncpg.Record] | None = None
        self._opening = asyncio.Lock()
        self._closed = False

    @property
    def pool(self) -> asyncpg.Pool[asyncpg.Record] | None:
        """The connections these statements go to, once opened."""
        return self._pool

    async def open(self) -> None:
        """Open every connection now (at start), not while a tap waits for one: a new
        connection costs tens of milliseconds, and right after a start, when everyone
        resumes at once, each of the first few updates would wait for one."""
        await self._connections()

    async def _connections(self) -> asyncpg.Pool[asyncpg.Record]:
        if self._pool is None:
            if self._closed:
                raise RuntimeError("the store was closed")
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        min_size=CONNECTIONS,
                        max_size=CONNECTIONS,
                        reset=_leave_as_is,
                        # Kept open when idle (asyncpg closes them after 5 minutes), as
                        # SQLAlchemy's pool does: the first tap after a quiet spell would
                        # wait for a new connection.
                        max_inactive_connection_lifetime=0,
                        **self._connect,
                    )
        return self._pool

    async def person(self, telegram_user_id: int) -> tuple[User, ExerciseSession | None] | None:
        """The person's row and their newest unfinished session (None before /start)."""
        # (A connection PostgreSQL closed, in a restart say, is seen closed by asyncpg and
        # replaced when it is next taken from the pool: tested in test_store.py.)
        pool = await self._connections()
        async with pool.acquire() as connection:
            record = await connection.fetchrow(_PERSON, telegram_user_id, *self._unfinished)
        if record is None:
            return None
        # (New objects rather than loaded ones: read, never added to an ORM session,
        # where they would be inserted.)
        user = User(**_build(self._users, record, 0))
        session_values = _build(self._sessions, record, len(self._users))
        session = ExerciseSession(**session_values) if session_values["id"] is not None else None
        return user, session

    async def apply(self, params: Mapping[str, Any]) -> bool:
        """`Store.apply`'s write in one statement, atomic on its own (no transaction)."""
        status, now = params["status"], params["now"]
        # (asyncpg would take a naive time as the server machine's local time; the ORM's
        # column type refuses one, and so does this.)
        if now.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        pool = await self._connections()
        async with pool.acquire() as connection:
            moved = await connection.fetchval(
                _APPLY,
                params["session_id"],
                SessionStatus.OPEN.value,
                params["seen_step"],
                params["seen_paused"],
                params["step"],
                params["paused"],
                now,
                params["pain_before"],
                params["pain_after"],
                None if status is None else status.value,
                params["finished_at"],
                params["record"],
                params["result_step"],
                params["exercise_key"],
                params["side"],
                params["outcome"].value,
            )
        return bool(moved)

    async def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                # (It waits for every connection to come back: not for ever, at shutdown.)
                await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT)
            except TimeoutError:
                pool.terminate()
