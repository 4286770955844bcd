"""The rate limiter in real (short) time: the window is never exceeded, replies are not
paced when there is room, and a bulk stream leaves room for replies."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise
from typing import Any

from bot.store.budget import Slot
from bot.telegram.ratelimit import BULK, PriorityRateLimiter


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []

    def request(self, limiter: PriorityRateLimiter, kind: str) -> Any:
        async def send() -> bool:
            self.sent.append((time.monotonic(), kind))
            return True

        return limiter.process_request(
            send, (), {}, "sendMessage", {"chat_id": 1}, BULK if kind == "bulk" else None
        )

    def busiest_window(self, seconds: float = 1.0) -> int:
        times = sorted(t for t, _ in self.sent)
        return max(sum(1 for other in times if start <= other < start + seconds) for start in times)


async def test_replies_go_at_once_while_the_window_has_room() -> None:
    limiter, recorder = PriorityRateLimiter(rate=10), Recorder()
    started = time.monotonic()
    await asyncio.gather(*(recorder.request(limiter, "reply") for _ in range(5)))
    assert time.monotonic() - started < 0.2  # no 100 ms pacing between them


async def test_no_one_second_window_holds_more_than_the_rate() -> None:
    limiter, recorder = PriorityRateLimiter(rate=10), Recorder()
    await asyncio.gather(
        *(recorder.request(limiter, "reply") for _ in range(15)),
        *(recorder.request(limiter, "bulk") for _ in range(10)),
    )
    assert len(recorder.sent) == 25
    assert recorder.busiest_window() <= 10


async def test_bulk_is_paced_keeps_a_reserve_and_yields_to_replies() -> None:
    limiter, recorder = PriorityRateLimiter(rate=10, reserve=2), Recorder()
    bulk = [asyncio.ensure_future(recorder.request(limiter, "bulk")) for _ in range(16)]
    await asyncio.sleep(0.5)
    asked = time.monotonic()
    await asyncio.gather(recorder.request(limiter, "reply"), recorder.request(limiter, "reply"))
    replied = time.monotonic() - asked
    await asyncio.gather(*bulk)
    bulk_times = [t for t, kind in recorder.sent if kind == "bulk"]
    # Evenly paced, never more than rate - reserve in a window.
    assert all(b - a >= 0.09 for a, b in pairwise(bulk_times))
    assert sum(1 for t in bulk_times if t < bulk_times[0] + 1.0) <= 8
    # The two replies found the reserved room: no waiting behind the stream.
    assert replied < 0.05
    assert recorder.busiest_window() <= 10


class ScheduleInMemory:
    """A stand-in for store/budget.py's shared schedule, same rules, no database."""

    def __init__(self, rate: float, answer_after: float = 0.0) -> None:
        self.interval = 1.0 / rate
        self.next_slot = 0.0
        self.reachable = True
        self.taken = 0
        # Seconds a question takes to reach the schedule (behind another on the same
        # connection, say) before the slot is chosen; the slots chosen, in order.
        self.answer_after = answer_after
        self.slots: list[float] = []

    async def take(self, *, reply: bool) -> Slot | None:
        if self.answer_after:
            await asyncio.sleep(self.answer_after)
        now = time.monotonic()
        if not reply and self.next_slot > now:
            return None
        slot = max(self.next_slot, now)
        self.next_slot = slot + self.interval
        self.taken += 1
        self.slots.append(slot)
        return Slot(slot - now, now)

    async def pause(self, seconds: float) -> None:
        self.next_slot = max(self.next_slot, time.monotonic() + seconds)


async def test_a_request_woken_too_late_for_its_shared_slot_takes_another() -> None:
    """A busy event loop wakes several waiting requests at once, after their slots: sent
    then, they would reach Telegram together. Each takes a fresh slot instead."""
    schedule = ScheduleInMemory(rate=20)
    limiter, recorder = PriorityRateLimiter(rate=100, shared=schedule), Recorder()  # type: ignore[arg-type]
    requests = [asyncio.ensure_future(recorder.request(limiter, "reply")) for _ in range(6)]
    await asyncio.sleep(0.01)  # all six have their slots: 0, 50, ..., 250 ms from now
    time.sleep(0.3)  # noqa: ASYNC251 - on purpose: the loop is stuck past all of them
    await asyncio.gather(*requests)
    times = sorted(t for t, _ in recorder.sent)
    gaps = [later - earlier for earlier, later in pairwise(times)]
    # (The first slot was taken before the stall ended; the five late ones spread out.)
    assert min(gaps[1:]) >= schedule.interval * 0.8, gaps
    assert schedule.taken > 6  # the late ones took new slots


async def test_a_request_never_goes_before_its_shared_slot() -> None:
    """The question for a slot takes time to reach the database (waiting behind another on
    the instance's connection): the wait it gets back counts from the answer, so the
    request never leaves before its slot, into the one before it."""
    schedule = ScheduleInMemory(rate=20, answer_after=0.03)
    limiter, recorder = PriorityRateLimiter(rate=100, shared=schedule), Recorder()  # type: ignore[arg-type]
    await asyncio.gather(*(recorder.request(limiter, "reply") for _ in range(5)))
    times = sorted(t for t, _ in recorder.sent)
    assert len(times) == 5 and len(schedule.slots) == 5
    assert all(sent >= slot for sent, slot in zip(times, sorted(schedule.slots), strict=True))
