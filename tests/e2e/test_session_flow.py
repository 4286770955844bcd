"""A whole session, from /start to the summary, against the emulator and a real database."""

from __future__ import annotations

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
    assert emulator.messages[(alex.user_id, first.message_id)].text == "Pain before: 4/10"

    expected_steps = [
        (exercise, side) for exercise in quick_programme.exercises for side in exercise.sides
    ]
    assert len(expected_steps) == 11  # the bridge once, five exercises on each side
    for exercise, side in expected_steps:
        shown = alex.last
        # The handout's words, unchanged: name, objective, how-to and dose.
        assert exercise.title in shown.text
        assert exercise.objective in shown.text
        assert exercise.instructions in shown.text
        assert exercise.dose in shown.text
        if side:
            assert f"{side} side" in shown.text
        if exercise.hold_seconds:
            assert "⏱ Start 1 s timer" in shown.button_texts()
        await alex.press(shown, "✅ Done")

    assert "How much pain do you have now?" in alex.last.text
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
