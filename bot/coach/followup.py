"""What follows an answer: the advice, warnings and encouragement shown after it.

The shell gathers the facts (the person's ratings, history, streak) and asks these
functions which notes to show; the texts are in the message catalog. One rule runs
through all of them: no encouragement in the same breath as a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.coach.safety import PAIN_ACCEPTABLE_MAX, SEVERE_PAIN, Advice, leave_out, pain_rising
from bot.coach.session import Outcome, PauseReason

# How far back a high rating holds back the invitation to exercise after a check-in.
HIGH_EARLIER = timedelta(hours=6)
# The shortest run of days with a session that is called a streak.
MIN_STREAK_DAYS = 2


class Caution(StrEnum):
    """A warning under an answer; the values name the entries of content/safety.toml."""

    PAIN_MONITORING = "pain_monitoring"
    STOP_AND_CONTACT = "stop_and_contact"
    RISING_PAIN = "rising_pain"
    LEAVE_OUT = "leave_out"
    CHECKIN_HIGH = "checkin_high"
    CHECKIN_ABOVE_USUAL = "checkin_above_usual"
    CHECKIN_AFTER_HIGH = "checkin_after_high"
    CHECKIN_AFTER_SEVERE = "checkin_after_severe"
    CHECKIN_SEVERE = "checkin_severe"


def advice_warning(advice: Advice) -> Caution | None:
    if advice is Advice.STOP_AND_CONTACT:
        return Caution.STOP_AND_CONTACT
    if advice in (Advice.PAIN_MONITORING, Advice.ABOVE_USUAL):
        return Caution.PAIN_MONITORING  # (its text names both rules)
    return None


@dataclass(frozen=True)
class CheckinNotes:
    cautions: tuple[Caution, ...]
    invite_to_exercise: bool


def after_checkin(advice: Advice, earlier_worst: int | None = None) -> CheckinNotes:
    """A rating sent outside a session: advice about the pain itself (no exercises were
    just done), and an invitation to exercise only when the pain calls for no advice -
    and did not in the last HIGH_EARLIER (`earlier_worst`: the highest rating then): a 3
    two minutes after a 10 is no reason to cheer, nor to forget the 10."""
    if advice is Advice.STOP_AND_CONTACT:
        return CheckinNotes((Caution.CHECKIN_SEVERE,), invite_to_exercise=False)
    if advice is Advice.PAIN_MONITORING:
        return CheckinNotes((Caution.CHECKIN_HIGH,), invite_to_exercise=False)
    if advice is Advice.ABOVE_USUAL:
        return CheckinNotes((Caution.CHECKIN_ABOVE_USUAL,), invite_to_exercise=False)
    if earlier_worst is not None and earlier_worst >= SEVERE_PAIN:
        return CheckinNotes((Caution.CHECKIN_AFTER_SEVERE,), invite_to_exercise=False)
    if earlier_worst is not None and earlier_worst > PAIN_ACCEPTABLE_MAX:
        return CheckinNotes((Caution.CHECKIN_AFTER_HIGH,), invite_to_exercise=False)
    return CheckinNotes((), invite_to_exercise=True)


def asks_for_rest(sessions_today: int, sessions_per_day_max: int) -> bool:
    """Before a new session: the day's sessions have reached the handout's maximum, so
    the person is asked whether they really want another (after being told to rest)."""
    return sessions_today >= sessions_per_day_max


def after_pain_before(advice: Advice, pause: PauseReason | None) -> tuple[Caution, ...]:
    """The note under the rating before a session: about the pain as it is now, before
    any exercise (the check-in's words, not "during or after the exercises ... next
    time"). Severe pain pauses the session, and the pause itself carries the advice: it
    is not said twice."""
    if pause is PauseReason.SEVERE_PAIN:
        return ()
    return after_checkin(advice).cautions


def after_report(outcome: Outcome, too_painful_newest_first: Sequence[bool]) -> tuple[Caution, ...]:
    """After an exercise: "too painful" again on the same exercise and side suggests
    leaving it out (`too_painful_newest_first` includes the answer just given)."""
    if outcome is Outcome.TOO_PAINFUL and leave_out(too_painful_newest_first):
        return (Caution.LEAVE_OUT,)
    return ()


@dataclass(frozen=True)
class SessionFacts:
    """What the notes under a finished session depend on."""

    pain_after_advice: Advice
    pain_after_history: Sequence[int]  # the latest finished sessions', oldest first
    streak_days: int
    sessions_today: int
    sessions_per_day_max: int
    progression_due: bool  # coach.progress.progression_due
    progression_offered: bool  # suggested before (it is suggested once)
    has_progression: bool  # the programme has a harder variation to suggest


@dataclass(frozen=True)
class SessionNotes:
    warnings: tuple[Caution, ...]
    streak_days: int  # 0: no streak note
    rest_now: bool  # the day's sessions reached the handout's maximum: say to rest
    offer_progression: bool


def after_session(facts: SessionFacts) -> SessionNotes:
    """The notes under a session's summary: warnings first; a streak, the advice to rest
    and the progression only when there is no warning (never more load beside a warning
    to reduce or stop, and no cheering either)."""
    warnings: list[Caution] = []
    advice = advice_warning(facts.pain_after_advice)
    if advice is not None:
        warnings.append(advice)
    if pain_rising(facts.pain_after_history):
        warnings.append(Caution.RISING_PAIN)
    if warnings:
        return SessionNotes(tuple(warnings), 0, rest_now=False, offer_progression=False)
    # The streak is news once a day, with the day's first session, and only once there
    # is one: a "streak" of one day is just today.
    first_today = facts.sessions_today == 1
    return SessionNotes(
        (),
        facts.streak_days if first_today and facts.streak_days >= MIN_STREAK_DAYS else 0,
        rest_now=facts.sessions_today >= facts.sessions_per_day_max,
        offer_progression=(
            facts.has_progression and facts.progression_due and not facts.progression_offered
        ),
    )
