"""Benchmark: a batch of reminders at Telegram's pace while people are mid-session.

    python -m bench.reminders [--users 10000] [--interactive 3]
    python -m bench.reminders --users 100000 --paid-rate 1000 --flood-limit 1000

Runs the real bot (the same Application as production) against the local emulator with
its flood limit at Telegram's 30 messages a second, and 10,000 people due in the same
minute. Meanwhile a few people in a session press "Done" about once a second. Prints the
reminders delivered per second, 429s received, duplicates and misses, and the time from
a press to the bot's next message (p50/p99) - first without the batch (the baseline, in
the same process), then during it - and how early or late the reminders went out
against their time (a batch is released up to half its sending time before it).
With --paid-rate the reminders go as paid broadcasts (PAID_BROADCAST_RATE), for which
the emulator's limit is raised with --flood-limit.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build_application, running
from bot.coach.planning import release_time
from bot.config import load_settings
from bot.emulator import BotApiEmulator, SentMessage
from bot.store.engine import create_engine, migrate
from bot.store.seed import insert_people, person_row

TOKEN = "1:BENCH"
FIRST_PERSON = 100_000


async def prefill(database_url: str, emulator: BotApiEmulator, users: int, due: datetime) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    rows = [person_row(FIRST_PERSON + i, created_at=due, due_at=due) for i in range(users)]
    await insert_people(engine, rows, chunk=2000)
    await engine.dispose()
    for row in rows:
        emulator.add_private_chat(row["chat_id"])


class Presser:
    """Someone in a session: taps Done, waits for the next step, and again every few
    seconds (a real person takes half a minute or more per exercise)."""

    def __init__(self, emulator: BotApiEmulator, user_id: int, every: float) -> None:
        self.every = every
        self.emulator = emulator
        self.user_id = user_id
        emulator.add_private_chat(user_id, "Active")
        self.latencies: list[float] = []

    def _latest(self) -> SentMessage | None:
        mine = self.emulator.bot_messages(self.user_id)
        return mine[-1] if mine else None

    async def _say(self, text: str) -> None:
        before = self._latest()
        await self.emulator.send_text(self.user_id, text)
        await self._wait_beyond(before)

    async def _wait_beyond(self, before: SentMessage | None, limit: float = 30.0) -> float:
        """Until the answer shows: a new message, or the tapped one edited into the next
        step (the bot answers a tap that way since stop 10)."""
        started = time.monotonic()
        seen = before.html if before is not None else None
        while True:
            latest = self._latest()
            if latest is not None and (
                before is None or latest.message_id > before.message_id or latest.html != seen
            ):
                return time.monotonic() - started
            if time.monotonic() - started > limit:
                raise TimeoutError(f"no reply for user {self.user_id}")
            await asyncio.sleep(0.002)

    async def set_up(self) -> None:
        await self._say("/start")
        await self._until_button("None of these")
        await self._press("None of these")
        await self._until_button("Europe/Berlin")  # the time zone question came
        await self._say("Berlin")
        await self._until_button("Keep these")
        await self._press("Keep these")

    async def _until_button(self, label: str, limit: float = 30.0) -> None:
        """Until the newest message has `label` (a reply can come as an edit and then a
        new message: waiting for the first change alone races the second)."""
        deadline = time.monotonic() + limit
        while True:
            latest = self._latest()
            if latest is not None and label in latest.button_texts():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {label!r} for user {self.user_id}")
            await asyncio.sleep(0.005)

    async def _press(self, label: str) -> float:
        latest = self._latest()
        assert latest is not None
        started = time.monotonic()
        await self.emulator.press(self.user_id, latest, label)
        await self._wait_beyond(latest)
        return time.monotonic() - started

    async def run(self, until: float) -> None:
        while time.monotonic() < until:
            latest = self._latest()
            labels = latest.button_texts() if latest else []
            if "✅ Done" in labels:
                self.latencies.append(await self._press("✅ Done"))
            elif "4" in labels:
                self.latencies.append(await self._press("4"))
            else:
                await self._say("/session")
            await asyncio.sleep(self.every)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def describe(name: str, values: list[float]) -> str:
    return (
        f"{name}: n={len(values)} p50={statistics.median(values) * 1000:.0f} ms "
        f"p99={percentile(values, 0.99) * 1000:.0f} ms max={max(values) * 1000:.0f} ms"
    )


async def main(
    users: int,
    interactive: int,
    baseline_seconds: float,
    press_every: float,
    paid_rate: float = 0.0,
    flood_limit: int = 30,
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    database_url = f"sqlite+aiosqlite:///{folder / 'bot.db'}"
    emulator = BotApiEmulator(TOKEN)
    emulator.flood_limit = flood_limit  # Telegram's bot-wide limit: 30
    await emulator.start()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    if paid_rate:
        env["PAID_BROADCAST_RATE"] = str(paid_rate)
    settings = load_settings(env)
    # All due in the same minute, and released (up to half an hour before it, see
    # coach/planning.py) a little after the baseline ends.
    lead = datetime.now(UTC) - release_time(datetime.now(UTC), users, settings.reminder_rate)
    due = datetime.now(UTC) + timedelta(seconds=baseline_seconds + 20) + lead
    await prefill(database_url, emulator, users, due)
    arrivals: list[float] = []

    def on_message(message: SentMessage, edited: bool) -> None:
        if not edited and message.chat_id >= FIRST_PERSON and "Good " in message.text:
            arrivals.append(time.time())

    emulator.on_message = on_message
    application = build_application(settings)
    pressers = [Presser(emulator, 1000 + i, press_every) for i in range(interactive)]
    async with running(application):
        for presser in pressers:
            await presser.set_up()
        # Baseline: the same people pressing, no reminders yet.
        await asyncio.gather(*(p.run(time.monotonic() + baseline_seconds) for p in pressers))
        baseline = [x for p in pressers for x in p.latencies]
        for presser in pressers:
            presser.latencies = []
        release = due - lead
        await asyncio.sleep(max(0.0, (release - datetime.now(UTC)).total_seconds()))
        # During the batch.
        done = asyncio.Event()

        async def watch() -> None:
            while len(arrivals) < users:  # noqa: ASYNC110 - polling a plain list
                await asyncio.sleep(0.1)
            done.set()

        watcher = asyncio.create_task(watch())
        started = time.monotonic()
        interactive_before = interactive_sends(emulator)
        rate_wanted = settings.reminder_rate
        batch_end = started + users / (rate_wanted * 0.85) + 120
        runners = [asyncio.create_task(p.run(batch_end)) for p in pressers]
        try:
            await asyncio.wait_for(done.wait(), timeout=users / (rate_wanted * 0.7) + 180)
        except TimeoutError:
            print(f"gave up waiting: {len(arrivals)} of {users} reminders arrived")
        finally:
            for runner in runners:
                runner.cancel()
            watcher.cancel()
            await asyncio.gather(*runners, watcher, return_exceptions=True)
        during = [x for p in pressers for x in p.latencies]
        interactive_rate = (interactive_sends(emulator) - interactive_before) / (
            time.monotonic() - started
        )
        await emulator.release_polls()
    await emulator.stop()

    per_person = Counter(
        m.chat_id
        for m in emulator.messages.values()
        if m.from_bot and m.chat_id >= FIRST_PERSON and "Good " in m.text
    )
    rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    lateness = sorted(at - due.timestamp() for at in arrivals)
    return {
        "lateness": lateness,
        "users": users,
        "delivered": len(per_person),
        "rate": rate,
        "seconds": arrivals[-1] - arrivals[0] if arrivals else 0.0,
        "429s": emulator.flood_429s,
        "duplicates": sum(n - 1 for n in per_person.values()),
        "misses": users - len(per_person),
        "baseline": baseline,
        "during": during,
        "violations": len(emulator.violations),
        "interactive_rate": interactive_rate,
    }


def interactive_sends(emulator: BotApiEmulator) -> int:
    """Messages sent or edited for the people in a session (they share the 30/s)."""
    return sum(
        1
        for method, params in emulator.requests
        if method in ("sendMessage", "editMessageText")
        and int(params.get("chat_id", FIRST_PERSON)) < FIRST_PERSON
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--interactive", type=int, default=3)
    parser.add_argument("--baseline-seconds", type=float, default=30.0)
    parser.add_argument("--press-every", type=float, default=2.0)
    parser.add_argument("--paid-rate", type=float, default=0.0, help="PAID_BROADCAST_RATE")
    parser.add_argument("--flood-limit", type=int, default=30, help="the emulator's, a second")
    args = parser.parse_args()
    result = asyncio.run(
        main(
            args.users, args.interactive, args.baseline_seconds, args.press_every,
            args.paid_rate, args.flood_limit,
        )
    )  # fmt: skip
    print(f"reminders: {result['delivered']}/{result['users']} delivered in "
          f"{result['seconds']:.1f} s = {result['rate']:.1f}/s")  # fmt: skip
    late = result["lateness"]
    if late:
        print(
            f"lateness against their time (negative: early): p50 {percentile(late, 0.5):+.1f} s, "
            f"p95 {percentile(late, 0.95):+.1f} s, max {late[-1]:+.1f} s, first {late[0]:+.1f} s"
        )
    print(f"429 answers: {result['429s']} (target 0)")
    print(f"duplicates: {result['duplicates']}, misses: {result['misses']} (target 0, 0)")
    print(describe("interactive replies, baseline (no batch)", result["baseline"]))
    print(describe("interactive replies, during the batch  ", result["during"]))
    print(
        f"messages for the people in a session during the batch: {result['interactive_rate']:.1f}/s"
    )
    print(f"spec violations: {result['violations']}")
