"""The bot is killed (SIGKILL) in the middle of a batch of 500 due reminders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.emulator import BotApiEmulator
from bot.store.engine import create_engine, migrate
from bot.store.seed import insert_people, person_row
from bot.telegram.sweep import SENDERS, senders_for
from tests.conftest import TOKEN
from tests.e2e.helpers import rows, wait_until
from tests.e2e.test_restart import ROOT

PEOPLE = 500
RATE = 300  # a second: faster than Telegram allows, so the test takes seconds, not minutes


async def prefill(database_url: str, emulator: BotApiEmulator) -> None:
    """500 people set up, each with a reminder that fell due half a minute ago."""
    engine = create_engine(database_url)
    await migrate(engine)
    due = datetime.now(UTC) - timedelta(seconds=30)
    people = [
        person_row(5000 + i, created_at=due, due_at=due, first_name=f"P{i}") for i in range(PEOPLE)
    ]
    await insert_people(engine, people)
    await engine.dispose()
    for person in people:
        emulator.add_private_chat(person["chat_id"], person["first_name"])


def start_bot(emulator: BotApiEmulator, database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "TELEGRAM_RATE_LIMIT": str(RATE),
    }
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=handle, stderr=handle
    )


def reminders_per_person(emulator: BotApiEmulator) -> Counter[int]:
    return Counter(
        m.chat_id for m in emulator.messages.values() if m.from_bot and "Good " in m.text
    )


async def restart_until_everyone_has_theirs(
    emulator: BotApiEmulator,
    database_url: str,
    log: Path,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    processes.append(start_bot(emulator, database_url, log))
    await wait_until(
        lambda: len(reminders_per_person(emulator)) == PEOPLE, "everyone's reminder", 60
    )
    await emulator.settle(quiet=0.5)


async def stop_all(emulator: BotApiEmulator, processes: list[subprocess.Popen[bytes]]) -> None:
    await emulator.release_polls()
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            await wait_until(lambda p=process: p.poll() is not None, "a stop", 20)


async def test_kill_in_the_middle_of_a_batch(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    await prefill(database_url, emulator)
    sends = 0

    def hold_after_150(method: str, _params: dict[str, Any]) -> None:
        nonlocal sends
        if method == "sendMessage":
            sends += 1
            if sends == 150:
                # From here Telegram "accepts" each message but never answers: the worst
                # moment to die, with every sender waiting on a message already delivered.
                emulator.hold.add("sendMessage")

    emulator.on_request = hold_after_150
    log = tmp_path / "bot.log"
    first = start_bot(emulator, database_url, log)
    processes = [first]
    try:
        await wait_until(lambda: emulator.held_requests >= SENDERS, "the senders to block", 60)
        first.send_signal(signal.SIGKILL)
        await wait_until(lambda: first.poll() is not None, "the kill")
        in_flight = emulator.held_requests
        emulator.on_request = None
        emulator.release_held()
        assert len(reminders_per_person(emulator)) < PEOPLE

        await restart_until_everyone_has_theirs(emulator, database_url, log, processes)
    finally:
        await stop_all(emulator, processes)

    counts = reminders_per_person(emulator)
    duplicates = sum(n - 1 for n in counts.values())
    assert len(counts) == PEOPLE and max(counts.values()) <= 2
    # Only the messages in flight when the process died can go out twice.
    assert duplicates <= in_flight <= senders_for(RATE)
    engine = create_engine(database_url)
    try:
        statuses = await rows(engine, "SELECT status, count(*) AS n FROM reminder_deliveries "
                                      "GROUP BY status")  # fmt: skip
    finally:
        await engine.dispose()
    assert statuses == [{"status": "sent", "n": PEOPLE}]
    assert emulator.violations == []
    print(f"kill mid-batch: {duplicates} duplicate(s) of {in_flight} in flight")


async def test_sigterm_in_the_middle_of_a_batch_finishes_the_sends_in_flight(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    """A graceful stop, unlike a kill, records every send it made: no duplicates."""
    await prefill(database_url, emulator)
    emulator.delays["sendMessage"] = [0.05] * PEOPLE  # a slow Telegram: the batch takes a while
    log = tmp_path / "bot.log"
    first = start_bot(emulator, database_url, log)
    processes = [first]
    try:
        await wait_until(lambda: len(reminders_per_person(emulator)) >= 150, "150 sent", 60)
        first.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        await wait_until(lambda: first.poll() is not None, "a graceful stop", 15)
        assert time.monotonic() - stopped < 10
        assert first.returncode == 0
        assert len(reminders_per_person(emulator)) < PEOPLE

        await restart_until_everyone_has_theirs(emulator, database_url, log, processes)
    finally:
        await stop_all(emulator, processes)
    assert set(reminders_per_person(emulator).values()) == {1}
