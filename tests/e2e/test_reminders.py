"""Reminders end to end: the clock (injected) reaches a reminder time, one arrives."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.emulator import BotApiEmulator
from bot.telegram.sweep import ReminderSweep
from tests.conftest import FakeClock
from tests.e2e.helpers import onboard, rows
from tests.e2e.person import Person

BERLIN = ZoneInfo("Europe/Berlin")


async def run_due(bot: Any) -> None:
    """What the minute job does, now, and wait for its sender to finish."""
    service: ReminderSweep = bot.bot_data["reminders"]
    while True:
        sender = await service.sweep(bot.bot)
        await sender
        if not await service.reminders.pending(service.clock(), 1):
            return


def local_today(clock: FakeClock, hour: int, minute: int = 0) -> datetime:
    now = clock().astimezone(BERLIN)
    return now.replace(hour=hour, minute=minute, second=0, microsecond=0)


@pytest.fixture
async def ready(bot: Any, alex: Person, clock: FakeClock) -> Person:
    """Alex, set up in Berlin at 07:00 local with reminders at 08:00 and 18:00."""
    clock.set(local_today(clock, 7).astimezone(UTC))
    await onboard(alex)
    return alex


async def test_one_reminder_arrives_on_time_with_working_buttons(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    alex = ready
    before = len(alex.messages)
    # A sweep claims what may go out before the next one (a minute on); one person's
    # reminder goes out at its time, so at 07:58:30 nothing is claimed yet.
    clock.set(local_today(clock, 7, 58).astimezone(UTC) + timedelta(seconds=30))
    await run_due(bot)
    assert len(alex.messages) == before  # not yet
    clock.set(local_today(clock, 8, 0).astimezone(UTC) + timedelta(seconds=20))
    await run_due(bot)
    await run_due(bot)  # a second sweep in the same minute sends nothing more
    new = alex.messages[before:]
    assert len(new) == 1
    reminder = new[0].snapshot()
    assert "Good morning!" in reminder.text and "morning session" in reminder.text
    assert reminder.button_texts() == ["Start session", "Snooze 1 hour", "Skip this one"]
    (delivery,) = await rows(engine, "SELECT slot, status, message_id FROM reminder_deliveries")
    assert delivery == {"slot": "morning", "status": "sent", "message_id": reminder.message_id}
    (first,) = (await alex.press(reminder, "Start session")).messages
    assert "How much pain do you have right now?" in first.text
    stale = await alex.press(reminder, "Snooze 1 hour", expect=0)
    assert stale.answer == "This reminder was already answered."


async def test_snooze_brings_it_back_an_hour_later(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    alex = ready
    clock.set(local_today(clock, 8, 0).astimezone(UTC))
    await run_due(bot)
    reminder = alex.last
    pressed = await alex.press(reminder, "Snooze 1 hour", expect=0)
    assert pressed.answer == "Snoozed: I'll remind you again at 09:00."
    count = len(alex.messages)
    clock.advance(timedelta(minutes=59))
    await run_due(bot)
    assert len(alex.messages) == count
    clock.advance(timedelta(minutes=1, seconds=5))
    await run_due(bot)
    assert len(alex.messages) == count + 1
    assert "Good morning!" in alex.last.text
    skipped = await alex.press_last("Skip this one", expect=0)
    assert skipped.answer == "Skipped this one. See you at the next reminder."
    (delivery,) = await rows(engine, "SELECT status, reason FROM reminder_deliveries")
    assert delivery == {"status": "skipped", "reason": "by_user"}


async def test_an_ignored_reminder_does_not_pile_up(
    bot: Any, ready: Person, clock: FakeClock, emulator: BotApiEmulator
) -> None:
    alex = ready
    clock.set(local_today(clock, 8, 0).astimezone(UTC))
    await run_due(bot)
    morning = alex.last
    clock.set(local_today(clock, 18, 0).astimezone(UTC))
    await run_due(bot)
    assert "Good evening!" in alex.last.text
    assert emulator.messages[(alex.user_id, morning.message_id)].reply_markup is None
    with_buttons = [m for m in alex.messages if "Snooze 1 hour" in m.button_texts()]
    assert with_buttons == [alex.last]


async def test_no_reminder_right_after_a_session(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    alex = ready
    clock.set(local_today(clock, 7, 30).astimezone(UTC))
    await alex.press_last("Start session")
    await alex.press_last("2")
    for _ in range(11):
        await alex.press_last("⏭ Skip")
    await alex.press_last("2")
    count = len(alex.messages)
    clock.set(local_today(clock, 8, 0).astimezone(UTC))
    await run_due(bot)
    assert len(alex.messages) == count
    (delivery,) = await rows(engine, "SELECT status, reason FROM reminder_deliveries")
    assert delivery == {"status": "skipped", "reason": "recent_session"}


async def test_an_untouched_session_does_not_silence_the_reminder(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    """Pressed "Start session" at 7:40 and answered nothing: the 8:00 reminder comes.
    Someone answering (a rating at 7:50) is in a session: it waits."""
    alex = ready
    clock.set(local_today(clock, 7, 40).astimezone(UTC))
    await alex.press_last("Start session")
    clock.set(local_today(clock, 8, 0).astimezone(UTC))
    await run_due(bot)
    assert "Good morning!" in alex.last.text
    (delivery,) = await rows(engine, "SELECT status FROM reminder_deliveries")
    assert delivery == {"status": "sent"}

    await alex.say("/session")
    clock.set(local_today(clock, 17, 50).astimezone(UTC))
    await alex.press_last("3")  # an answer, ten minutes before the evening reminder
    count = len(alex.messages)
    clock.set(local_today(clock, 18, 0).astimezone(UTC))
    await run_due(bot)
    assert len(alex.messages) == count
    evening = await rows(
        engine, "SELECT status, reason FROM reminder_deliveries WHERE slot = 'evening'"
    )
    assert evening == [{"status": "skipped", "reason": "recent_session"}]


async def test_blocked_user_gets_none_and_is_marked_inactive(
    bot: Any,
    ready: Person,
    clock: FakeClock,
    engine: AsyncEngine,
    emulator: BotApiEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    alex = ready
    emulator.blocked_chats.add(alex.user_id)
    count = len(alex.messages)
    clock.set(local_today(clock, 8, 0).astimezone(UTC))
    await run_due(bot)
    clock.set(local_today(clock, 18, 0).astimezone(UTC))
    await run_due(bot)
    assert len(alex.messages) == count
    (user,) = await rows(engine, "SELECT active FROM users")
    assert user["active"] in (0, False)
    deliveries = await rows(engine, "SELECT status, reason FROM reminder_deliveries")
    assert deliveries == [{"status": "failed", "reason": "blocked"}]  # no retry, no 2nd
    assert caplog.text.count("can't be reached") == 1
    # Unblocking (Telegram sends my_chat_member) makes them active again.
    emulator.blocked_chats.discard(alex.user_id)
    await emulator.send_chat_member(alex.user_id, old="kicked", new="member")
    await emulator.settle()
    (user,) = await rows(engine, "SELECT active FROM users")
    assert user["active"] in (1, True)


async def test_reminders_command_changes_times_and_pauses(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    alex = ready
    (screen,) = await alex.say("/reminders")
    assert "08:00" in screen.text and "18:00" in screen.text and "Europe/Berlin" in screen.text
    assert "Next reminder: today 08:00" in screen.text
    await alex.press(screen, "Change morning time")
    for typed in ("25:00", "7.5", "noon?"):
        (reply,) = await alex.say(typed)
        assert "couldn't read a time" in reply.text
    (reply,) = await alex.say("19:30")
    assert "has to come before the evening one" in reply.text
    (reply,) = await alex.say("07:30")
    assert "Saved." in reply.text and "07:30" in reply.text
    (user,) = await rows(engine, "SELECT morning_reminder, next_reminder_at FROM users")
    assert user["morning_reminder"] == "07:30"
    (reply,) = await alex.say("/pause")
    assert reply.text.startswith("Reminders are paused; /resume turns them back on.")
    assert reply.text.count("Reminders are") == 1
    assert (await rows(engine, "SELECT next_reminder_at FROM users"))[0]["next_reminder_at"] is None
    count = len(alex.messages)
    clock.set(local_today(clock, 8, 0).astimezone(UTC))
    await run_due(bot)
    assert len(alex.messages) == count
    (reply,) = await alex.say("/resume")
    assert reply.text.startswith("Reminders are on") and "Next reminder: today 18:00" in reply.text
    assert reply.text.count("Reminders are") == 1


async def test_changing_zone_moves_the_next_reminder(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    alex = ready
    (screen,) = await alex.say("/reminders")
    await alex.press(screen, "Change time zone")
    (reply,) = await alex.say("Tokyo")
    assert "Time zone set: Asia/Tokyo" in reply.text
    (user,) = await rows(engine, "SELECT next_reminder_at, next_reminder_slot FROM users")
    due = datetime.fromisoformat(str(user["next_reminder_at"])).replace(tzinfo=UTC)
    local = due.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) in ((8, 0), (18, 0))
    assert due > clock()


async def test_after_downtime_late_reminders_are_dropped_not_burst(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    alex = ready
    count = len(alex.messages)
    # The bot was "down" from before 08:00 until 10:30: the 08:00 reminder is too late.
    clock.set(local_today(clock, 10, 30).astimezone(UTC))
    await run_due(bot)
    assert len(alex.messages) == count
    (user,) = await rows(engine, "SELECT next_reminder_slot FROM users")
    assert user["next_reminder_slot"] == "evening"
    # Down until 18:40: the 18:00 one is 40 minutes late, within the hour: it goes out.
    clock.set(local_today(clock, 18, 40).astimezone(UTC))
    await run_due(bot)
    assert len(alex.messages) == count + 1
    assert "Good evening!" in alex.last.text


async def test_a_reminder_telegram_keeps_failing_stays_due_for_the_next_sweep(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine, emulator: BotApiEmulator
) -> None:
    alex = ready
    before = len(alex.messages)
    clock.set(local_today(clock, 8, 0).astimezone(UTC))
    # Three 502s: the first try and both quick retries fail.
    emulator.fail_next("sendMessage", 502, "Bad Gateway", count=3)
    service: ReminderSweep = bot.bot_data["reminders"]
    report = await (await service.sweep(bot.bot))
    assert report.outcomes["retry"] == 1 and report.sent == 0
    (delivery,) = await rows(engine, "SELECT status FROM reminder_deliveries")
    assert delivery["status"] == "pending"
    assert len(alex.messages) == before
    clock.advance(timedelta(minutes=1))  # the next sweep
    await run_due(bot)
    assert [m.text for m in alex.messages[before:]] == [alex.last.text]
    assert "Good morning!" in alex.last.text
    (delivery,) = await rows(engine, "SELECT status FROM reminder_deliveries")
    assert delivery["status"] == "sent"


async def test_a_reminder_waiting_in_the_queue_is_never_dropped_as_late(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    """A crowd can keep a reminder in the running bot's queue for hours: it still goes
    out. (The hour's grace is for downtime, below.)"""
    service: ReminderSweep = bot.bot_data["reminders"]
    service.up_since = clock() - timedelta(days=1)  # the bot has been running all along
    clock.set(local_today(clock, 8, 0).astimezone(UTC) + timedelta(seconds=20))
    assert await service.claim_planned() == 1
    before = len(ready.messages)
    clock.advance(timedelta(hours=2))  # the queue ahead of it took two hours
    report = await service.drain(bot.bot)
    assert report.outcomes["sent"] == 1 and len(ready.messages) == before + 1
    (delivery,) = await rows(engine, "SELECT status, reason FROM reminder_deliveries")
    assert delivery == {"status": "sent", "reason": ""}


async def test_a_reminder_that_fell_due_while_the_bot_was_down_is_dropped_after_an_hour(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    service: ReminderSweep = bot.bot_data["reminders"]
    clock.set(local_today(clock, 8, 0).astimezone(UTC) + timedelta(seconds=20))
    assert await service.claim_planned() == 1
    before = len(ready.messages)
    clock.advance(timedelta(hours=2))
    service.up_since = clock()  # the bot was down for the two hours and has just started
    report = await service.drain(bot.bot)
    assert report.outcomes["late"] == 1 and len(ready.messages) == before
    (delivery,) = await rows(engine, "SELECT status, reason FROM reminder_deliveries")
    assert delivery == {"status": "skipped", "reason": "late"}


async def test_a_minute_that_cannot_fit_its_window_is_one_warning(
    bot: Any, ready: Person, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    service: ReminderSweep = bot.bot_data["reminders"]
    service.rate = 1 / 7200  # one reminder takes two hours: it can't be sent by 09:00
    clock.set(local_today(clock, 7, 50).astimezone(UTC))
    await service.claim_planned()
    (forecast,) = service.forecasts
    assert not forecast.fits
    for _ in range(2):
        await service.claim_planned()
    warnings = [r for r in caplog.records if "don't fit their window" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    message = warnings[0].getMessage()
    assert "1 reminders at 0.000138889 a second take 120 min" in message
    assert "the last would go out 110 min late" in message and "none is dropped" in message


async def test_a_sender_waiting_for_a_later_release_wakes_for_a_new_claim(
    bot: Any, ready: Person, clock: FakeClock, emulator: BotApiEmulator, engine: AsyncEngine
) -> None:
    """The sender waits for the next release rather than the next sweep; a reminder
    claimed meanwhile that may go sooner must not wait behind it."""
    from bot.coach.reminders import DueReminder
    from bot.store.reminders import ReminderStore

    sam = Person(emulator, 1002, "Sam")
    await onboard(sam)
    service: ReminderSweep = bot.bot_data["reminders"]
    store: ReminderStore = bot.bot_data["reminder_store"]
    (sam_row,) = await rows(engine, "SELECT id FROM users WHERE telegram_user_id = 1002")
    later = DueReminder("evening", "2000-01-01", clock() + timedelta(days=1))
    await store.schedule(sam_row["id"], later)  # Sam's comes at a time of its own
    # Alex's 08:00 is 20 s away: claimed now (released before the next sweep), and the
    # sender waits for it.
    clock.set(local_today(clock, 8, 0).astimezone(UTC) - timedelta(seconds=20))
    sender = await service.sweep(bot.bot)
    await asyncio.sleep(0.3)
    assert not sender.done() and "Good morning!" not in ready.last.text
    # Sam's reminder falls due now (as if Sam had chosen this minute).
    await store.schedule(sam_row["id"], DueReminder("morning", clock().date().isoformat(), clock()))
    started = asyncio.get_running_loop().time()
    await service.sweep(bot.bot)
    while "Good morning!" not in sam.last.text:
        assert asyncio.get_running_loop().time() - started < 3, "Sam's reminder waited"
        await asyncio.sleep(0.02)
    assert "Good morning!" not in ready.last.text  # Alex's is still to come
    await service.stop()


async def change_time(person: Person, slot: str, typed: str) -> Any:
    """/reminders, "Change <slot> time", the new time typed: the bot's answer."""
    (screen,) = await person.say("/reminders")
    await person.press(screen, f"Change {slot} time")
    (reply,) = await person.say(typed)
    return reply


async def claim_alex_s_morning_early(bot: Any, clock: FakeClock, engine: AsyncEngine) -> None:
    """20 s before 08:00: claimed (released before the next sweep), not yet sent."""
    service: ReminderSweep = bot.bot_data["reminders"]
    clock.set(local_today(clock, 8, 0).astimezone(UTC) - timedelta(seconds=20))
    assert await service.claim_planned() == 1
    (delivery,) = await rows(engine, "SELECT status FROM reminder_deliveries")
    assert delivery["status"] == "pending"


async def test_a_reminder_claimed_early_follows_a_change_of_time(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    alex = ready
    await claim_alex_s_morning_early(bot, clock, engine)
    reply = await change_time(alex, "morning", "09:00")
    assert "Saved." in reply.text and "Next reminder: today 09:00" in reply.text
    assert await rows(engine, "SELECT id FROM reminder_deliveries") == []
    count = len(alex.messages)
    clock.set(local_today(clock, 8, 0).astimezone(UTC) + timedelta(seconds=30))
    await run_due(bot)
    assert len(alex.messages) == count  # not at the old time
    clock.set(local_today(clock, 9, 0).astimezone(UTC))
    await run_due(bot)
    assert len(alex.messages) == count + 1 and "Good morning!" in alex.last.text
    (delivery,) = await rows(engine, "SELECT status, due_at FROM reminder_deliveries")
    due = datetime.fromisoformat(str(delivery["due_at"])).replace(tzinfo=UTC)
    assert delivery["status"] == "sent" and due == local_today(clock, 9, 0)
    assert taken_back(bot) == 1  # claimed = sent + skipped still holds


async def test_a_reminder_claimed_early_is_not_sent_after_a_pause(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    alex = ready
    await claim_alex_s_morning_early(bot, clock, engine)
    (reply,) = await alex.say("/pause")
    assert reply.text.startswith("Reminders are paused")
    count = len(alex.messages)
    clock.set(local_today(clock, 8, 0).astimezone(UTC) + timedelta(seconds=30))
    await run_due(bot)
    assert len(alex.messages) == count
    assert await rows(engine, "SELECT id FROM reminder_deliveries") == []
    assert taken_back(bot) == 1


def taken_back(bot: Any) -> float | None:
    registry = bot.bot_data["metrics"].registry
    value: float | None = registry.get_sample_value(
        "coach_reminders_skipped_total", {"reason": "changed"}
    )
    return value


async def test_a_change_of_the_other_time_leaves_a_claimed_reminder_alone(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    alex = ready
    await claim_alex_s_morning_early(bot, clock, engine)
    reply = await change_time(alex, "evening", "19:30")
    assert "Saved." in reply.text and "Next reminder: today 08:00" in reply.text
    count = len(alex.messages)
    clock.set(local_today(clock, 8, 0).astimezone(UTC) + timedelta(seconds=30))
    await run_due(bot)
    assert len(alex.messages) == count + 1 and "Good morning!" in alex.last.text
    assert taken_back(bot) in (None, 0.0)


async def test_a_released_reminder_is_not_taken_back_from_the_sender(
    bot: Any, ready: Person, clock: FakeClock, engine: AsyncEngine
) -> None:
    """Once released, the sender may hold it: it goes out, and only once that day."""
    alex = ready
    service: ReminderSweep = bot.bot_data["reminders"]
    clock.set(local_today(clock, 8, 0).astimezone(UTC) + timedelta(seconds=20))
    assert await service.claim_planned() == 1  # released: its time has come
    reply = await change_time(alex, "morning", "09:00")
    assert "Saved." in reply.text
    (delivery,) = await rows(engine, "SELECT status FROM reminder_deliveries")
    assert delivery["status"] == "pending"
    count = len(alex.messages)
    await run_due(bot)
    assert len(alex.messages) == count + 1 and "Good morning!" in alex.last.text
    clock.set(local_today(clock, 9, 0).astimezone(UTC))
    await run_due(bot)
    assert len(alex.messages) == count + 1  # not a second morning reminder
    assert taken_back(bot) in (None, 0.0)
