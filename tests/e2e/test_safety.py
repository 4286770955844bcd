"""The pain rules, the streak and the progression as a person meets them in the chat."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.programme import Programme, Safety
from tests.e2e.helpers import onboard, rows
from tests.e2e.history import PastSession, add_history, do_session
from tests.e2e.person import Person


async def test_severe_pain_before_a_session_pauses_it_with_the_advice_to_stop(
    bot: object, engine: AsyncEngine, alex: Person, safety: Safety
) -> None:
    await onboard(alex)
    await alex.say("/session")
    (pause,) = (await alex.press_last("9")).messages
    assert safety.stop_and_contact.text in pause.text
    assert "Our advice, not your handout's" in pause.text
    # No "go on" beside the advice to stop: only a way to correct a slip of the finger.
    assert pause.button_texts() == ["Stop for today", "I meant a different number"]
    pressed = await alex.press(pause, "Stop for today")
    # One short, kind message: no second rating, no summary, no invitation to exercise.
    (closing,) = pressed.messages
    assert "session ends here" in closing.text and "physiotherapist or doctor" in closing.text
    for unwanted in ("How much pain", "Session complete", "Not reached", "sessions a day"):
        assert unwanted not in closing.text
    # The advice to contact a clinician stays in the chat, with the choice made.
    kept = alex.emulator.messages[(alex.user_id, pause.message_id)]
    assert safety.stop_and_contact.text in kept.text and "Stop for today" in kept.text
    assert kept.reply_markup is None
    assert await rows(engine, "SELECT * FROM exercise_results") == []
    (session,) = await rows(engine, "SELECT status, pain_before, pain_after FROM sessions")
    assert session == {"status": "finished", "pain_before": 9, "pain_after": None}


async def test_a_session_stopped_for_pain_is_named_so_and_recalled_next_time(
    bot: object, alex: Person, safety: Safety
) -> None:
    await onboard(alex)
    await alex.say("/session")
    await alex.press_last("9")
    await alex.press_last("Stop for today")
    (history,) = await alex.say("/history")
    assert "(stopped for severe pain): pain before 9/10; no exercises." in history.text
    assert "finished" not in history.text and "Not reached" not in history.text
    _chart, figures = await alex.say("/progress", expect=2)
    assert "Ended before any exercise was done: 1 session" in figures.text
    (first,) = await alex.say("/session")
    assert "In the last few hours you rated your pain 9/10" in first.text
    assert safety.after_severe_stop.text in first.text
    assert "How much pain do you have right now?" in first.text


async def test_a_severe_rating_tapped_by_mistake_can_be_corrected(
    bot: object, engine: AsyncEngine, alex: Person, programme: Programme, safety: Safety
) -> None:
    await onboard(alex)
    await alex.say("/session")
    await alex.press_last("8")
    (again,) = (await alex.press_last("I meant a different number")).messages
    # The advice stays in the chat above the question asked again.
    assert safety.stop_and_contact.text in again.text
    assert "How much pain do you have right now?" in again.text
    assert programme.exercises[0].title not in again.text
    (first,) = (await alex.press_last("3")).messages
    assert programme.exercises[0].title in first.text
    (session,) = await rows(engine, "SELECT pain_before FROM sessions")
    assert session == {"pain_before": 3}


async def test_pain_above_five_after_a_session_gets_the_pain_monitoring_advice(
    bot: object, alex: Person, safety: Safety
) -> None:
    await onboard(alex)
    summary = await do_session(alex, "5", "6")
    assert safety.pain_monitoring.text in summary
    summary = await do_session(alex, "5", "5")
    assert safety.pain_monitoring.text not in summary


async def test_two_points_above_the_usual_level_gets_the_advice_even_when_low(
    bot: object, engine: AsyncEngine, alex: Person, programme: Programme, safety: Safety
) -> None:
    await onboard(alex)
    await add_history(engine, programme, alex.user_id, [PastSession(d, 1, 1) for d in (3, 2, 1)])
    # Usual level 1: a 2 is fine, a 3 is two points above it.
    assert safety.pain_monitoring.text not in await do_session(alex, "1", "2")
    assert safety.pain_monitoring.text in await do_session(alex, "1", "3")


async def test_pain_rising_over_three_sessions(
    bot: object, engine: AsyncEngine, alex: Person, programme: Programme, safety: Safety
) -> None:
    await onboard(alex)
    await add_history(engine, programme, alex.user_id, [PastSession(2, 2, 2), PastSession(1, 3, 3)])
    assert safety.rising_pain.text in await do_session(alex, "3", "4")


async def test_too_painful_twice_in_a_row_suggests_leaving_the_exercise_out(
    bot: object, alex: Person, safety: Safety, programme: Programme
) -> None:
    await onboard(alex)
    await alex.say("/session")
    await alex.press_last("2")
    first = await alex.press_last("✋ Too painful")
    assert [m for m in first.messages if safety.leave_out.text in m.text] == []
    await alex.press_last("Stop exercising, rate my pain")
    await alex.press_last("2")
    await alex.say("/session")
    await alex.press_last("2")
    second = await alex.press_last("✋ Too painful")
    (card,) = second.messages  # the advice heads the pause, in the same message
    assert safety.leave_out.text in card.text
    assert "What would you like to do?" in card.text


async def test_a_high_check_in_gets_advice(bot: object, alex: Person, safety: Safety) -> None:
    await onboard(alex)
    (reply,) = await alex.say("4")
    assert "⚠️" not in reply.text
    assert reply.button_texts() == ["Start session"]
    (reply,) = await alex.say("7")
    # About the pain, not about exercises that were not done; no invitation to exercise.
    assert safety.checkin_high.text in reply.text
    assert safety.pain_monitoring.text not in reply.text
    assert "Would you like to do your exercises" not in reply.text
    assert reply.button_texts() == []
    (reply,) = await alex.say("8")
    assert safety.checkin_severe.text in reply.text
    assert "8/10 or more is severe" in reply.text
    assert reply.button_texts() == []


async def test_a_check_in_above_the_usual_level_says_that_is_the_reason(
    bot: object, alex: Person, safety: Safety
) -> None:
    await onboard(alex)
    for score in ("1", "1", "1"):
        await alex.say(score)
    (reply,) = await alex.say("3")
    assert safety.checkin_above_usual.text in reply.text
    assert "2 points or more above your usual level" in reply.text
    assert "above 5/10" not in reply.text and "tomorrow morning" not in reply.text


async def test_safety_asks_the_red_flag_questions_again_without_starting_a_session(
    bot: object, engine: AsyncEngine, alex: Person, safety: Safety
) -> None:
    await onboard(alex)
    overview, question = await alex.say("/safety", expect=2)
    assert safety.stop_rule.text in overview.text
    # Each rule says what it is about; nothing is said twice; no pointer to itself.
    assert "above 5/10" in overview.text and "8/10 or more" in overview.text
    assert "3 sessions in a row" in overview.text
    assert (overview.text + question.text).count(safety.stop_rule.text) == 1
    assert "/safety" not in overview.text + question.text
    for symptom in safety.red_flags.symptoms:
        assert symptom in question.text
    assert "Before we start" not in question.text  # (set-up is long over)
    (offer,) = (await alex.press_last("None of these")).messages
    assert offer.button_texts() == ["Start session"]
    # Not "stop any exercise that hurts": mild stretching discomfort is expected.
    assert "sharp pain" in offer.text and "that hurts" not in offer.text
    assert await rows(engine, "SELECT * FROM sessions") == []
    await alex.say("/safety", expect=2)
    (care,) = (await alex.press_last("Yes, I have one of these")).messages
    assert safety.red_flags.seek_care in care.text
    (user,) = await rows(engine, "SELECT red_flags FROM users")
    assert user["red_flags"] == "reported"


async def test_streak_progression_once_and_no_third_session_nudge(
    bot: object, engine: AsyncEngine, alex: Person, programme: Programme, safety: Safety
) -> None:
    await onboard(alex)
    await add_history(
        engine, programme, alex.user_id, [PastSession(d, 1, 0) for d in range(6, 0, -1)]
    )
    summary = await do_session(alex, "1", "1")
    assert "🔥 7 days in a row with a session." in summary
    assert "Ready for more?" in summary
    bridge = next(e for e in programme.exercises if e.progression)
    assert bridge.progression is not None and bridge.progression in summary
    (user,) = await rows(engine, "SELECT progression_offered_at FROM users")
    assert user["progression_offered_at"] is not None

    summary = await do_session(alex, "1", "1")
    assert "Ready for more?" not in summary  # once
    assert safety.over_exercise.text in summary  # two today: rest, don't chase more


async def test_high_pain_before_a_session_is_advice_about_today_not_next_time(
    bot: object, alex: Person, safety: Safety
) -> None:
    await onboard(alex)
    await alex.say("/session")
    (first,) = (await alex.press_last("6")).messages
    assert safety.checkin_high.text in first.text
    assert "Next time" not in first.text and "during or after" not in first.text
    assert "Exercise 1 of 6" in first.text


async def test_a_low_check_in_soon_after_a_high_one_is_no_invitation(
    bot: object, alex: Person, safety: Safety
) -> None:
    await onboard(alex)
    await alex.say("10")
    (reply,) = await alex.say("3")
    assert "Would you like to do your exercises" not in reply.text
    assert reply.button_texts() == []
    assert safety.checkin_after_severe.text in reply.text  # the 10 is not forgotten
    # And a session started now begins with it, whichever button starts it.
    (first,) = await alex.say("/session")
    assert "In the last few hours you rated your pain 10/10" in first.text
