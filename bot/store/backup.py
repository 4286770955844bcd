"""`python -m bot backup FILE`: a consistent copy of the SQLite database, while the bot runs.

A plain file copy of a database in WAL mode can miss the commits still in its `-wal`
file, or catch a page half written. SQLite's online backup API copies the database as
one transaction sees it, page by page, beside the running bot (which goes on reading and
writing: it waits at most the busy timeout for a step of the copy). The copy is a single
file, WAL content included, that opens on its own. For PostgreSQL, `pg_dump` does this
(see the README).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.store.engine import BUSY_TIMEOUT_MS

# Pages copied per step; between steps the bot's own writes go ahead.
PAGES_PER_STEP = 256


class BackupError(Exception):
    """What an operator must change for a backup to be made (said in one line)."""


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            "DATABASE_URL is not SQLite: back PostgreSQL up with pg_dump (see the README)"
        )
    if url.database in (None, "", ":memory:"):
        raise BackupError("DATABASE_URL names no SQLite file to back up")
    path = Path(url.database)
    if not path.exists():
        raise BackupError(f"there is no database at {path} yet")
    return path


def backup(database_url: str, target: Path) -> int:
    """Copy the database to `target` (which must not exist); returns its size in bytes."""
    source_path = sqlite_path(database_url)
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    timeout = BUSY_TIMEOUT_MS / 1000
    # Read-only: the backup never writes to the live database.
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=timeout)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy, pages=PAGES_PER_STEP)
            # The copy as one file (no -wal beside it), whatever its journal mode.
            copy.execute("PRAGMA journal_mode=DELETE")
            (check,) = copy.execute("PRAGMA integrity_check").fetchone()
            if check != "ok":
                raise BackupError(f"the copy failed SQLite's integrity check: {check}")
        finally:
            copy.close()
    finally:
        source.close()
    return target.stat().st_size
