"""One send budget for every instance (store/budget.py): two webhook instances on one
PostgreSQL, Telegram's flood control at 30 a second, a batch of 2,000 reminders while
20 people tap through sessions. (bench/instances.py prints the same run's figures.)"""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.instances import run
from bot.store.budget import SharedBudget, spaced_rate
from bot.store.engine import create_engine, migrate


def _postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the shared budget is for several instances, on PostgreSQL")


def test_the_schedule_keeps_two_a_second_of_room_under_the_limit() -> None:
    assert spaced_rate(29) == 27
    assert spaced_rate(1000) == 998
    # Below four a second, two less would be half or more: the limit stands.
    assert spaced_rate(3) == 3
    assert spaced_rate(0.5) == 0.5


async def test_two_budgets_on_one_database_space_their_sends_as_one(database_url: str) -> None:
    _postgres_only(database_url)
    engine = create_engine(database_url)
    await migrate(engine)
    await engine.dispose()
    rate = 20.0
    budgets = [SharedBudget(database_url, rate) for _ in range(2)]
    sent: list[float] = []

    async def send(budget: SharedBudget) -> None:
        slot = await budget.take(reply=True)
        assert slot is not None
        await asyncio.sleep(slot.wait)
        sent.append(time.monotonic())

    try:
        await asyncio.gather(*(send(budgets[i % 2]) for i in range(30)))
        sent.sort()
        # 30 messages from two instances, the limit 20 a second: spaced at 18 a second
        # (two under the limit, for room), 1.61 s, never more than 20 in a second.
        assert sent[-1] - sent[0] >= 29 / (rate - 2) - 0.05
        assert max(sum(1 for t in sent if s <= t < s + 1) for s in sent) <= rate
        # A reminder takes a slot only when the schedule is free: now it is not.
        assert await budgets[1].take(reply=False) is None
        await asyncio.sleep(1 / (rate - 2) + 0.01)
        free = await budgets[1].take(reply=False)
        assert free is not None and free.wait == 0.0
        # A 429 seen by one instance holds back the other.
        await budgets[0].pause(0.5)
        held = await budgets[1].take(reply=True)
        assert held is not None and 0.4 < held.wait <= 0.5
    finally:
        for budget in budgets:
            await budget.close()


async def test_an_unreachable_database_leaves_each_instance_to_pace_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    budget = SharedBudget("postgresql+asyncpg://nobody@127.0.0.1:1/none", 29.0)
    assert await budget.take(reply=True) is None
    assert await budget.take(reply=True) is None
    assert not budget.reachable
    warnings = [r for r in caplog.records if "shared send budget" in r.getMessage()]
    assert len(warnings) == 1  # said once, not at every message
    await budget.close()


async def test_two_instances_share_telegram_s_limit_replies_first(database_url: str) -> None:
    _postgres_only(database_url)
    result = await run(database_url, people=2000, pressers=20, press_every=2.0)
    # Issue #14: 0 429s. Met since a request's lateness counts from when its slot was
    # asked for (stop 13), but for one run of about fifteen in CI, in which a request
    # late on its way made 31 in a second: the schedule is now spaced at two a second
    # under the limit for room (store/budget.py; one in stop 16, and CI still met one
    # 429 at c6726b2: README Benchmarks, stop 18).
    # (On failure: how the second before each refused request looked, newest first, in
    # ms before it - a burst, or a steady 30?)
    # Given as a string: pytest would shorten a list to its first few.
    windows = [sorted(round(a * 1000) for a in w) for w in result["refused_windows"]]
    assert result["429s"] == 0, f"the seconds before each refused request: {windows}"
    assert (result["delivered"], result["duplicates"], result["misses"]) == (2000, 0, 0)
    assert result["taps"] > 200
    assert result["reply_p99"] < 1.0
    assert result["unsettled"] == ""
    assert result["violations"] == 0
