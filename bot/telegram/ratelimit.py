"""Pace every message under Telegram's bot-wide limit, replies to people first.

Telegram allows a bot about 30 messages a second in all. Every request aimed at a chat
(sending or editing a message, a chat action) takes one slot; slots come at a steady
`rate` with no bursts, so no one-second window ever holds more than `rate` + 1 of them.
Requests marked BULK (the reminder batch) only take a slot when no reply to a person is
waiting for one, so a large batch never makes someone in a session wait behind it.

A 429 answer (RetryAfter) pauses all requests for the time Telegram asks, then the same
request is tried again, up to `max_retries` times.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

BULK = "bulk"
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class PriorityRateLimiter(BaseRateLimiter[str]):
    def __init__(self, rate: float = 29.0, max_retries: int = 3) -> None:
        self.interval = 1.0 / rate
        self.max_retries = max_retries
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._people_waiting = 0
        self.retries_after_429 = 0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def _slot(self, bulk: bool) -> None:
        if not bulk:
            self._people_waiting += 1
        try:
            while True:
                now = time.monotonic()
                free_at = max(self._next_slot, self._paused_until)
                if now >= free_at and (not bulk or self._people_waiting == 0):
                    self._next_slot = now + self.interval
                    return
                await asyncio.sleep(max(free_at - now, self.interval / 4))
        finally:
            if not bulk:
                self._people_waiting -= 1

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
        for attempt in range(self.max_retries + 1):
            if counted:
                await self._slot(bulk=rate_limit_args == BULK)
            else:
                await self._wait_for_pause()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == self.max_retries:
                    raise
                self.retries_after_429 += 1
                pause = _seconds(error.retry_after) + 0.1
                log.warning("Telegram asked to slow down: pausing all sends for %.1f s", pause)
                self._paused_until = max(self._paused_until, time.monotonic() + pause)
        raise AssertionError("unreachable")

    async def _wait_for_pause(self) -> None:
        delay = self._paused_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
