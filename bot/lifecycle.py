"""Starting and stopping the bot, the same way in polling and webhook mode.

1. The database is created and migrated first, before anything waits for Telegram, so
   an operator sees `data/bot.db` (or the PostgreSQL tables) whatever the network does.
2. Telegram is reached (getMe): while it can't be, the bot says so in one line per try,
   with the real pause before the next (1, 2, 4 ... 30 s), and keeps trying. A refused
   token ends the start (the caller prints one line).
3. SIGTERM and SIGINT stop the bot at any moment - while it waits for Telegram too -
   within the README's 10 seconds: the updates in hand are finished, nothing new taken.

PTB's `run_polling` does 2 and 3 its own way (retries logged at DEBUG, a first pause of
0.5 s whatever the real one, and its wait cannot be interrupted in webhook mode, which
does not use it), so both modes use these steps instead.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from telegram.error import BadRequest, NetworkError, TelegramError

from bot.telegram.transport import describe

log = logging.getLogger(__name__)

# Pauses while Telegram can't be reached at start: 1, 2, 4 ... 30 seconds.
RETRY_FIRST = 1.0
RETRY_MAX = 30.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT, for the running loop."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        with suppress(NotImplementedError):  # (not on Windows)
            loop.add_signal_handler(signum, stopping.set)
    return stopping


async def until_reachable(
    action: Callable[[], Awaitable[Any]], what: str, stopping: asyncio.Event
) -> bool:
    """Do `action` (a first call to Telegram), trying again while Telegram can't be
    reached; False if a stop was asked for first. InvalidToken and BadRequest go to the
    caller: trying again would not help."""
    delay = RETRY_FIRST
    while True:
        try:
            done = await _unless_stopped(action(), stopping)
        except NetworkError as error:
            if isinstance(error, BadRequest):
                raise
            log.warning(
                "Telegram can't be reached (%s: %s): trying again in %.0f s",
                what,
                describe(error),
                delay,
            )
            with suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
            if stopping.is_set():
                return False
            delay = min(delay * 2, RETRY_MAX)
            continue
        return done


async def _unless_stopped(action: Awaitable[Any], stopping: asyncio.Event) -> bool:
    """Await `action`, or cancel it when a stop is asked for (False)."""
    task = asyncio.ensure_future(action)
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait((task, stop), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if not task.done():
        task.cancel()
        with suppress(asyncio.CancelledError, TelegramError):
            await task
        return False
    task.result()  # (raises what the action raised)
    return True


def polling_error(error: TelegramError) -> None:
    """A failed getUpdates while running, as one line (PTB's own logs a traceback each
    time); PTB tries again after a pause that grows to 30 s."""
    log.warning(
        "Telegram can't be reached (getUpdates: %s): polling again shortly", describe(error)
    )
