"""When a person's reminders fall due, and whether a due one should go out.

Each person has two daily times in their own time zone. The store keeps only the next
due moment (in UTC) per person; these functions say what that moment is and what to do
when it comes. Daylight saving: each local date gives each slot exactly one moment. A
time that the clock skips (02:30 on the spring-forward night) is taken with the offset
before the jump, so it arrives once, an hour "late" by the new clock; a time that occurs
twice (autumn) arrives at its first occurrence only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

Slot = Literal["morning", "evening"]

# A reminder that fell due while the bot was stopped still goes out if it is less than
# this late; an older one is dropped, so a restart never sends a burst of stale ones.
# One waiting in the bot's own queue (a crowd at 08:00, see planning.py) is never dropped.
LATE_GRACE = timedelta(hours=1)
# No reminder if the person finished a session this recently (the reminder is for a
# session they have already done), or answered something in an open one this recently
# (they are in it; a session opened and left untouched does not count).
RECENT_SESSION = timedelta(hours=3)
ACTIVE_SESSION = timedelta(hours=1)
SNOOZE = timedelta(hours=1)


@dataclass(frozen=True)
class DueReminder:
    slot: Slot
    local_date: str  # ISO date in the person's zone: with the slot, names the reminder
    due_at: datetime  # UTC


def _moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: the first of two repeated times, and the pre-jump offset for a skipped one.
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def next_reminder(after: datetime, zone_name: str, morning: time, evening: time) -> DueReminder:
    """The first reminder strictly after `after` (an aware datetime)."""
    zone = ZoneInfo(zone_name)
    today = after.astimezone(zone).date()
    slots: tuple[tuple[Slot, time], ...] = (("morning", morning), ("evening", evening))
    candidates = [
        DueReminder(slot, day.isoformat(), _moment(day, at, zone))
        for offset in (-1, 0, 1, 2)
        for day in (today + timedelta(days=offset),)
        for slot, at in slots
    ]
    return min((c for c in candidates if c.due_at > after), key=lambda c: (c.due_at, c.slot))


def catch_up(now: datetime, zone_name: str, morning: time, evening: time) -> DueReminder:
    """After a pause or downtime: the reminder to schedule, skipping any too late to send.

    The result is either due now-ish (less than LATE_GRACE late) or in the future.
    """
    return next_reminder(now - LATE_GRACE, zone_name, morning, evening)


class Decision(StrEnum):
    SEND = "send"
    LATE = "late"
    RECENT_SESSION = "recent_session"


def decide(
    due_at: datetime,
    now: datetime,
    last_finished: datetime | None,
    last_answer: datetime | None,
    up_since: datetime,
) -> Decision:
    """Send a claimed reminder, or skip it and say why. `up_since`: when the bot started;
    a reminder is late only if it was LATE_GRACE overdue by then (it fell due while the
    bot was down), not for the time it waited in the queue since."""
    # (A clock set back, by NTP or a test, can put the start after now: the bot was
    # up by now at the latest.)
    if min(up_since, now) - due_at >= LATE_GRACE:
        return Decision.LATE
    if last_finished is not None and now - last_finished < RECENT_SESSION:
        return Decision.RECENT_SESSION
    if last_answer is not None and now - last_answer < ACTIVE_SESSION:
        return Decision.RECENT_SESSION
    return Decision.SEND


def plan_claim(
    now: datetime, seen: DueReminder, zone_name: str, morning: time, evening: time
) -> tuple[DueReminder | None, DueReminder]:
    """For a person whose reminder `seen` is due: what to deliver now (None if it is too
    late), and the reminder to schedule after it."""
    if now - seen.due_at < LATE_GRACE:
        return seen, next_reminder(seen.due_at, zone_name, morning, evening)
    target = catch_up(now, zone_name, morning, evening)
    if target.due_at <= now:
        return target, next_reminder(target.due_at, zone_name, morning, evening)
    return None, target


@dataclass
class BatchReport:
    """What became of one batch of reminders: one line of the log."""

    claimed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return self.outcomes["sent"]

    def __str__(self) -> str:
        done = self.outcomes
        return (
            f"reminders: claimed={self.claimed} sent={done['sent']} "
            f"skipped={done['late'] + done['recent_session']} (late={done['late']}, "
            f"recent session={done['recent_session']}) "
            f"failed={done['blocked'] + done['retry']} (blocked={done['blocked']}, "
            f"will retry={done['retry']})"
        )
