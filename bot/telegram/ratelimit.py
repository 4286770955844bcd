"""Keep every message under Telegram's bot-wide limit, replies to people first.

Telegram allows a bot about 30 messages a second in all. Every request aimed at a chat
(sending or editing a message, a chat action) counts; no sliding one-second window ever
holds more than `rate` of them. A reply to a person goes out at once while the window has
room, so an idle bot answers without any pacing delay. Requests marked BULK (the reminder
batch) are paced evenly at `rate` (PAID_BULK ones, paid broadcasts, at `paid_rate`
outside that limit), take a slot only when no reply is waiting, and leave
`reserve` slots of every window free, so that a reply during a batch of thousands finds
room straight away.

A 429 answer (RetryAfter) pauses all requests for the time Telegram asks, then the same
request is tried again, up to `max_retries` times. A 5xx or a time-out is tried again
after a short pause, len(FAILURE_BACKOFF) times, with one exception: an edit marked
CARD_EDIT that timed out goes back to its caller. Telegram may still carry it out, after
a retry and after a newer edit of the same message, and would then put an old step back
on the session's message; the caller shows the step in a new message instead, so that a
late edit can only land on a message that no longer matters (kernel.put_card).

The answer to a button press (answerCallbackQuery) is a courtesy: it only stops the
button's spinner. By the time it is sent, the press is stored, so a failed, lost or
refused answer must never stop the handler from showing the next step. It is never
tried again after a failure either: a time-out may mean Telegram has it already, and it
refuses a second answer to the same press ("query is too old ... or query ID is
invalid"). Such a failure is one warning in the log, and the call returns False.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import BaseRateLimiter

from bot.store.budget import SharedBudget
from bot.telegram.transport import describe

log = logging.getLogger(__name__)

BULK = "bulk"
# A reminder sent as a paid broadcast (allow_paid_broadcast): outside the bot's free
# limit, paced at `paid_rate` on its own.
PAID_BULK = "paid-bulk"
# An edit of the session's live message: not tried again after a time-out (see above).
CARD_EDIT = "card-edit"
CALLBACK_ANSWER = "answerCallbackQuery"
# Methods with a retry loop of their own, which says in the log when the next try comes:
# the updater's for getUpdates and deleteWebhook, bot/lifecycle.py's for the first calls.
_OWN_RETRIES = frozenset({"getUpdates", "getMe", "deleteWebhook", "setWebhook"})
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
# Pauses before the retries of a request that failed with a 5xx or timed out; after the
# last, the error goes to the caller (an apology to the person; a reminder stays due).
FAILURE_BACKOFF = (0.5, 1.5)
# How many times a request woken too late for its shared slot takes another.
_SHARED_RETAKES = 3
# A waiting bulk request looks again this often while people's replies go first.
_BULK_RECHECK = 0.005


class PriorityRateLimiter(BaseRateLimiter[str]):
    def __init__(
        self,
        rate: float = 29.0,
        reserve: int = 1,
        max_retries: int = 3,
        paid_rate: float = 0.0,
        shared: SharedBudget | None = None,
    ) -> None:
        # Below one a second (a test setting), the window stretches to hold one request.
        self.window = 1.0 if rate >= 1 else 1.0 / rate
        self.capacity = max(1, int(rate * self.window))
        self.bulk_capacity = max(1, self.capacity - reserve)
        self.bulk_interval = 1.0 / rate
        self.max_retries = max_retries
        self._granted: collections.deque[float] = collections.deque()
        self._next_bulk = 0.0
        # Several instances: the bot-wide schedule they share (store/budget.py), taken
        # after this instance's own slot, which still puts its replies first.
        self.shared = shared
        self.paid_interval = 1.0 / paid_rate if paid_rate > 0 else 0.0
        self._next_paid = 0.0
        self._paused_until = 0.0
        self._people_waiting = 0
        self._bulk_waiting = 0
        self.retries_after_429 = 0
        self.retries_after_failure = 0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _grant(self, now: float) -> None:
        self._granted.append(now)

    @property
    def waiting(self) -> tuple[int, int]:
        """Requests waiting for a slot: people's replies, and reminders (for metrics)."""
        return self._people_waiting, self._bulk_waiting

    async def _slot(self, bulk: bool) -> None:
        if not bulk:
            self._people_waiting += 1
        else:
            self._bulk_waiting += 1
        try:
            while True:
                now = time.monotonic()
                while self._granted and self._granted[0] <= now - self.window:
                    self._granted.popleft()
                oldest_expires = (self._granted[0] + self.window - now) if self._granted else 0.0
                wait = self._paused_until - now
                if wait <= 0 and not bulk:
                    if len(self._granted) < self.capacity:
                        self._grant(now)
                        return
                    wait = oldest_expires
                elif wait <= 0:
                    if (
                        self._people_waiting == 0
                        and len(self._granted) < self.bulk_capacity
                        and now >= self._next_bulk
                    ):
                        self._grant(now)
                        self._next_bulk = now + self.bulk_interval
                        return
                    wait = max(self._next_bulk - now, _BULK_RECHECK)
                    if len(self._granted) >= self.bulk_capacity:
                        wait = max(wait, oldest_expires)
                await asyncio.sleep(max(wait, 0.0005))
        finally:
            if not bulk:
                self._people_waiting -= 1
            else:
                self._bulk_waiting -= 1

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> JSONResult:
        counted = "chat_id" in data
        flood_retries = failure_retries = 0
        while True:
            if rate_limit_args == PAID_BULK:
                await self._paid_slot()
            elif counted:
                await self._slot(bulk=rate_limit_args == BULK)
                if self.shared is not None:
                    await self._shared_slot(reply=rate_limit_args != BULK)
            else:
                await self._wait_for_pause()
            try:
                if endpoint == CALLBACK_ANSWER:
                    return await _courtesy(callback(*args, **kwargs))
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if flood_retries == self.max_retries:
                    raise
                flood_retries += 1
                self.retries_after_429 += 1
                pause = _seconds(error.retry_after) + 0.1
                log.warning("Telegram asked to slow down: pausing all sends for %.1f s", pause)
                self._paused_until = max(self._paused_until, time.monotonic() + pause)
                if self.shared is not None:
                    await self.shared.pause(pause)
            except NetworkError as error:
                # A 5xx or a time-out: Telegram may be briefly unwell, so try again a few
                # times with a growing pause. (A time-out may mean the first one arrived
                # after all; a rare duplicate beats a lost reply.) BadRequest is a
                # NetworkError in PTB, but our request's fault: never retried.
                if (
                    isinstance(error, BadRequest)
                    or endpoint in _OWN_RETRIES
                    or (isinstance(error, TimedOut) and rate_limit_args == CARD_EDIT)
                    or failure_retries == len(FAILURE_BACKOFF)
                ):
                    raise
                pause = FAILURE_BACKOFF[failure_retries]
                failure_retries += 1
                self.retries_after_failure += 1
                log.warning(
                    "%s failed (%s): trying again in %.1f s", endpoint, describe(error), pause
                )
                await asyncio.sleep(pause)

    async def _shared_slot(self, *, reply: bool) -> None:
        """A slot of the bot-wide schedule: a reply waits for the next one; a reminder
        takes one only when it is free at once, and otherwise looks again in a slot's
        time, behind any reply. (If the database can't be asked, the local slot stands.)"""
        assert self.shared is not None
        retakes = 0
        while True:
            slot = await self.shared.take(reply=reply)
            if slot is None:
                if reply or not self.shared.reachable:
                    return
                await asyncio.sleep(self.shared.interval)
                continue
            # The wait counts from now, when the database has answered, not from when it
            # was asked: the question may have waited for this instance's connection, and
            # counting that time would send the request early, into the slot before it.
            await asyncio.sleep(slot.wait)
            # Woken more than a slot after the slot (the event loop was busy), the request
            # would go out together with the ones whose slots came after it: a burst past
            # the limit. That slot went by; take another (a few times at most). Lateness
            # counts from when the question was sent: an answer that came back late (the
            # loop busy) also makes the request late, and counted from the answer that
            # did not show (bench/instances.py met 31 requests within 990 ms, no burst).
            late = time.monotonic() - (slot.asked_at + slot.wait)
            if late <= self.shared.interval or retakes == _SHARED_RETAKES:
                return
            retakes += 1

    async def _paid_slot(self) -> None:
        """Evenly at the paid rate, after any 429 pause."""
        await self._wait_for_pause()
        now = time.monotonic()
        start = max(now, self._next_paid)
        self._next_paid = start + self.paid_interval
        if start > now:
            await asyncio.sleep(start - now)

    async def _wait_for_pause(self) -> None:
        delay = self._paused_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


async def _courtesy(answer: Coroutine[Any, Any, JSONResult]) -> JSONResult:
    """A button press's answer: any failure but a 429 (waited out and tried again like
    every request) is logged and given up."""
    try:
        return await answer
    except RetryAfter:
        raise
    except TelegramError as error:
        log.warning(
            "%s failed (%s): the press is handled without it", CALLBACK_ANSWER, describe(error)
        )
        return False


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
