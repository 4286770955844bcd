"""One send budget for every instance: Telegram's limit is the bot's, not a process's.

With N webhook instances each pacing itself at 29 a second, together they would send up
to 29N and meet 429s. On PostgreSQL they share one schedule instead, a single row
(`send_budget.next_slot`): the generic cell rate algorithm, as a row. A message may go
at `next_slot` or now, whichever is later, and moves it on by one interval: 1/27 s for
the default limit of 29 (`spaced_rate`). So messages leave at least that far apart
bot-wide, no second holds more than 28 of them at their slots, and 31 in a row take 111
ms more than the second in which Telegram allows 30. A reply takes the next slot,
waiting for it if it is in the future; a reminder takes a slot only when the schedule
is free at once, so replies queued by any instance go first and reminders fill the
gaps. A 429 moves the slot past its retry_after for everyone.

The database's clock (`clock_timestamp()`) is the only clock, so instances' clocks may
differ. A slot is a moment: a process whose event loop was busy past it takes another
rather than send late, together with the messages whose slots came after (ratelimit.py;
without that, 1-6 of 2,500 messages met a 429 in bench/instances.py, with it none).
Each instance keeps one connection of its own for this (a statement a message, about a
tenth of a millisecond of the server's time), so that sends never wait for the pool the
handlers use. If the database cannot be asked (2 s at most), the instance falls back to its
own pacing (bot/telegram/ratelimit.py), says so once in the log, and asks again after
5 s rather than at every message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import NamedTuple

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

# Seconds: how long one question may take, and how long a failing database is left alone.
ASK_TIMEOUT = 2.0
RETRY_AFTER = 5.0

# Seconds to wait from now for the slot taken ($1: the interval).
_TAKE = """
UPDATE send_budget
SET next_slot = GREATEST(next_slot, clock_timestamp()) + $1 * interval '1 second'
WHERE id = 1
RETURNING EXTRACT(EPOCH FROM next_slot - clock_timestamp())::float8 - $1
"""
# The same, only if the schedule is free now (a reminder in a gap); no row otherwise.
_TAKE_IF_FREE = _TAKE.replace("WHERE id = 1", "WHERE id = 1 AND next_slot <= clock_timestamp()")
_PAUSE = """
UPDATE send_budget
SET next_slot = GREATEST(next_slot, clock_timestamp() + $1 * interval '1 second')
WHERE id = 1
"""
_ENSURE_ROW = """
INSERT INTO send_budget (id, next_slot) VALUES (1, clock_timestamp()) ON CONFLICT DO NOTHING
"""


def spaced_rate(rate: float) -> float:
    """The schedule's rate: two a second under the limit set (27 for 29), from 4 up.

    Evenly at 29 a second, 31 requests in a row take 30/29 s: only 34 ms more than the
    second in which Telegram allows 30, and a request that reaches it that much late
    after an earlier one on time, or early, meets a 429 (the network does that, and in
    the tests a busy event loop: one run in about fifteen). At 28 the room was 71 ms,
    and CI still met one such 429 in a few runs; at 27 it is 111 ms."""
    return rate - 2 if rate >= 4 else rate


class Slot(NamedTuple):
    """A slot of the shared schedule: the seconds to wait for it (0 or more), counted
    from when the database answered, and the monotonic time the question was sent
    (after waiting for the connection). The slot is at least `asked_at + wait`, so a
    request can tell how late it is even when the answer itself came back late."""

    wait: float
    asked_at: float


class _Asked:
    at = 0.0


class SharedBudget:
    def __init__(self, database_url: str, rate: float) -> None:
        self._url = make_url(database_url)
        self.interval = 1.0 / spaced_rate(rate)
        self._connection: asyncpg.Connection[asyncpg.Record] | None = None
        self._lock = asyncio.Lock()
        self._failing = False
        self._retry_at = 0.0  # while failing, the database is not asked again before this

    async def take(self, *, reply: bool) -> Slot | None:
        """Take the next slot, or None for a reminder when the schedule is not free now,
        or when the database can't be asked (then the caller paces on its own)."""
        asked = _Asked()
        wait = await self._ask(_TAKE if reply else _TAKE_IF_FREE, self.interval, asked)
        return None if not isinstance(wait, float) else Slot(max(0.0, wait), asked.at)

    async def pause(self, seconds: float) -> None:
        """Nobody sends for `seconds` (Telegram's retry_after)."""
        await self._ask(_PAUSE, seconds)

    @property
    def reachable(self) -> bool:
        return not self._failing

    async def _ask(self, statement: str, value: float, asked: _Asked | None = None) -> object:
        async with self._lock:
            if self._failing and time.monotonic() < self._retry_at:
                return None  # (a database that is down must not hold up every message)
            try:
                if self._connection is None or self._connection.is_closed():
                    url = self._url
                    self._connection = await asyncpg.connect(
                        host=url.host or "127.0.0.1",
                        port=url.port or 5432,
                        user=url.username,
                        password=url.password,
                        database=url.database,
                        timeout=ASK_TIMEOUT,
                    )
                    await self._connection.execute(_ENSURE_ROW)
                if asked is not None:
                    asked.at = time.monotonic()
                answer = await self._connection.fetchval(statement, value, timeout=ASK_TIMEOUT)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                if not self._failing:
                    log.warning("the shared send budget can't be reached (%s): pacing alone", error)
                self._failing = True
                self._retry_at = time.monotonic() + RETRY_AFTER
                await self._drop()
                return None
            if self._failing:
                log.info("the shared send budget is back")
                self._failing = False
            return answer

    async def _drop(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await connection.close(timeout=1)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                connection.terminate()

    async def close(self) -> None:
        async with self._lock:
            await self._drop()
