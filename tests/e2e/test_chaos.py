"""A whole session through Telegram's bad moments, in one run: a burst of 5xx, a send
that hangs past the time-out and is carried out after all, an answer to a tap that does
the same, an edit carried out only after the bot has given up on it (and moved on), an
outage of several seconds, a lone 500. The person taps through as they
would, always on the newest message with the session's buttons; at the end every step
and side has exactly one result, both pain ratings are stored, every tap was answered
(or, during the outage, could not be), and nothing was logged as a fault of ours.

(Killing the process at random moments is tested on its own, in test_restart.py.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.emulator import BotApiEmulator
from tests.e2e.helpers import card_for_step, onboard, rows, wait_until
from tests.e2e.person import Person


async def test_a_whole_session_through_telegram_s_bad_moments(
    bot: object,
    emulator: BotApiEmulator,
    alex: Person,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await onboard(alex)
    await alex.press_last("Start session")
    faults: dict[int, Callable[[], None]] = {
        1: lambda: emulator.fail_next("editMessageText", 502, "Bad Gateway", count=2),
        3: lambda: emulator.hang_next("answerCallbackQuery", 6.0, carried_out="at once"),
        4: lambda: emulator.drop_next("editMessageText"),
        5: lambda: emulator.hang_next("editMessageText", 6.0, carried_out="at once"),
        6: lambda: emulator.hang_next("editMessageText", 6.0, carried_out="never"),
        7: lambda: emulator.fail_for(3.0),
        9: lambda: emulator.fail_next("editMessageText", 500, "Internal Server Error"),
        10: lambda: emulator.hang_next("editMessageText", 8.0, carried_out="late"),
        12: lambda: emulator.fail_next("editMessageText", 502, "Bad Gateway"),
    }
    taps = ["4", *["✅ Done"] * 11, "2"]
    for step, label in enumerate(taps):
        card = await card_for_step(alex, step)
        faults.get(step, lambda: None)()
        await emulator.press(alex.user_id, card.snapshot(), label)
        if step < len(taps) - 1:
            continue
        await wait_until(
            lambda: any("Session complete" in m.text for m in alex.messages), "the end"
        )
    await emulator.settle(quiet=1.0, within=30)
    await asyncio.sleep(1.5)  # the hung requests land meanwhile

    results = await rows(engine, "SELECT step, outcome FROM exercise_results ORDER BY step")
    assert [r["step"] for r in results] == list(range(1, 12))  # one per step and side
    assert {r["outcome"] for r in results} == {"done"}
    (session,) = await rows(engine, "SELECT status, pain_before, pain_after FROM sessions")
    assert session == {"status": "finished", "pain_before": 4, "pain_after": 2}
    assert await rows(engine, "SELECT * FROM pending_replies") == []
    assert len([m for m in alex.messages if "Session complete" in m.text]) == 1
    # Telegram's failures are warnings; nothing is an error of ours.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text
    # (The fixture checks that every request was valid and every tap answered.)
