"""Benchmark: do /progress charts slow down everyone else's replies?

    python -m bench.progress [--interactive 3] [--press-every 1.0] [--rounds 3] [--seconds 20]

Runs the real bot against the local emulator (flood limit at Telegram's 30 messages a
second). A few people in a session press a button every second; one person with
four weeks of history asks for /progress every second. Alternating rounds without and
with the chart requests (in the same process, so both see the same machine) measure
the time from a press to the bot's next message, p50/p99; the target is that p50 and p99
with charts stay within 20% of those without. Also prints how long a chart takes.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import col

from bench.reminders import Presser, percentile
from bot.app import build_application, running
from bot.config import load_settings
from bot.emulator import BotApiEmulator
from bot.store.engine import create_engine
from bot.store.models import ExerciseResult, ExerciseSession, User

TOKEN = "1:BENCH"
CHART_PERSON = 5000


async def add_four_weeks(database_url: str, telegram_user_id: int) -> None:
    """Two sessions a day for 28 days, every exercise done, pain slowly falling."""
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        user_id = (
            await connection.execute(
                select(col(User.id)).where(col(User.telegram_user_id) == telegram_user_id)
            )
        ).scalar_one()
        for day in range(28, 0, -1):
            for hour in (8, 18):
                started = (now - timedelta(days=day)).replace(hour=hour, minute=0)
                result = await connection.execute(
                    insert(ExerciseSession).values(
                        user_id=user_id, local_date=started.date().isoformat(),
                        status="finished", step=13, paused_for_pain=False,
                        pain_before=2 + day // 5, pain_after=1 + day // 6,
                        started_at=started, finished_at=started + timedelta(minutes=20),
                    )
                )  # fmt: skip
                (session_id,) = result.inserted_primary_key or (None,)
                await connection.execute(
                    insert(ExerciseResult),
                    [
                        {"session_id": session_id, "step": step, "exercise_key": f"e{step}",
                         "side": None, "outcome": "done", "recorded_at": started}
                        for step in range(1, 12)
                    ],
                )  # fmt: skip
    await engine.dispose()


class ChartAsker:
    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self.latencies: list[float] = []

    async def run(self, until: float) -> None:
        while time.monotonic() < until:
            tick = time.monotonic()
            seen = len(self.emulator.bot_messages(CHART_PERSON))
            await self.emulator.send_text(CHART_PERSON, "/progress")
            # The chart, then the figures: two messages.
            while len(self.emulator.bot_messages(CHART_PERSON)) < seen + 2:
                if time.monotonic() - tick > 30:
                    raise TimeoutError("no chart")
                await asyncio.sleep(0.005)
            self.latencies.append(time.monotonic() - tick)
            await asyncio.sleep(max(0.0, tick + 1.0 - time.monotonic()))


async def main(interactive: int, press_every: float, rounds: int, seconds: float) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-progress-"))
    database_url = f"sqlite+aiosqlite:///{folder / 'bot.db'}"
    emulator = BotApiEmulator(TOKEN)
    emulator.flood_limit = 30
    await emulator.start()
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emulator.base_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    # The pressers tap about every second: every tap stays real work, as in the figures
    # from before the double-tap guard.
    settings = dataclasses.replace(settings, double_tap_seconds=0.0)
    application = build_application(settings)
    pressers = [Presser(emulator, 1000 + i, press_every) for i in range(interactive)]
    charter = Presser(emulator, CHART_PERSON, 1.0)
    asker = ChartAsker(emulator)
    without: list[float] = []
    with_charts: list[float] = []
    async with running(application):
        for presser in [*pressers, charter]:
            await presser.set_up()
        await add_four_weeks(database_url, CHART_PERSON)
        # One chart first: the first pays matplotlib's import and font cache.
        await ChartAsker(emulator).run(time.monotonic() + 0.1)
        for _ in range(rounds):
            for charts in (False, True):
                for presser in pressers:
                    presser.latencies = []
                until = time.monotonic() + seconds
                tasks = [p.run(until) for p in pressers]
                if charts:
                    tasks.append(asker.run(until))
                await asyncio.gather(*tasks)
                (with_charts if charts else without).extend(
                    x for p in pressers for x in p.latencies
                )
        await emulator.release_polls()
    await emulator.stop()
    return {
        "without": without,
        "with": with_charts,
        "charts": asker.latencies,
        "violations": len(emulator.violations),
    }


def figures(values: list[float]) -> tuple[float, float]:
    return statistics.median(values) * 1000, percentile(values, 0.99) * 1000


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interactive", type=int, default=3)
    # Each press makes two requests (an edit and a message) within Telegram's 30 a second:
    # pressing much faster would measure the rate limiter's queue, not the charts.
    parser.add_argument("--press-every", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    result = asyncio.run(main(args.interactive, args.press_every, args.rounds, args.seconds))
    base50, base99 = figures(result["without"])
    with50, with99 = figures(result["with"])
    chart50, chart99 = figures(result["charts"])
    print(f"replies without charts: n={len(result['without'])} p50={base50:.0f} ms "
          f"p99={base99:.0f} ms")  # fmt: skip
    print(f"replies with /progress every second: n={len(result['with'])} p50={with50:.0f} ms "
          f"p99={with99:.0f} ms")  # fmt: skip
    print(f"ratio with/without: p50 {with50 / base50:.2f}, p99 {with99 / base99:.2f} "
          "(target <= 1.20)")  # fmt: skip
    print(f"/progress, request to figures: n={len(result['charts'])} p50={chart50:.0f} ms "
          f"p99={chart99:.0f} ms")  # fmt: skip
    print(f"spec violations: {result['violations']}")
