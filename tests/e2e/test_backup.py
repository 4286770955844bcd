"""`python -m bot backup FILE` while the bot runs a session: the copy opens on its own and
holds every answer committed before it."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.e2e.helpers import onboard
from tests.e2e.person import Person
from tests.e2e.test_restart import ROOT


async def _backup(database_url: str, target: Path) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("TELEGRAM_BOT_TOKEN", None)  # (a backup needs none)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "backup", str(target), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_a_backup_during_a_session_holds_what_was_answered(
    bot: object, alex: Person, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        code, said = await _backup(database_url, tmp_path / "copy.db")
        assert code == 2 and "pg_dump" in said  # PostgreSQL has its own tool
        return
    await onboard(alex)
    await alex.press_last("Start session")
    await alex.press_last("4")
    await alex.press_last("✅ Done")  # the bridge
    target = tmp_path / "backups" / "coach.db"
    code, said = await _backup(database_url, target)
    assert code == 0 and "backed up the database to" in said
    # The bot goes on meanwhile and after.
    (step,) = (await alex.press_last("✅ Done")).messages
    assert "Exercise 2 of 6" in step.text
    assert not Path(f"{target}-wal").exists()  # one file
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT step, pain_before FROM sessions").fetchall() == [(2, 4)]
        results = copy.execute("SELECT exercise_key, outcome FROM exercise_results").fetchall()
        assert results == [("glute_hip_bridge", "done")]
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() is not None
    finally:
        copy.close()
    # A second backup to the same file is refused rather than overwriting it.
    code, said = await _backup(database_url, target)
    assert code == 2 and "exists already" in said


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///{tmp}/none.db", "sqlite+aiosqlite://"])
async def test_a_backup_of_nothing_says_why(tmp_path: Path, url: str) -> None:
    code, said = await _backup(url.format(tmp=tmp_path), tmp_path / "copy.db")
    assert code == 2 and said.startswith("error: ") and len(said.splitlines()) == 1
