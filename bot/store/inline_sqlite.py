"""SQLite through aiosqlite's API, each statement run in the event loop's own thread.

aiosqlite runs every call (a cursor, each execute, each fetch, commit, closing a cursor)
in a thread of its own and wakes the event loop with the answer: about fifteen round
trips between threads for one update of this bot, each costing more CPU than the
indexed statement it carries (bench/overhead.py). The bot's statements touch one person's
rows and take tens of microseconds, and SQLite already serves one statement at a time
(one connection per process, store/engine.py), so here they run inline. aiosqlite still
opens and closes the connection in its thread; the only part replaced is how a call is
run (`Connection._execute`), so the rest of aiosqlite and SQLAlchemy's aiosqlite dialect
are used as they are. A long statement now holds up the event loop while it runs,
where before it held up only the other statements.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def inline_connector(path: str) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: a connection to the file at `path`."""

    async def connect() -> aiosqlite.Connection:
        # (Opened in aiosqlite's thread, used in the event loop's: hence not same-thread.)
        connector = partial(sqlite3.connect, path, check_same_thread=False)
        connection = InlineConnection(connector, iter_chunk_size=64)
        # As SQLAlchemy's dialect does for aiosqlite's own connections: a connection
        # left open must not keep the process from exiting.
        connection._thread.daemon = True
        return await connection

    return connect
