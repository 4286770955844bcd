"""A whole session, from /start to the summary, against the emulator and a real database."""

from __future__ import annotations

import asyncio
import collections
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.emulator import BotApiEmulator
from bot.programme import Programme
from tests.e2e.helpers import onboard, rows
from tests.e2e.person import Person


async def test_full_session_is_guided_and_stored(
    bot: object,
    engine: AsyncEngine,
    alex: Person,
    quick_programme: Programme,
    emulator: BotApiEmulator,
) -> None:
    await onboard(alex)
    (first,) = (await alex.press_last("Start session")).messages
    assert "How much pain do you have right now?" in first.text
    assert first.button_texts() == [str(n) for n in range(11)]

    pressed = await alex.press(first, "4")
    assert pressed.answer == "Saved"
    # The tapped message records the answer and becomes the next step.
    assert emulator.messages[(alex.user_id, first.message_id)].text.startswith(
        "Pain before: 4/10\n\nExercise 1 of 6"
    )

    expected_steps = [
        (exercise, side) for exercise in quick_programme.exercises for side in exercise.sides
    ]
    assert len(expected_steps) == 11  # the bridge once, five exercises on each side
    for exercise, side in expected_steps:
        shown = alex.last
        # The handout's words, unchanged: name, objective, how-to and dose.
        assert exercise.title in shown.text
        assert exercise.dose in shown.text
        if side != "right":  # the second side is short: the instructions are one tap away
            assert exercise.objective in shown.text
            assert exercise.instructions in shown.text
        if side:
            assert f"{side} side" in shown.text
            assert exercise.side_note(side) in shown.text  # which leg
        if exercise.hold_seconds:
            assert f"⏱ Start 1 s timer ({side} side)" in shown.button_texts()
        await alex.press(shown, "✅ Done")

    assert "And now, how much pain do you have?" in alex.last.text
    summary = (await alex.press_last("2")).messages[0]
    assert "Session complete." in summary.text
    assert "6 of 6 exercises done" in summary.text
    assert "Pain: 4/10 before, 2/10 after (down 2)." in summary.text

    (session,) = await rows(engine, "SELECT * FROM sessions")
    assert session["status"] == "finished"
    assert (session["pain_before"], session["pain_after"]) == (4, 2)
    assert session["finished_at"] is not None
    results = await rows(engine, "SELECT * FROM exercise_results ORDER BY step")
    assert [(r["exercise_key"], r["side"], r["outcome"]) for r in results] == [
        (exercise.key, side, "done") for exercise, side in expected_steps
    ]
    (user,) = await rows(engine, "SELECT * FROM users")
    assert (user["telegram_user_id"], user["chat_id"]) == (alex.user_id, alex.user_id)
    assert user["time_zone"] == "Europe/Berlin"
    assert (user["morning_reminder"], user["evening_reminder"]) == ("08:00", "18:00")
    assert user["red_flags"] == "none"
    # Times are stored in UTC: the stored start is within a minute of now, read as UTC.
    started = datetime.fromisoformat(str(session["started_at"])).replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - started).total_seconds()) < 120


async def test_bot_profile_is_set_at_start(bot: object, emulator: BotApiEmulator) -> None:
    commands = [c["command"] for c in emulator.bot_profile["commands"]]
    assert commands == [
        "session",
        "reminders",
        "pause",
        "resume",
        "progress",
        "history",
        "learn",
        "safety",
        "export",
        "delete",
        "cancel",
        "start",
        "help",
    ]
    assert "Buttocks Pain Relief Exercises" in emulator.bot_profile["description"]
    assert 0 < len(emulator.bot_profile["short_description"]) <= 120


COUNTED = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto"}


async def test_messages_per_tap_over_a_whole_session(
    bot: object, alex: Person, emulator: BotApiEmulator
) -> None:
    """Telegram's ~30 messages a second are for the whole bot, and a send or an edit
    each counts: a tap edits its own message into the next step (one), and only a
    hold's end sends a new message (and takes the buttons off the old one)."""
    await onboard(alex)
    await alex.press_last("Start session")
    start, taps = len(emulator.requests), 0
    await alex.press_last("4")
    taps += 1
    while "And now, how much pain do you have?" not in alex.last.text:
        timer = [label for label in alex.last.button_texts() if label.startswith("⏱")]
        if timer:  # hold every stretch with its timer, as the handout's 30 s
            await alex.press_last(timer[0])
            taps += 1
            for _ in range(300):
                if "is up</b>" in alex.last.html:  # (the hold itself says "when the time is up")
                    break
                await asyncio.sleep(0.01)
        await alex.press_last("✅ Done")
        taps += 1
    await alex.press_last("2")
    taps += 1
    await emulator.settle()
    sent = [method for method, _ in emulator.requests[start:] if method in COUNTED]
    per_tap = len(sent) / taps
    print(f"messages per tap: {len(sent)} / {taps} = {per_tap:.2f}", collections.Counter(sent))
    assert taps == 1 + 11 + 4 + 1  # pain, 11 steps, 4 holds, pain
    assert per_tap <= 1.5
