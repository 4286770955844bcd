"""The reminder planning rules (coach/planning.py): when a minute's crowd starts going
out, whether it fits its window, and the spread of new people's default times."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.coach.planning import (
    EARLIEST,
    claim_until,
    forecast,
    release_time,
    spread_defaults,
)
from bot.coach.reminders import LATE_GRACE

EIGHT = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
RATE = 29.0


def test_a_lone_reminder_goes_out_at_its_time() -> None:
    assert EIGHT - release_time(EIGHT, 1, RATE) < timedelta(seconds=0.1)


def test_a_crowd_is_centred_on_its_minute() -> None:
    # 100,000 people take 57.5 min at 29 a second: from 28.7 min before to 28.7 after.
    release = release_time(EIGHT, 100_000, RATE)
    assert EIGHT - release == timedelta(seconds=100_000 / RATE / 2)
    (batch,) = forecast([(EIGHT, 100_000)], RATE, now=EIGHT - timedelta(hours=1))
    assert batch.first_send == release
    assert abs((batch.last_send - EIGHT) - (EIGHT - release)) < timedelta(seconds=1)
    assert batch.fits


def test_never_more_than_half_an_hour_early_and_a_warning_past_the_hour() -> None:
    # 200,000 people take 1 h 55 min: from 30 min early, the last is 1 h 25 min late.
    (batch,) = forecast([(EIGHT, 200_000)], RATE, now=EIGHT - timedelta(hours=1))
    assert batch.release == EIGHT - EARLIEST
    assert batch.latest > LATE_GRACE and not batch.fits
    assert round(batch.latest.total_seconds() / 60) == 85


def test_a_batch_waits_behind_the_ones_before_it_and_the_backlog() -> None:
    half_past = EIGHT + timedelta(minutes=30)
    now = EIGHT - timedelta(minutes=10)
    first, second = forecast([(half_past, 1000), (EIGHT, 90_000)], RATE, now, backlog=29 * 600)
    assert first.due == EIGHT  # in order of their times
    assert first.first_send == now + timedelta(seconds=600)  # behind 10 min of backlog
    # The 1,000 at 08:30 would start at 08:29:43; the crowd ahead ends at 08:51:43.
    assert second.release < first.last_send
    assert second.first_send == first.last_send
    assert first.fits and second.fits


def test_claims_reach_as_far_as_the_batches_released_before_the_next_sweep() -> None:
    horizon = EIGHT - timedelta(minutes=28)
    small, big = (EIGHT - timedelta(minutes=5), 10), (EIGHT, 100_000)
    # The crowd at 08:00 is released at 07:31:16, the ten at 07:55 only at 07:55:00:
    # claiming up to 08:00 takes both, and the ten wait for their release.
    assert claim_until([small, big], RATE, horizon) == EIGHT
    assert claim_until([small], RATE, horizon) is None
    assert claim_until([], RATE, horizon) is None


def test_spread_defaults_move_both_times_alike_within_the_window() -> None:
    defaults = (time(8, 0), time(18, 0))
    assert spread_defaults(defaults, 0, 12345) == defaults
    seen = set()
    for person in range(2000):
        morning, evening = spread_defaults(defaults, 30, person)
        offset = (morning.hour * 60 + morning.minute) - 8 * 60
        assert -15 <= offset <= 15
        assert (evening.hour * 60 + evening.minute) - 18 * 60 == offset
        seen.add(offset)
    assert seen == set(range(-15, 16))  # every minute of the window is used
    assert spread_defaults(defaults, 30, 77) == spread_defaults(defaults, 30, 77)
    # Times that would wrap round midnight and swap stay as they were.
    late = (time(0, 5), time(23, 55))
    for person in range(200):
        first, second = spread_defaults(late, 30, person)
        assert first < second
