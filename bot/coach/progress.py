"""Where a person is going: sessions, adherence, pain trend, streak, progression.

Plain functions over small values that the store builds from the rows; dates are the
person's own calendar days, so "today" and "this week" follow their time zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean

# The chart and the figures cover the last four weeks.
WINDOW_DAYS = 28
WEEK_DAYS = 7
# Minimal important change for pain on the 0-10 scale in low back pain: a drop of at
# least 2 points or 30% (Ostelo et al., Spine 2008;33(1):90-94).
MEANINGFUL_DROP_POINTS = 2.0
MEANINGFUL_DROP_FRACTION = 0.30
# The trend compares the mean pain before the first and the last few sessions in the
# window; fewer than twice this many rated sessions show no trend. Ours: three sessions
# smooth out a single good or bad day.
TREND_SESSIONS = 3
# Progression (the handout's harder variation) once the last 7 days show at least this
# many sessions with every exercise done and pain at most PROGRESSION_MAX_PAIN: the
# issue's rule, i.e. the programme done about once a day, comfortably, for a week.
PROGRESSION_SESSIONS = 7
PROGRESSION_MAX_PAIN = 2
_EPSILON = 1e-9


@dataclass(frozen=True)
class SessionRecord:
    """One session as progress sees it."""

    session_id: int
    local_date: date
    pain_before: int | None
    pain_after: int | None
    done: int  # exercise steps answered "done"
    steps: int  # exercise steps in the programme
    finished: bool
    started_at: datetime | None = None  # UTC

    @property
    def counts(self) -> bool:
        """A session that counts towards streaks and adherence: finished, something done."""
        return self.finished and self.done > 0

    @property
    def stopped_for_pain(self) -> bool:
        """Ended before the first exercise for severe pain: the only way a session
        finishes without a rating after it (coach.session.Advance.stopped_for_pain)."""
        return self.finished and self.pain_after is None

    @property
    def complete(self) -> bool:
        return self.finished and self.done == self.steps


@dataclass(frozen=True)
class Trend:
    baseline: float  # mean pain before the first TREND_SESSIONS sessions
    recent: float  # mean pain before the last TREND_SESSIONS sessions

    @property
    def drop(self) -> float:
        return self.baseline - self.recent

    @property
    def meaningful(self) -> bool:
        # Means of whole numbers are not exact in binary (3.0 - 2.1 is 0.8999...); a
        # drop that is at the threshold to the last decimal counts.
        drop = self.drop + _EPSILON
        if drop >= MEANINGFUL_DROP_POINTS:
            return True
        return self.baseline > 0 and drop / self.baseline >= MEANINGFUL_DROP_FRACTION


@dataclass(frozen=True)
class Progress:
    sessions_this_week: int
    days_this_week: int  # days of the last 7 with at least one session
    # Days of the last 7 the person has been in the programme (all 7 after a week): the
    # first day is not "1 of 7", as if six days had been missed before they started.
    week_days: int
    adherence: float  # days_this_week / week_days
    average_change: float | None  # mean (after - before) over the window
    trend: Trend | None
    streak: int
    sessions_per_day: tuple[tuple[date, int], ...]  # every day of the window, oldest first
    stopped_this_week: int = 0  # finished with nothing done: not counted above


def window(today: date, days: int = WINDOW_DAYS) -> tuple[date, ...]:
    return tuple(today - timedelta(days=offset) for offset in range(days - 1, -1, -1))


def streak(session_days: set[date], today: date) -> int:
    """Days in a row with a session, up to today; a day not over yet does not break it."""
    day = today if today in session_days else today - timedelta(days=1)
    count = 0
    while day in session_days:
        count += 1
        day -= timedelta(days=1)
    return count


def trend(records: Sequence[SessionRecord]) -> Trend | None:
    rated = [r.pain_before for r in records if r.counts and r.pain_before is not None]
    if len(rated) < 2 * TREND_SESSIONS:
        return None
    return Trend(fmean(rated[:TREND_SESSIONS]), fmean(rated[-TREND_SESSIONS:]))


def progress(
    records: Sequence[SessionRecord], today: date, first_day: date | None = None
) -> Progress:
    """Figures for the WINDOW_DAYS up to today; `records` oldest first; `first_day` is
    the person's first day in the programme (None: before the window)."""
    days = window(today)
    in_window = [r for r in records if days[0] <= r.local_date <= today]
    counted = [r for r in in_window if r.counts]
    per_day = Counter(r.local_date for r in counted)
    week = set(window(today, WEEK_DAYS))
    this_week = [r for r in counted if r.local_date in week]
    days_this_week = len({r.local_date for r in this_week})
    week_days = WEEK_DAYS
    if first_day is not None:
        week_days = max(1, min(WEEK_DAYS, (today - first_day).days + 1))
    # Every session rated before and after, counted or not: one that hurt so much that
    # nothing was done must not vanish from the average.
    changes = [
        r.pain_after - r.pain_before
        for r in in_window
        if r.finished and r.pain_before is not None and r.pain_after is not None
    ]
    return Progress(
        sessions_this_week=len(this_week),
        days_this_week=days_this_week,
        week_days=week_days,
        adherence=days_this_week / week_days,
        average_change=fmean(changes) if changes else None,
        trend=trend(counted),
        streak=streak(set(per_day), today),
        sessions_per_day=tuple((day, per_day.get(day, 0)) for day in days),
        stopped_this_week=sum(
            1 for r in in_window if r.local_date in week and r.finished and not r.counts
        ),
    )


def last_stop_for_pain(records: Sequence[SessionRecord]) -> SessionRecord | None:
    """The latest finished session, when it was stopped for severe pain (`records`
    oldest first): the next session begins by recalling it."""
    finished = [r for r in records if r.finished]
    return finished[-1] if finished and finished[-1].stopped_for_pain else None


def sessions_today(records: Sequence[SessionRecord], today: date) -> int:
    return sum(1 for r in records if r.counts and r.local_date == today)


def progression_due(records: Sequence[SessionRecord], today: date) -> bool:
    """True when the last 7 days show PROGRESSION_SESSIONS complete sessions with pain at
    most PROGRESSION_MAX_PAIN before and after, and no session in them above it."""
    week = set(window(today, WEEK_DAYS))
    recent = [r for r in records if r.local_date in week and r.finished]

    def comfortable(r: SessionRecord) -> bool:
        return all(p is None or p <= PROGRESSION_MAX_PAIN for p in (r.pain_before, r.pain_after))

    qualifying = [
        r
        for r in recent
        if r.complete and r.pain_before is not None and r.pain_after is not None and comfortable(r)
    ]
    return len(qualifying) >= PROGRESSION_SESSIONS and all(comfortable(r) for r in recent)


def ratings_since(
    records: Sequence[SessionRecord], since: datetime, *, exclude_session: int | None = None
) -> list[int]:
    """The pain ratings, before and after, of the sessions started at `since` or later
    (`records` must reach back that far: the history already read for something else,
    so that a rating rule costs no read of its own)."""
    return [
        rating
        for record in records
        if record.started_at is not None
        and record.started_at >= since
        and record.session_id != exclude_session
        for rating in (record.pain_before, record.pain_after)
        if rating is not None
    ]
