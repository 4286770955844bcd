"""Steps several tests share: getting a person through set-up, reading the database."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.emulator import SentMessage
from tests.e2e.person import Person


async def onboard(person: Person, zone_typed: str = "Berlin") -> None:
    """/start, no red flags, a typed time zone, default reminder times."""
    await person.say("/start", expect=2)
    await person.press_last("None of these")
    await person.say(zone_typed)
    await person.press_last("Keep these")
    assert "all set" in person.last.text


async def rows(engine: AsyncEngine, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.execute(text(sql), params)
        return [dict(row._mapping) for row in result]


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def session_card(person: Person, step: int) -> SentMessage | None:
    """The newest message whose buttons are for session step `step`."""
    for message in reversed(person.messages):
        data = [b.get("callback_data", "") for b in message.buttons()]
        if any(d.startswith("s:") and d.split(":")[2] == str(step) for d in data):
            return message
    return None


async def card_for_step(person: Person, step: int) -> SentMessage:
    """Wait for the newest message with buttons for session step `step`, and return it."""
    await wait_until(lambda: session_card(person, step) is not None, f"the card for step {step}")
    card = session_card(person, step)
    assert card is not None
    return card


async def wait_until(check: Callable[[], object], what: str, within: float = 30.0) -> None:
    """Poll `check` until it holds; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
