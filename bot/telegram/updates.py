"""Updates from different people side by side; one person's updates in the order they came.

PTB handles one update at a time unless told otherwise, and then a person whose tap waits
for the database or for Telegram holds up everyone behind them. Its concurrent mode, on
the other hand, would let two taps of the same person race each other: a "Done" and the
next "Done" applied out of order, or a reply to a message not yet answered. This processor
keeps each chat in order and lets different chats overlap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.metrics import Metrics

# Enough to overlap the waits of one update (database, Telegram) with the work of
# others. On PostgreSQL, few enough that every update in flight gets a pooled connection
# (SQLAlchemy's default pool holds 15) with room for the reminder sender; on SQLite the
# engine has one connection, which they take in turn (bot/store/engine.py).
MAX_CONCURRENT_UPDATES = 8
# Updates accepted from the queue and waiting for their chat's turn or a slot.
WAITING_UPDATES = 1024


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0  # updates of this chat running or waiting


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES, metrics: Metrics | None = None
    ) -> None:
        # PTB's own semaphore (taken before `do_process_update`) only bounds the updates
        # waiting here; the real bound is `_slots`, taken after the chat's turn, so that a
        # person who taps ten times in a row waits for their own updates without holding
        # the slots others need.
        super().__init__(WAITING_UPDATES)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._turns: dict[int, _Turn] = {}
        self.metrics = metrics

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        if self.metrics is None:
            await self._in_turn(update, coroutine)
            return
        started = time.perf_counter()
        try:
            await self._in_turn(update, coroutine)
        finally:
            kind = update_kind(update)
            self.metrics.updates.labels(kind).observe(time.perf_counter() - started)

    async def _in_turn(self, update: object, coroutine: Awaitable[object]) -> None:
        key = chat_key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        turn = self._turns.setdefault(key, _Turn())
        turn.holders += 1
        try:
            # asyncio.Lock is first come, first served, and PTB starts one task per update
            # in the order the updates arrived: each chat's order is kept.
            async with turn.lock, self._slots:
                await coroutine
        finally:
            turn.holders -= 1
            if not turn.holders:
                del self._turns[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


# The kinds a private bot mostly gets, as a metric label; the rest are "other".
_KINDS = ("message", "callback_query", "edited_message", "my_chat_member")


def update_kind(update: object) -> str:
    for kind in _KINDS:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


def chat_key(update: object) -> int | None:
    """The chat an update belongs to (the person, for updates without a chat)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None
