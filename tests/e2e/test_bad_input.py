"""Wrong numbers, text at the wrong time, unknown commands, stickers, groups: a clear answer
and nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.emulator import BotApiEmulator
from tests.e2e.helpers import onboard, rows
from tests.e2e.person import Person

BAD_PAIN = {
    "11": "from 0 to 10",
    "-1": "from 0 to 10",
    "seven": "as a number",
    "5.5": "whole number",
    "😖": "as a number",
    "x" * 4000: "as a number",
}


@pytest.mark.parametrize("typed", list(BAD_PAIN))
async def test_bad_pain_in_a_session_is_explained_and_not_stored(
    bot: object, engine: AsyncEngine, alex: Person, typed: str
) -> None:
    await onboard(alex)
    await alex.press_last("Start session")
    (reply,) = await alex.say(typed)
    assert BAD_PAIN[typed] in reply.text
    # The scale comes again with the explanation, so the person is never stuck.
    assert reply.button_texts() == [str(n) for n in range(11)]
    (session,) = await rows(engine, "SELECT step, pain_before FROM sessions")
    assert session == {"step": 0, "pain_before": None}
    # The right answer still works afterwards, typed instead of tapped.
    (exercise,) = await alex.say("3")
    assert "Exercise 1 of 6" in exercise.text
    assert (await rows(engine, "SELECT pain_before FROM sessions"))[0]["pain_before"] == 3


@pytest.mark.parametrize("typed", list(BAD_PAIN))
async def test_bad_checkin_outside_a_session_is_not_stored(
    bot: object, engine: AsyncEngine, alex: Person, typed: str
) -> None:
    await onboard(alex)
    (reply,) = await alex.say(typed)
    if typed in ("11", "-1", "5.5"):
        assert BAD_PAIN[typed] in reply.text
    else:
        assert "didn't catch that" in reply.text
    assert await rows(engine, "SELECT * FROM pain_checkins") == []


async def test_a_bare_number_outside_a_session_is_a_checkin(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    await onboard(alex)
    (reply,) = await alex.say(" 4 ")
    assert "noted pain 4/10" in reply.text
    assert reply.button_texts() == ["Start session"]
    (checkin,) = await rows(engine, "SELECT score, recorded_at FROM pain_checkins")
    assert checkin["score"] == 4


async def test_a_number_during_set_up_is_kept_and_set_up_goes_on(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    """Typed instead of tapping the red-flags question's button: the rating is kept, and
    the question comes again rather than an invitation to a session that can't start."""
    await alex.say("/start")
    noted, question = await alex.say("1")
    assert noted.text.startswith("Thanks, I've noted pain 1/10. Before your first session")
    assert noted.button_texts() == []
    assert question.button_texts() == ["None of these", "Yes, I have one of these"]
    (checkin,) = await rows(engine, "SELECT score FROM pain_checkins")
    assert checkin["score"] == 1
    # Someone who reported a warning sign hears that again, not "your first session".
    await alex.press(question, "Yes, I have one of these")
    noted, question = await alex.say("2")
    assert noted.text.startswith("Thanks, I've noted pain 2/10. Last time you told me")
    assert "first session" not in noted.text
    assert question.button_texts() == ["None of these", "Yes, I have one of these"]


async def test_free_text_in_the_middle_of_an_exercise(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    await onboard(alex)
    await alex.press_last("Start session")
    await alex.press_last("5")
    (reply,) = await alex.say("done it")
    assert "waiting for a button" in reply.text
    # A number typed here is neither a result nor a check-in: most likely pain right
    # now, so the reply says how to tell the bot that.
    (reply,) = await alex.say("7")
    assert "ask for your pain rating after the exercises" in reply.text
    assert "Too painful" in reply.text
    assert await rows(engine, "SELECT * FROM exercise_results") == []
    assert await rows(engine, "SELECT * FROM pain_checkins") == []
    assert (await rows(engine, "SELECT step FROM sessions"))[0]["step"] == 1


async def test_unknown_command_sticker_and_photo_get_an_answer(
    bot: object, alex: Person, engine: AsyncEngine
) -> None:
    await onboard(alex)
    (reply,) = await alex.say("/dance")
    assert "don't know that command" in reply.text
    (reply,) = await alex.send_sticker()
    assert "only read text" in reply.text
    (reply,) = await alex.send_photo()
    assert "only read text" in reply.text
    assert await rows(engine, "SELECT * FROM sessions") == []


async def test_empty_text_before_start_asks_for_start(
    bot: object, alex: Person, engine: AsyncEngine
) -> None:
    (reply,) = await alex.say("hello?")
    assert "/start" in reply.text
    assert await rows(engine, "SELECT * FROM users") == []


async def test_group_chat_is_refused_and_nothing_stored(
    bot: object, emulator: BotApiEmulator, alex: Person, engine: AsyncEngine
) -> None:
    group = -5001
    emulator.add_group_chat(group)
    await emulator.send_text(alex.user_id, "/start", chat_id=group)
    await emulator.send_text(alex.user_id, "4", chat_id=group)
    await emulator.settle()
    replies = emulator.bot_messages(group)
    assert len(replies) == 2
    assert all("only work in a private chat" in m.text for m in replies)
    assert await rows(engine, "SELECT * FROM users") == []


async def test_unknown_time_zone_is_asked_again(
    bot: object, alex: Person, engine: AsyncEngine
) -> None:
    await alex.say("/start", expect=2)
    await alex.press_last("None of these")
    (reply,) = await alex.say("Atlantis")
    assert "couldn't find a time zone" in reply.text
    (reply,) = await alex.say("+05:30")
    assert "Asia/Kolkata" in reply.text
    (user,) = await rows(engine, "SELECT time_zone FROM users")
    assert user["time_zone"] == "Asia/Kolkata"


async def test_invalid_reminder_times_are_asked_again(
    bot: object, alex: Person, engine: AsyncEngine
) -> None:
    await alex.say("/start", expect=2)
    await alex.press_last("None of these")
    await alex.press_last("Europe/London")
    await alex.press_last("Change times")
    for typed in ("25:00, 18:00", "7.5", "noon?"):
        (reply,) = await alex.say(typed)
        assert "couldn't read two times" in reply.text
    (reply,) = await alex.say("19:15 and 07:30")
    assert "07:30" in reply.text and "19:15" in reply.text
    (user,) = await rows(engine, "SELECT * FROM users")
    assert (user["morning_reminder"], user["evening_reminder"]) == ("07:30", "19:15")
    assert user["time_zone"] == "Europe/London"
    assert user["onboarding"] == "done"
