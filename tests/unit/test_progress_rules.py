"""Progress figures, the streak, the trend and the progression rule, at their thresholds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.coach.followup import HIGH_EARLIER
from bot.coach.progress import (
    MEANINGFUL_DROP_FRACTION,
    MEANINGFUL_DROP_POINTS,
    PROGRESSION_SESSIONS,
    WINDOW_DAYS,
    SessionRecord,
    Trend,
    progress,
    progression_due,
    ratings_since,
    sessions_today,
    streak,
)
from bot.coach.safety import USUAL_WINDOW
from bot.telegram.summary import HISTORY_READ

TODAY = date(2026, 11, 25)
STEPS = 11


def record(
    days_ago: int,
    before: int | None = 3,
    after: int | None = 2,
    done: int = STEPS,
    finished: bool = True,
    session_id: int = 0,
) -> SessionRecord:
    return SessionRecord(
        session_id=session_id,
        local_date=TODAY - timedelta(days=days_ago),
        pain_before=before,
        pain_after=after,
        done=done,
        steps=STEPS,
        finished=finished,
    )


def test_streak_counts_days_in_a_row_and_today_need_not_be_done_yet() -> None:
    days = {TODAY - timedelta(days=n) for n in (1, 2, 3, 5)}
    assert streak(days, TODAY) == 3  # yesterday and the two days before
    assert streak(days | {TODAY}, TODAY) == 4
    assert streak({TODAY - timedelta(days=2)}, TODAY) == 0  # yesterday missed: broken
    assert streak(set(), TODAY) == 0


def test_two_sessions_a_day_count_as_one_streak_day() -> None:
    records = [record(0), record(0), record(1)]
    figures = progress(records, TODAY)
    assert figures.streak == 2
    assert sessions_today(records, TODAY) == 2


def test_unfinished_or_empty_sessions_do_not_count() -> None:
    records = [record(0, finished=False), record(1, done=0), record(2)]
    figures = progress(records, TODAY)
    assert figures.sessions_this_week == 1
    assert figures.streak == 0


def test_week_figures_and_adherence() -> None:
    records = [record(d) for d in (0, 0, 1, 3, 6, 7, 20)]
    figures = progress(records, TODAY)
    assert figures.sessions_this_week == 5  # days 0..6
    assert figures.days_this_week == 4
    assert figures.adherence == pytest.approx(4 / 7)
    assert len(figures.sessions_per_day) == WINDOW_DAYS
    assert figures.sessions_per_day[-1] == (TODAY, 2)
    assert figures.sessions_per_day[0] == (TODAY - timedelta(days=WINDOW_DAYS - 1), 0)


def test_sessions_outside_the_window_are_left_out() -> None:
    figures = progress([record(WINDOW_DAYS), record(WINDOW_DAYS + 3)], TODAY)
    assert sum(count for _, count in figures.sessions_per_day) == 0
    assert figures.average_change is None


def test_average_pain_change() -> None:
    records = [record(2, before=5, after=3), record(1, before=4, after=4), record(0, 6, 3)]
    assert progress(records, TODAY).average_change == pytest.approx((-2 + 0 - 3) / 3)


@pytest.mark.parametrize(
    ("baseline", "recent", "meaningful"),
    [
        (6.0, 4.0, True),  # exactly 2 points
        (6.0, 4.1, True),  # 1.9 points, but 31.7%
        (8.0, 6.1, False),  # 1.9 points, 23.75%
        (3.0, 2.1, True),  # 0.9 points but 30%
        (3.0, 2.2, False),  # 26.7%
        (0.0, 0.0, False),
        (4.0, 5.0, False),  # worse
    ],
)
def test_meaningful_improvement_is_two_points_or_thirty_percent(
    baseline: float, recent: float, meaningful: bool
) -> None:
    assert (MEANINGFUL_DROP_POINTS, MEANINGFUL_DROP_FRACTION) == (2.0, 0.30)  # Ostelo 2008
    assert Trend(baseline, recent).meaningful is meaningful


def test_trend_compares_the_first_and_last_three_sessions() -> None:
    records = [record(10 - i, before=b) for i, b in enumerate([7, 6, 8, 4, 4, 3])]
    trend = progress(records, TODAY).trend
    assert trend is not None
    assert (trend.baseline, trend.recent) == (7.0, pytest.approx(11 / 3))
    assert trend.meaningful
    assert progress(records[:5], TODAY).trend is None  # five sessions: too few


def test_progression_needs_seven_complete_comfortable_sessions_in_seven_days() -> None:
    week = [record(d % 7, before=2, after=1) for d in range(PROGRESSION_SESSIONS)]
    assert progression_due(week, TODAY)
    assert not progression_due(week[:-1], TODAY)  # six
    # One of them with an exercise not done:
    assert not progression_due([*week[:-1], record(0, before=2, after=1, done=STEPS - 1)], TODAY)
    # Pain at 3 in one of them (the limit is 2):
    assert not progression_due([*week[:-1], record(0, before=3, after=1)], TODAY)
    # Seven good ones plus an eighth that hurt: not comfortable yet.
    assert not progression_due([*week, record(3, before=5, after=6, done=4)], TODAY)
    # Eight days ago does not count towards the last seven.
    assert not progression_due([*week[:-1], record(7, before=2, after=1)], TODAY)


def test_adherence_counts_only_the_days_since_the_person_started() -> None:
    first_day = progress([record(0)], TODAY, first_day=TODAY)
    assert (first_day.days_this_week, first_day.week_days, first_day.adherence) == (1, 1, 1.0)
    third_day = progress([record(0), record(2)], TODAY, first_day=TODAY - timedelta(days=2))
    assert (third_day.days_this_week, third_day.week_days) == (2, 3)
    long_ago = progress([record(0)], TODAY, first_day=TODAY - timedelta(days=40))
    assert long_ago.week_days == 7


def test_ratings_since_takes_both_ratings_of_the_sessions_started_since() -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)

    def started(hours_ago: float, before: int | None, after: int | None, id_: int) -> SessionRecord:
        return SessionRecord(
            id_, TODAY, before, after, 0, STEPS, True, now - timedelta(hours=hours_ago)
        )

    records = [
        started(7, 9, 8, 1),  # before the window
        started(6, 7, None, 2),  # at its start: counted
        SessionRecord(3, TODAY, 10, 10, 0, STEPS, True, None),  # no start time: not counted
        started(1, 4, 2, 4),
        started(0, 5, None, 5),
    ]
    assert ratings_since(records, now - timedelta(hours=6)) == [7, 4, 2, 5]
    assert ratings_since(records, now - timedelta(hours=6), exclude_session=4) == [7, 5]


def test_rating_windows_lie_within_the_history_read_for_them() -> None:
    """A session's start takes the last few hours' ratings from its two weeks' history;
    a session's end takes the usual level's two weeks from its four weeks' history."""
    assert HIGH_EARLIER <= USUAL_WINDOW
    assert USUAL_WINDOW <= HISTORY_READ
