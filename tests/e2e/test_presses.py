"""Double taps, old buttons, "too painful", timers, leaving and resuming."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.emulator import BotApiEmulator, SentMessage
from bot.store.hot_pg import CONNECTIONS
from tests.e2e.helpers import onboard, rows
from tests.e2e.person import Person


async def _to_first_exercise(alex: Person) -> None:
    await onboard(alex)
    await alex.press_last("Start session")
    await alex.press_last("5")


async def test_double_tap_records_once(bot: object, engine: AsyncEngine, alex: Person) -> None:
    await _to_first_exercise(alex)
    exercise = alex.last.snapshot()  # what the phone shows before the first tap lands
    first = await alex.press(exercise, "✅ Done")
    second = await alex.press(exercise, "✅ Done", expect=0)
    assert first.answer == "Saved" and len(first.messages) == 1
    assert second.answer is not None and "Already recorded" in second.answer
    assert second.messages == []
    results = await rows(engine, "SELECT step, outcome FROM exercise_results")
    assert results == [{"step": 1, "outcome": "done"}]
    assert (await rows(engine, "SELECT step FROM sessions"))[0]["step"] == 2


async def test_stale_button_from_an_older_message_does_not_skip_ahead(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    await _to_first_exercise(alex)
    old = alex.last.snapshot()
    await alex.press(old, "✅ Done")  # now on exercise 2, left side
    stale = await alex.press(old, "⏭ Skip", expect=0)
    assert stale.answer is not None and "Already recorded" in stale.answer
    (result,) = await rows(engine, "SELECT outcome FROM exercise_results")
    assert result["outcome"] == "done"
    assert (await rows(engine, "SELECT step FROM sessions"))[0]["step"] == 2


def live_session_messages(person: Person) -> list[SentMessage]:
    """The chat's messages that still carry buttons of a session."""
    return [
        m
        for m in person.messages
        if any(b.get("callback_data", "").startswith("s:") for b in m.buttons())
    ]


async def test_an_answered_step_becomes_the_next_in_the_same_message(
    bot: object, alex: Person, emulator: BotApiEmulator
) -> None:
    await _to_first_exercise(alex)
    shown = alex.last
    pressed = await alex.press(shown, "⏭ Skip")
    (edited,) = pressed.messages
    assert edited.message_id == shown.message_id  # no new message: one request
    assert edited.text.startswith("Glute Hip Bridge: ⏭ Skipped\n\nExercise 2 of 6")
    assert live_session_messages(alex) == [edited]


async def test_typed_answers_leave_one_live_keyboard(bot: object, alex: Person) -> None:
    await onboard(alex)
    await alex.press_last("Start session")
    for typed in ("11", "five"):
        await alex.say(typed)
        await alex.emulator.settle(quiet=0.3)  # the old keyboard goes just after the new
        assert len(live_session_messages(alex)) == 1
    await alex.say("4")
    await alex.emulator.settle(quiet=0.3)
    (live,) = live_session_messages(alex)
    assert "Exercise 1 of 6" in live.text


