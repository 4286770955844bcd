"""Benchmark: start-up time and memory with 100,000 people in the database.

    python -m bench.startup [--people 100000] [--database-url ...]

Fills a database with `--people` people (set up, reminders on, the next one tomorrow),
starts `python -m bot` as an operator would, against the local emulator, and reports
the time from launch to the first getUpdates (ready to serve: migrations checked, bot
profile set, reminders scheduled), the time to answer a first /help, and the resident
memory of the bot's process once ready (VmRSS from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.emulator import BotApiEmulator
from bot.store.engine import create_engine, migrate
from bot.store.seed import insert_people, person_row

TOKEN = "1:BENCH"
ROOT = Path(__file__).resolve().parents[1]


async def prefill(database_url: str, people: int) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    rows = [
        person_row(2_000_000 + i, created_at=tomorrow - timedelta(days=30), due_at=tomorrow)
        for i in range(people)
    ]
    await insert_people(engine, rows)
    await engine.dispose()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(people: int, database_url: str | None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    database_url = database_url or f"sqlite+aiosqlite:///{folder / 'bot.db'}"
    await prefill(database_url, people)
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    emulator.add_private_chat(1, "Alex")
    ready: list[float] = []

    def on_request(method: str, _params: dict[str, object]) -> None:
        if method == "getUpdates" and not ready:
            ready.append(time.monotonic())

    emulator.on_request = on_request
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url,
           "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}  # fmt: skip
    launched = time.monotonic()
    # (Popen in a coroutine: the benchmark wants the launch instant, not a pipe.)
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env)  # noqa: ASYNC220
    try:
        while not ready:
            if time.monotonic() - launched > 120 or process.poll() is not None:
                raise RuntimeError("the bot did not start")
            await asyncio.sleep(0.01)
        memory = rss_mb(process.pid)
        await emulator.send_text(1, "/help")
        while not emulator.bot_messages(1):  # noqa: ASYNC110 - polling the emulator's record
            await asyncio.sleep(0.01)
        answered = time.monotonic()
        await asyncio.sleep(2)  # the first reminder sweep runs one second after start
        memory_after_sweep = rss_mb(process.pid)
    finally:
        await emulator.release_polls()
        process.terminate()
        # Waited for in a thread: this loop is Telegram, and must answer the bot's last
        # calls while it stops.
        await asyncio.to_thread(process.wait, 15)
        await emulator.stop()
    print(f"{people} people in {'SQLite' if 'sqlite' in database_url else 'PostgreSQL'}")
    print(f"ready to serve (first getUpdates) {ready[0] - launched:.2f} s after launch "
          "(target < 3 s)")  # fmt: skip
    print(f"first /help answered {answered - launched:.2f} s after launch")
    print(f"resident memory: {memory:.0f} MB when ready, {memory_after_sweep:.0f} MB after "
          "the first reminder sweep (target < 150 MB)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(main(args.people, args.database_url))
