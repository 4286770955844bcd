"""The async engine and applying migrations at start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.inline_sqlite import inline_connector

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# How long SQLite lets a writer wait for another connection's write to end.
BUSY_TIMEOUT_MS = 5000


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; a crash never leaves a torn write.
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL loses no committed data when the process is killed (only, at worst,
    # the last commits on a power cut) and spares an fsync per commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def create_engine(database_url: str) -> AsyncEngine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url)
    options: dict[str, Any] = {}
    if url.database not in (None, "", ":memory:"):
        # One connection for the whole process. SQLite lets one writer in at a time, and
        # an async transaction stays open across turns of the event loop: with several
        # connections, people's updates handled side by side made writers wait on each
        # other inside SQLite, past the busy timeout under load ("database is locked").
        # With one, statements queue here, in the event loop, in the order they came;
        # each is a few milliseconds. (The busy timeout still covers other processes,
        # such as a backup, opening the same file.)
        # Every use of the connection ends its own transaction (a session's close rolls
        # back, `begin()` commits or rolls back), so the pool's extra rollback on return
        # would only add a round trip to aiosqlite's thread per call.
        options = {"pool_size": 1, "max_overflow": 0, "pool_reset_on_return": None}
        options["async_creator"] = inline_connector(url.database)
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    return engine


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to the newest migration (or `revision`), in this process, on this
    engine."""

    def upgrade(connection: Connection) -> None:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as connection:
        if sqlite:
            # Alembic changes SQLite tables by copying them into new ones and dropping the
            # old: with foreign keys on, dropping `users` would cascade and delete every
            # session and check-in. The pragma only works outside a transaction, which
            # the driver has not begun yet for a pragma.
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            await connection.run_sync(upgrade)
            await connection.commit()
        except BaseException:
            await connection.rollback()
            raise
        finally:
            if sqlite:
                await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