async def test_instructions_again_repeats_without_recording(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    await _to_first_exercise(alex)
    await alex.press_last("✅ Done")  # now the left side of the prone hip extension
    await alex.press_last("✅ Done")  # the right side: short
    shown = alex.last.snapshot()
    assert "Lie face down" not in shown.text
    (again,) = (await alex.press(shown, "📖 Instructions again")).messages
    assert again.message_id == shown.message_id and "Lie face down" in again.text
    assert live_session_messages(alex) == [again]
    assert len(await rows(engine, "SELECT * FROM exercise_results")) == 2
    # The message as it was and as it is now act on the same step, once.
    await alex.press(again, "✅ Done")
    late = await alex.press(shown, "✅ Done", expect=0)
    assert late.answer is not None and "Already recorded" in late.answer
    assert len(await rows(engine, "SELECT * FROM exercise_results")) == 3


async def test_too_painful_is_recorded_and_advice_given_without_pressing_on(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    await _to_first_exercise(alex)
    (advice,) = (await alex.press_last("✋ Too painful")).messages
    assert "Avoid symptom-triggering activities until well-managed." in advice.text
    assert "Resuming sports" not in advice.text  # the handout's, but beside the point here
    assert advice.button_texts() == ["Go on to the next one", "Stop exercising, rate my pain"]
    (result,) = await rows(engine, "SELECT outcome FROM exercise_results")
    assert result["outcome"] == "too_painful"
    # Text while paused does not move anything on.
    (reply,) = await alex.say("ok")
    assert "waiting for a button" in reply.text
    # Stopping goes straight to the closing pain rating; the rest is "not reached".
    (rating,) = (await alex.press(advice, "Stop exercising, rate my pain")).messages
    assert "And now, how much pain do you have?" in rating.text
    (summary,) = (await alex.press(rating, "6")).messages
    assert "Session ended early. 0 of 6 exercises done" in summary.text
    assert "✋ Too painful: Glute Hip Bridge" in summary.text
    assert "➖ Not reached: Piriformis Stretch" in summary.text
    assert "(right side)" not in summary.text  # both sides ended alike: one line
    assert "(up 1)" in summary.text
    (session,) = await rows(engine, "SELECT status, pain_before, pain_after FROM sessions")
    assert session == {"status": "finished", "pain_before": 5, "pain_after": 6}
    assert len(await rows(engine, "SELECT * FROM exercise_results")) == 1
    # The records say the same: ended early, not counted, and its pain not hidden.
    (history,) = await alex.say("/history")
    assert "(ended early)" in history.text
    _chart, figures = await alex.say("/progress", expect=2)
    assert "Ended before any exercise was done: 1 session" in figures.text
    assert "on average: up 1.0 points" in figures.text


async def test_too_painful_then_go_on(bot: object, engine: AsyncEngine, alex: Person) -> None:
    await _to_first_exercise(alex)
    await alex.press_last("✋ Too painful")
    (nxt,) = (await alex.press_last("Go on to the next one")).messages
    # What the pause was about stays named above the next exercise.
    assert nxt.text.startswith("Glute Hip Bridge: ✋ Too painful. You chose: Go on to the next one")
    assert "Exercise 2 of 6: Prone Hip Extension" in nxt.text
    assert "left side" in nxt.text


async def test_a_summary_says_what_each_side_was_when_they_differ(
    bot: object, alex: Person
) -> None:
    await _to_first_exercise(alex)
    await alex.press_last("✅ Done")  # the bridge
    await alex.press_last("✅ Done")  # prone hip extension, left
    await alex.press_last("⏭ Skip")  # and right
    for _ in range(8):
        await alex.press_last("✅ Done")
    (summary,) = (await alex.press_last("2")).messages
    assert "5 of 6 exercises done in full." in summary.text
    assert "◐ Prone Hip Extension: left side ✅ Done; right side ⏭ Skipped" in summary.text
    assert "✅ Done: Glute Hip Bridge" in summary.text


async def test_hold_timer_counts_and_says_switch_sides(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    await _to_first_exercise(alex)
    for _ in range(7):  # bridge, then both sides of three exercises
        await alex.press_last("✅ Done")
    stretch = alex.last.snapshot()
    assert "Figure 4 Stretch" in stretch.text and "left side" in stretch.text
    assert "your left ankle over your right thigh" in stretch.text  # which leg
    pressed = await alex.press(stretch, "⏱ Start 1 s timer (left side)")
    assert pressed.answer == "Timer started"
    (holding,) = pressed.messages
    assert "Hold for 1 second (left side): Figure 4 Stretch" in holding.text
    assert not [label for label in holding.button_texts() if "Start" in label]
    # Every button keeps its place: a quick second tap on the timer's spot lands on a
    # button that only says the timer runs, never on "Too painful".
    assert holding.button_texts().index("⏱ Timer running…") == 2
    assert stretch.button_texts().index("⏱ Start 1 s timer (left side)") == 2
    again = await alex.press(holding, "⏱ Timer running…", expect=0)
    assert again.answer == "The timer is already running."
    stale = await alex.press(stretch, "⏱ Start 1 s timer (left side)", expect=0)
    assert stale.answer == "The timer is already running."
    for _ in range(300):
        if "1 second is up" in alex.last.text:
            break
        await asyncio.sleep(0.01)
    up = alex.last
    # The end of the hold names the exercise and the side, and its buttons act on it.
    assert "1 second is up</b>: Figure 4 Stretch (left side)" in up.html
    assert "Press Done to record the left side" in up.text
    await alex.emulator.settle(quiet=0.3)  # the old message's buttons go just after
    assert live_session_messages(alex) == [up]
    assert (await rows(engine, "SELECT timer_ends_at FROM sessions"))[0]["timer_ends_at"] is None
    (right,) = (await alex.press(up, "✅ Done")).messages
    assert right.text.startswith("Figure 4 Stretch (left side): ✅ Done")
    assert "Exercise 5 of 6: Figure 4 Stretch (right side)" in right.text
    assert "⏱ Start 1 s timer (right side)" in right.button_texts()
    results = await rows(engine, "SELECT step, side FROM exercise_results WHERE step >= 8")
    assert results == [{"step": 8, "side": "left"}]


async def test_cancel_then_resume_the_same_day(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    await _to_first_exercise(alex)
    await alex.press_last("✅ Done")
    left_on = alex.last.snapshot()
    (reply,) = await alex.say("/cancel")
    assert "Everything you've done is saved" in reply.text
    assert (await rows(engine, "SELECT status FROM sessions"))[0]["status"] == "left"
    # After leaving, the old buttons don't act, and a number is a check-in.
    stale = await alex.press(left_on, "✅ Done", expect=0)
    assert stale.answer is not None and "You left this session" in stale.answer
    (reply,) = await alex.say("/session")
    assert "carry on where you left off" in reply.text
    assert "Prone Hip Extension" in reply.text and "left side" in reply.text
    await alex.press_last("✅ Done")
    (session,) = await rows(engine, "SELECT status, step FROM sessions")
    assert session == {"status": "open", "step": 3}
    assert len(await rows(engine, "SELECT * FROM exercise_results")) == 2


async def test_start_again_is_harmless(bot: object, engine: AsyncEngine, alex: Person) -> None:
    await onboard(alex)
    (reply,) = await alex.say("/start")
    assert "Welcome back, Alex!" in reply.text
    assert reply.button_texts() == ["Start session"]
    assert len(await rows(engine, "SELECT * FROM users")) == 1


async def test_red_flag_stops_exercises(bot: object, engine: AsyncEngine, alex: Person) -> None:
    await alex.say("/start", expect=2)
    (care,) = (await alex.press_last("Yes, I have one of these")).messages
    assert "get medical help today" in care.text
    assert "do not start these exercises" in care.text
    (asked,) = await alex.say("/session")
    assert asked.text.startswith("Last time you told me you have one of these warning signs")
    assert "Before we start. Do you have any of these right now?" in asked.text
    assert await rows(engine, "SELECT * FROM sessions") == []
    (user,) = await rows(engine, "SELECT red_flags FROM users")
    assert user["red_flags"] == "reported"


async def test_help_and_learn(bot: object, alex: Person) -> None:
    (reply,) = await alex.say("/help")
    for command in (
        "/session",
        "/learn",
        "/cancel",
        "/start",
        "/help",
        "/progress",
        "/export",
        "/delete",
    ):
        assert command in reply.text
    (reply,) = await alex.say("/learn")
    for heading in ("What causes buttocks pain?", "How is it treated?", "How to prevent"):
        assert heading in reply.text
    assert "myofascial trigger points" in reply.text


async def test_double_taps_during_set_up_change_nothing(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    await alex.say("/start", expect=2)
    question = alex.last.snapshot()
    await alex.press(question, "None of these")
    again = await alex.press(question, "None of these", expect=0)
    assert again.answer == "Already answered."
    zones = alex.last.snapshot()
    await alex.press(zones, "Europe/London")
    again = await alex.press(zones, "America/Chicago", expect=0)
    assert again.answer == "Already saved."
    reminders = alex.last.snapshot()
    await alex.press(reminders, "Keep these")
    again = await alex.press(reminders, "Keep these", expect=0)
    assert again.answer == "Saved."
    assert await rows(engine, "SELECT * FROM sessions") == []
    (user,) = await rows(engine, "SELECT time_zone, onboarding FROM users")
    assert user == {"time_zone": "Europe/London", "onboarding": "done"}


class Statements:
    """The statements the bot sends its database meanwhile (their first word): those of its
    engine and, on PostgreSQL, those of the pool a tap's read and write go to
    (bot.store.hot_pg). For the engine's, on PostgreSQL, whether the server had each in a
    transaction (`in_transaction`); the pool reports BEGIN and COMMIT as statements of
    their own, so a transaction there would show among the first words."""

    def __init__(self, bot: Any) -> None:
        store = bot.bot_data["store"]
        self.engine = store.engine.sync_engine
        self.hot_pool = store.hot.pool if store.hot is not None else None
        self.first_words: list[str] = []
        self.in_transaction: list[bool] = []
        self.watching = False
        for job in bot.job_queue.get_jobs_by_name("reminders"):
            job.enabled = False  # its sweep uses the same engine; it must not be counted

    def _seen(self, conn: Any, _cursor: object, statement: str, *_args: object) -> None:
        self.first_words.append(statement.split()[0].upper())
        driver = conn.connection.driver_connection
        if hasattr(driver, "is_in_transaction"):  # asyncpg asks the server's status
            self.in_transaction.append(driver.is_in_transaction())

    def _seen_in_pool(self, query: Any) -> None:
        if self.watching:
            self.first_words.append(query.query.split()[0].upper())

    async def __aenter__(self) -> Statements:
        event.listen(self.engine, "after_cursor_execute", self._seen)
        if self.hot_pool is not None:
            # Every connection of the pool at once (it holds CONNECTIONS, all open), each
            # told to report its queries from now on.
            taken = [await self.hot_pool.acquire() for _ in range(CONNECTIONS)]
            for connection in taken:
                connection.add_query_logger(self._seen_in_pool)
            for connection in taken:
                await self.hot_pool.release(connection)
        self.watching = True
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.watching = False
        event.remove(self.engine, "after_cursor_execute", self._seen)


async def test_a_plain_done_costs_one_read_and_one_write(
    bot: Any, engine: AsyncEngine, alex: Person
) -> None:
    """The person and their session are read once; the answer is one write: on SQLite an
    update and an insert in one transaction, on PostgreSQL one statement outside any
    transaction (a round trip to the server each, and BEGIN and COMMIT would be two more)."""
    await _to_first_exercise(alex)
    await asyncio.sleep(0.1)  # a sweep already under way ends
    async with Statements(bot) as seen:
        await alex.press_last("✅ Done")
    if engine.dialect.name == "postgresql":
        assert seen.first_words == ["SELECT", "WITH"]  # both in the taps' pool, no BEGIN
        assert seen.in_transaction == []  # (the engine ran none of them)
    else:
        assert seen.first_words == ["SELECT", "UPDATE", "INSERT"]
    recorded = await rows(engine, "SELECT step, outcome FROM exercise_results")
    assert recorded == [{"step": 1, "outcome": "done"}]
    assert (await rows(engine, "SELECT step FROM sessions"))[0]["step"] == 2


async def test_a_session_s_start_reads_its_history_in_three_statements_and_starts_in_one(
    bot: Any, engine: AsyncEngine, alex: Person, emulator: BotApiEmulator
) -> None:
    """/session, with a session of an earlier day left open and a finished one today:
    before the first step goes out, the person with their unfinished session, the two
    weeks' sessions, those sessions' exercises done, the check-ins of the last few hours;
    then the new session, on PostgreSQL one statement outside any transaction that also
    marks the earlier day's abandoned. (Afterwards the new message is written down as the
    session's.)"""
    await _to_first_exercise(alex)
    while "And now, how much pain do you have?" not in alex.last.text:
        await alex.press_last("✅ Done")
    await alex.press_last("3")
    (person,) = await rows(engine, "SELECT id FROM users")
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO sessions (user_id, local_date, status, step, paused_for_pain,"
                " started_at) VALUES (:user_id, '2020-01-01', 'open', 3, false, :at)"
            ),
            {"user_id": person["id"], "at": datetime(2020, 1, 1, tzinfo=UTC)},
        )
    await asyncio.sleep(0.1)  # a sweep already under way ends
    first_request: list[int] = []
    on_the_engine: list[int] = []

    def sent(method: str, _params: object) -> None:
        if method == "sendMessage":
            first_request.append(len(seen.first_words))
            on_the_engine.append(len(seen.in_transaction))

    async with Statements(bot) as seen:
        emulator.on_request = sent
        try:
            (step,) = await alex.say("/session")
        finally:
            emulator.on_request = None
    assert "Exercise 1 of 6" not in step.text and "pain" in step.text  # the rating first
    before_the_step = seen.first_words[: first_request[0]]
    if engine.dialect.name == "postgresql":
        assert before_the_step == ["SELECT", "SELECT", "SELECT", "SELECT", "WITH"]
        # (The first, the person, in the taps' pool; the other four on the engine.)
        assert on_the_engine[0] == 4 and seen.in_transaction[:4] == [False] * 4
    else:
        assert before_the_step == ["SELECT", "SELECT", "SELECT", "SELECT", "UPDATE", "INSERT"]
    statuses = await rows(engine, "SELECT status FROM sessions ORDER BY id")
    assert [s["status"] for s in statuses] == ["finished", "abandoned", "open"]


async def test_session_before_start_begins_set_up(bot: object, alex: Person) -> None:
    welcome, question = await alex.say("/session", expect=2)
    assert welcome.text.startswith("Hello Alex!")
    assert "Before we start" in question.text


async def test_the_not_started_guard_answers_commands_and_buttons_alike(
    bot: object, alex: Person, emulator: BotApiEmulator
) -> None:
    for command in ("/progress", "/history", "/cancel", "/reminders", "/pause"):
        (reply,) = await alex.say(command)
        assert reply.text.startswith("We haven't met yet"), command
    # A button from a chat with an account deleted since (here: a set-up button).
    await alex.say("/start", expect=2)
    question = alex.last.snapshot()
    await alex.say("/delete")
    await alex.press_last("Yes, delete everything", expect=1)
    pressed = await alex.press(question, "None of these", expect=0)
    assert pressed.answer is not None and pressed.answer.startswith("We haven't met yet")


async def test_instructions_again_on_a_full_step_changes_nothing(bot: object, alex: Person) -> None:
    """The first step already shows everything: no second copy, the same live message."""
    await _to_first_exercise(alex)
    shown = alex.last
    count = len(alex.messages)
    await alex.press(shown, "📖 Instructions again")  # drops the "Pain before" line
    again = await alex.press(shown, "📖 Instructions again", expect=0)  # unchanged now
    assert again.messages == [] and len(alex.messages) == count
    assert live_session_messages(alex) == [shown]


async def test_going_on_after_a_painful_left_side_names_the_right_side(
    bot: object, alex: Person
) -> None:
    await _to_first_exercise(alex)
    await alex.press_last("✅ Done")  # the bridge
    (pause,) = (await alex.press_last("✋ Too painful")).messages  # prone, left side
    assert pause.button_texts()[0] == "Go on to the right side"
    (nxt,) = (await alex.press(pause, "Go on to the right side")).messages
    assert "Prone Hip Extension** (right side)" in (nxt.html or "").replace("</b>", "**")


async def test_cancel_before_any_answer_says_nothing_was_recorded(
    bot: object, alex: Person
) -> None:
    await onboard(alex)
    await alex.press_last("Start session")
    (reply,) = await alex.say("/cancel")
    assert "Nothing was recorded yet" in reply.text and "saved" not in reply.text
