"""Benchmark: two webhook instances on one PostgreSQL, sharing one send budget.

    python -m bench.instances [--people 2000] [--pressers 20] [--press-every 2]
                              [--server-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

Two real Applications behind webhook servers (the emulator posts updates to one, then
the other, as a load balancer would) on a throwaway database on the server given, the
emulator's flood control at Telegram's 30 messages a second for the whole bot. A batch
of reminders for `people` falls due while `pressers` people in a session tap "Done"
every few seconds through both instances. Prints the messages a second the bot sent,
the 429s it got, reminders delivered, duplicated and missed, and the time from a tap to
the bot's answer (p50/p99). tests/e2e/test_shared_budget.py runs the same and checks it
(and this borrows the tests' throwaway database and free port).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from bench.reminders import FIRST_PERSON, TOKEN, Presser, percentile, prefill
from bot.app import build_application
from bot.coach.planning import release_time
from bot.config import WebhookSettings, load_settings
from bot.emulator import BotApiEmulator, SentMessage
from bot.webhook import serving
from tests.e2e.helpers import free_port
from tests.postgres import postgres_database

SECRET = "bench-secret"
FLOOD_LIMIT = 30  # Telegram's, for the whole bot: requests in any one second
SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def run(
    database_url: str,
    people: int = 2000,
    pressers: int = 20,
    press_every: float = 2.0,
    shared: bool = True,
) -> dict[str, Any]:
    emulator = BotApiEmulator(TOKEN)
    emulator.flood_limit = FLOOD_LIMIT
    await emulator.start()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "DOUBLE_TAP_SECONDS": "0",  # the pressers tap at machine speed
        "SHARED_RATE_LIMIT": "auto" if shared else "off",
    }
    settings = load_settings(env)
    arrivals: list[float] = []

    def on_message(message: SentMessage, edited: bool) -> None:
        if not edited and message.chat_id >= FIRST_PERSON and "Good " in message.text:
            arrivals.append(time.monotonic())

    emulator.on_message = on_message
    # When each request aimed at a chat arrived: how close the bot came to the limit.
    chat_requests: list[float] = []

    def on_request(method: str, params: dict[str, Any]) -> None:
        if "chat_id" in params:
            chat_requests.append(time.monotonic())

    emulator.on_request = on_request
    hooks = []
    for _ in range(2):
        port = free_port()
        hooks.append(
            WebhookSettings(f"http://127.0.0.1:{port}/telegram", SECRET, "127.0.0.1", port)
        )
    emulator.webhook_targets = [hook.url for hook in hooks]
    # Due so that the batch is released (coach/planning.py) 30 s from now, once the
    # pressers are set up.
    lead = timedelta(seconds=30) + (datetime.now(UTC) - release_time(datetime.now(UTC), people, 29))
    due = datetime.now(UTC) + lead
    await prefill(database_url, emulator, people, due)
    tappers = [Presser(emulator, 1000 + i, press_every) for i in range(pressers)]
    async with AsyncExitStack() as stack:
        for hook in hooks:
            await stack.enter_async_context(
                serving(build_application(settings, webhook=True), hook)
            )
        await asyncio.gather(*(tapper.set_up() for tapper in tappers))
        requests_before = len(emulator.requests)
        started = time.monotonic()
        deadline = started + 30 + people / 10

        async def all_arrived() -> None:
            while len(arrivals) < people and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.1)

        taps = [asyncio.create_task(t.run(deadline)) for t in tappers]
        await all_arrived()
        for tap in taps:
            tap.cancel()
        await asyncio.gather(*taps, return_exceptions=True)
        seconds = time.monotonic() - started
        sent = [
            (method, params)
            for method, params in emulator.requests[requests_before:]
            if "chat_id" in params
        ]
        try:
            await emulator.settle(quiet=0.3, within=30)
        except TimeoutError as error:  # (the figures still say what happened)
            unsettled = str(error)
        else:
            unsettled = ""
    await emulator.stop()
    per_person = Counter(
        m.chat_id
        for m in emulator.messages.values()
        if m.from_bot and m.chat_id >= FIRST_PERSON and "Good " in m.text
    )
    latencies = [x for t in tappers for x in t.latencies]
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    return {
        "people": people,
        "delivered": len(per_person),
        "duplicates": sum(n - 1 for n in per_person.values()),
        "misses": people - len(per_person),
        "429s": emulator.flood_429s,
        "messages_per_second": len(sent) / seconds,
        "reminders_per_second": (len(arrivals) - 1) / span if span else 0.0,
        "taps": len(latencies),
        "reply_p50": percentile(latencies, 0.5),
        "reply_p99": percentile(latencies, 0.99),
        "violations": len(emulator.violations),
        "refused_windows": emulator.flood_refusals,
        "tightest_span": tightest_span(chat_requests, emulator.flood_limit),
        "unsettled": unsettled,
    }


def tightest_span(arrivals: list[float], limit: int) -> float:
    """The shortest time that `limit` + 1 requests in a row took: the flood control
    refuses the last of them when it is under a second, so how far this stays above one
    second is the room the pacing left (at 29 a second, evenly: 30/29 s, 1.034 s)."""
    spans = [later - earlier for earlier, later in zip(arrivals, arrivals[limit:], strict=False)]
    return min(spans, default=float("inf"))


async def main(args: argparse.Namespace) -> None:
    async with postgres_database(args.server_url) as database_url:
        result = await run(
            database_url, args.people, args.pressers, args.press_every, not args.not_shared
        )
    budget = "each instance alone" if args.not_shared else "one shared budget"
    print(f"two instances, {budget}:")
    print(
        f"reminders: {result['delivered']}/{result['people']} delivered, "
        f"{result['duplicates']} duplicates, {result['misses']} missed, "
        f"{result['reminders_per_second']:.1f}/s"
    )
    print(f"messages a second, all (reminders and replies): {result['messages_per_second']:.1f}")
    print(f"429 answers: {result['429s']}")
    for window in result["refused_windows"]:
        # How the second before each refused request looked.
        ago = sorted(window)
        gaps = [later - earlier for earlier, later in pairwise(ago)]
        print(
            f"  refused after {len(ago)} in the second before it: "
            f"{sum(1 for a in ago if a < 0.1)} in its last 100 ms, the oldest "
            f"{ago[-1] * 1000:.0f} ms before, "
            f"the longest pause {max(gaps, default=0) * 1000:.0f} ms"
        )
    print(
        f"tightest {FLOOD_LIMIT + 1} requests in a row: {result['tightest_span'] * 1000:.0f} ms "
        "(the limit refuses under 1000)"
    )
    print(
        f"replies: {result['taps']} taps, p50 {result['reply_p50'] * 1000:.0f} ms, "
        f"p99 {result['reply_p99'] * 1000:.0f} ms"
    )
    print(f"spec violations: {result['violations']}")
    if result["unsettled"]:
        print(f"after the batch, {result['unsettled']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--pressers", type=int, default=20)
    parser.add_argument("--press-every", type=float, default=2.0)
    parser.add_argument("--server-url", default=SERVER_URL)
    parser.add_argument("--not-shared", action="store_true", help="each instance paces alone")
    asyncio.run(main(parser.parse_args()))
