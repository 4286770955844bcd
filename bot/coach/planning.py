"""When to start sending a minute's reminders, so that a crowd of people who chose the
same time hears from the bot around that time and nobody is dropped for the bot's being
busy.

Telegram lets a bot send about 30 messages a second in all. A minute that N people chose
takes N / rate seconds to send: 100,000 people at 29 a second take 57 minutes. Sent from
the chosen time on, the last would be nearly an hour late; sent from half that time
before, lateness is spread around the chosen time, half early and half late. So each
minute's batch is *released* (may start going out) half its sending time before the
minute, but never more than EARLIEST before: a reminder half an hour early is still
"this morning's", one two hours early is not. Released reminders go out earliest chosen
time first (the sender orders them so), which lets a small batch in the middle of a big
one's sending time go out on time, ahead of the big one's later people.

A minute whose batch, behind the ones before it, cannot be sent by LATE_GRACE after its
time does not fit in the window: the sweep logs a warning with these figures and the
metrics show it. Nothing is dropped for that; the remedies are spreading new people's
default times (REMINDER_SPREAD_MINUTES) or paid broadcasts (PAID_BROADCAST_RATE).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.coach.reminders import LATE_GRACE

# A reminder goes out at most this long before the time the person chose.
EARLIEST = timedelta(minutes=30)


def release_time(
    due: datetime, people: int, rate: float, earliest: timedelta = EARLIEST
) -> datetime:
    """When the batch of `people` reminders chosen for `due` may start going out."""
    sending = timedelta(seconds=people / rate)
    return due - min(sending / 2, earliest)


@dataclass(frozen=True)
class BatchForecast:
    due: datetime
    people: int
    release: datetime
    first_send: datetime
    last_send: datetime

    @property
    def latest(self) -> timedelta:
        """How late the batch's last reminder goes out (negative: early)."""
        return self.last_send - self.due

    @property
    def fits(self) -> bool:
        return self.latest <= LATE_GRACE

    def warning(self, rate: float) -> str:
        """For the operator's log, when the batch does not fit."""
        return (
            f"reminders for {self.due:%Y-%m-%d %H:%M} UTC don't fit their window: "
            f"{self.people} reminders at {rate:g} a second take "
            f"{self.people / rate / 60:.0f} min and, behind the ones before, the last would "
            f"go out {self.latest.total_seconds() / 60:.0f} min late (the window is "
            f"{EARLIEST.total_seconds() / 60:.0f} min early to "
            f"{LATE_GRACE.total_seconds() / 60:.0f} min late); none is dropped. Remedies: "
            "REMINDER_SPREAD_MINUTES, PAID_BROADCAST_RATE (README, Reminders at scale)"
        )


def forecast(
    batches: Iterable[tuple[datetime, int]],
    rate: float,
    now: datetime,
    backlog: int = 0,
    earliest: timedelta = EARLIEST,
) -> list[BatchForecast]:
    """When each minute's batch would go out, in order of their times, behind `backlog`
    reminders already waiting. A batch goes out after the ones before it; the forecast
    is for the warning and the metrics, and is pessimistic: the sender's earliest-first
    order lets a small batch overtake a big one that started before it."""
    busy_until = now + timedelta(seconds=backlog / rate)
    forecasts = []
    for due, people in sorted(batches):
        release = release_time(due, people, rate, earliest)
        first = max(release, busy_until, now)
        busy_until = first + timedelta(seconds=people / rate)
        forecasts.append(BatchForecast(due, people, release, first, busy_until))
    return forecasts


def claim_until(
    batches: Iterable[tuple[datetime, int]],
    rate: float,
    horizon: datetime,
    earliest: timedelta = EARLIEST,
) -> datetime | None:
    """The latest minute whose batch is released by `horizon`: the sweep claims everyone
    due up to it, so their rows are ready when their batch may start. (A big batch is
    released before a small one before it; the small one is claimed early and waits.)"""
    released = [
        due for due, people in batches if release_time(due, people, rate, earliest) <= horizon
    ]
    return max(released, default=None)


def spread_defaults(times: tuple[time, time], minutes: int, key: int) -> tuple[time, time]:
    """The default reminder times moved by the same number of minutes for one person,
    evenly over a `minutes`-wide window centred on them (REMINDER_SPREAD_MINUTES), so
    that a crowd who keep the defaults does not share one minute. `key` (the person's
    Telegram id) picks the place: the same person always gets the same times."""
    if minutes <= 0:
        return times
    place = zlib.crc32(key.to_bytes(8, "big", signed=True)) % (minutes + 1)
    shift = timedelta(minutes=place - minutes // 2)
    day = date(2000, 1, 3)  # any day: only the time of day is kept
    first, second = ((datetime.combine(day, at) + shift).time() for at in times)
    # (Defaults near midnight could wrap round and swap: then they stay as they are.)
    return (first, second) if first < second else times
