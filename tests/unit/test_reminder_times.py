"""Due-time arithmetic with a controllable clock: zones, the date line, DST, downtime."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.coach.reminders import (
    LATE_GRACE,
    Decision,
    DueReminder,
    decide,
    next_reminder,
    plan_claim,
)

MORNING, EVENING = time(8, 0), time(18, 0)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def sequence(start: datetime, zone: str, morning: time, evening: time, n: int) -> list[DueReminder]:
    out, moment = [], start
    for _ in range(n):
        due = next_reminder(moment, zone, morning, evening)
        out.append(due)
        moment = due.due_at
    return out


def test_the_next_of_two_daily_times() -> None:
    # 06:00 UTC is 07:00 in Berlin in winter: the morning reminder is next.
    due = next_reminder(utc(2026, 1, 15, 6, 0), "Europe/Berlin", MORNING, EVENING)
    assert due == DueReminder("morning", "2026-01-15", utc(2026, 1, 15, 7, 0))
    due = next_reminder(utc(2026, 1, 15, 7, 0), "Europe/Berlin", MORNING, EVENING)
    assert due == DueReminder("evening", "2026-01-15", utc(2026, 1, 15, 17, 0))
    due = next_reminder(utc(2026, 1, 15, 17, 30), "Europe/Berlin", MORNING, EVENING)
    assert due == DueReminder("morning", "2026-01-16", utc(2026, 1, 16, 7, 0))


@pytest.mark.parametrize(
    ("zone", "expected_date", "expected_utc"),
    [
        # UTC+14: 08:00 on 2 March local is 18:00 UTC on 1 March.
        ("Pacific/Kiritimati", "2026-03-02", utc(2026, 3, 1, 18, 0)),
        # UTC-11: 18:00 on 28 February local is 05:00 UTC on 1 March.
        ("Pacific/Pago_Pago", "2026-02-28", utc(2026, 3, 1, 5, 0)),
    ],
)
def test_both_sides_of_the_date_line(zone: str, expected_date: str, expected_utc: datetime) -> None:
    due = next_reminder(utc(2026, 3, 1, 4, 0), zone, MORNING, EVENING)
    assert (due.local_date, due.due_at) == (expected_date, expected_utc)


@pytest.mark.parametrize(
    ("zone", "start", "days"),
    [
        ("Europe/Berlin", utc(2026, 3, 27, 0, 0), 4),  # clocks go forward on 29 March
        ("Europe/Berlin", utc(2026, 10, 23, 0, 0), 4),  # and back on 25 October
        ("America/New_York", utc(2026, 3, 6, 12, 0), 4),  # forward on 8 March
        ("America/New_York", utc(2026, 10, 30, 12, 0), 4),  # back on 1 November
    ],
)
@pytest.mark.parametrize("times", [(time(8, 0), time(18, 0)), (time(2, 30), time(20, 0))])
def test_dst_exactly_once_a_day_at_local_time(
    zone: str, start: datetime, days: int, times: tuple[time, time]
) -> None:
    reminders = sequence(start, zone, *times, n=days * 2)
    counts = Counter((r.slot, r.local_date) for r in reminders)
    assert set(counts.values()) == {1}  # never twice, never skipped
    assert len({r.local_date for r in reminders}) >= days - 1
    assert [r.due_at for r in reminders] == sorted(r.due_at for r in reminders)
    for reminder in reminders:
        local = reminder.due_at.astimezone(ZoneInfo(zone))
        wanted = times[0] if reminder.slot == "morning" else times[1]
        assert local.date().isoformat() == reminder.local_date
        if (local.hour, local.minute) != (wanted.hour, wanted.minute):
            # Only a time the clock skips may move, by the hour that was skipped.
            assert wanted == time(2, 30) and (local.hour, local.minute) == (3, 30)


def test_berlin_08_00_either_side_of_the_change() -> None:
    before = next_reminder(utc(2026, 3, 28, 0, 0), "Europe/Berlin", MORNING, EVENING)
    after = next_reminder(utc(2026, 3, 29, 0, 0), "Europe/Berlin", MORNING, EVENING)
    assert before.due_at == utc(2026, 3, 28, 7, 0)  # CET, UTC+1
    assert after.due_at == utc(2026, 3, 29, 6, 0)  # CEST, UTC+2


def test_the_repeated_hour_in_autumn_reminds_once() -> None:
    reminders = sequence(utc(2026, 10, 24, 12, 0), "Europe/Berlin", time(2, 30), EVENING, 4)
    on_the_day = [r for r in reminders if r.local_date == "2026-10-25" and r.slot == "morning"]
    assert [r.due_at for r in on_the_day] == [utc(2026, 10, 25, 0, 30)]  # first 02:30 only


def test_a_changed_zone_counts_from_the_new_zone() -> None:
    now = utc(2026, 6, 1, 12, 0)
    berlin = next_reminder(now, "Europe/Berlin", MORNING, EVENING)
    tokyo = next_reminder(now, "Asia/Tokyo", MORNING, EVENING)
    assert berlin.due_at == utc(2026, 6, 1, 16, 0)
    assert tokyo == DueReminder("morning", "2026-06-02", utc(2026, 6, 1, 23, 0))


def test_downtime_shorter_than_the_grace_still_delivers() -> None:
    seen = DueReminder("morning", "2026-06-01", utc(2026, 6, 1, 6, 0))
    now = seen.due_at + timedelta(minutes=40)
    deliver, following = plan_claim(now, seen, "Europe/Berlin", MORNING, EVENING)
    assert deliver == seen
    assert following == DueReminder("evening", "2026-06-01", utc(2026, 6, 1, 16, 0))


def test_downtime_longer_than_the_grace_skips_stale_reminders() -> None:
    seen = DueReminder("morning", "2026-06-01", utc(2026, 6, 1, 6, 0))
    # Two days later, ten minutes after that day's evening reminder: only that one goes.
    now = utc(2026, 6, 3, 16, 10)
    deliver, following = plan_claim(now, seen, "Europe/Berlin", MORNING, EVENING)
    assert deliver == DueReminder("evening", "2026-06-03", utc(2026, 6, 3, 16, 0))
    assert following == DueReminder("morning", "2026-06-04", utc(2026, 6, 4, 6, 0))
    # Three hours after it: nothing now, the next one is scheduled.
    deliver, following = plan_claim(now + timedelta(hours=3), seen, "Europe/Berlin", MORNING,
                                    EVENING)  # fmt: skip
    assert deliver is None
    assert following == DueReminder("morning", "2026-06-04", utc(2026, 6, 4, 6, 0))


def test_decide_late_recent_and_active_sessions() -> None:
    due = utc(2026, 6, 1, 6, 0)
    up = due - timedelta(days=1)  # the bot has been running since yesterday
    assert decide(due, due + timedelta(minutes=1), None, None, up) is Decision.SEND
    finished = due - timedelta(hours=2)
    assert decide(due, due, finished, None, up) is Decision.RECENT_SESSION
    assert decide(due, due, due - timedelta(hours=4), None, up) is Decision.SEND
    assert decide(due, due, None, due - timedelta(minutes=20), up) is Decision.RECENT_SESSION
    assert decide(due, due, None, due - timedelta(hours=2), up) is Decision.SEND


def test_only_downtime_makes_a_reminder_late_never_the_queue() -> None:
    due = utc(2026, 6, 1, 6, 0)
    # Waiting in the running bot's own queue: sent however long the crowd ahead takes.
    up = due - timedelta(days=1)
    assert decide(due, due + 3 * LATE_GRACE, None, None, up) is Decision.SEND
    # Fell due while the bot was down, and it came back an hour or more after: dropped.
    assert decide(due, due + LATE_GRACE, None, None, due + LATE_GRACE) is Decision.LATE
    # Down for less than the hour: sent, even if the queue then adds to it.
    back = due + LATE_GRACE - timedelta(minutes=1)
    assert decide(due, due + 2 * LATE_GRACE, None, None, back) is Decision.SEND


def test_a_clock_set_back_does_not_make_a_reminder_late() -> None:
    # Started at 14:00 by a clock that was then set back to 08:00 (NTP, or a test's fake
    # clock): the 08:00 reminder did not fall due while the bot was down.
    due = utc(2026, 6, 1, 8, 0)
    started = utc(2026, 6, 1, 14, 0)
    assert decide(due, due + timedelta(seconds=20), None, None, started) is Decision.SEND
    assert decide(due, due + LATE_GRACE, None, None, started) is Decision.LATE
