"""The core's choice of notes after an answer: each rule, and each note it holds back."""

from __future__ import annotations

import dataclasses

import pytest

from bot.coach.followup import (
    Caution,
    CheckinNotes,
    SessionFacts,
    after_checkin,
    after_pain_before,
    after_report,
    after_session,
)
from bot.coach.safety import Advice
from bot.coach.session import Outcome, PauseReason

CALM = SessionFacts(
    pain_after_advice=Advice.NONE,
    pain_after_history=[3, 3, 3],
    streak_days=4,
    sessions_today=1,
    sessions_per_day_max=2,
    progression_due=False,
    progression_offered=False,
    has_progression=True,
)


@pytest.mark.parametrize(
    ("advice", "pause", "notes"),
    [
        (Advice.NONE, None, ()),
        # Before any exercise: about the pain now, in the check-in's words.
        (Advice.PAIN_MONITORING, None, (Caution.CHECKIN_HIGH,)),
        (Advice.ABOVE_USUAL, None, (Caution.CHECKIN_ABOVE_USUAL,)),
        (Advice.STOP_AND_CONTACT, None, (Caution.CHECKIN_SEVERE,)),
        # Severe pain pauses the session and the pause carries the advice: not twice.
        (Advice.STOP_AND_CONTACT, PauseReason.SEVERE_PAIN, ()),
    ],
)
def test_the_note_after_the_rating_before(
    advice: Advice, pause: PauseReason | None, notes: tuple[Caution, ...]
) -> None:
    assert after_pain_before(advice, pause) == notes


def test_too_painful_twice_in_a_row_suggests_leaving_the_exercise_out() -> None:
    assert after_report(Outcome.TOO_PAINFUL, [True, True]) == (Caution.LEAVE_OUT,)
    assert after_report(Outcome.TOO_PAINFUL, [True, False]) == ()  # the first time
    assert after_report(Outcome.TOO_PAINFUL, [True]) == ()
    assert after_report(Outcome.DONE, [True, True]) == ()


def test_a_calm_session_gets_its_streak_and_nothing_else() -> None:
    notes = after_session(CALM)
    assert notes.warnings == () and notes.streak_days == 4
    assert not notes.rest_now and not notes.offer_progression


def test_no_streak_note_without_a_streak() -> None:
    assert after_session(dataclasses.replace(CALM, streak_days=0)).streak_days == 0
    # One day is not a streak yet ("First day of a new streak" said nothing).
    assert after_session(dataclasses.replace(CALM, streak_days=1)).streak_days == 0


def test_the_streak_is_news_once_a_day_with_its_first_session() -> None:
    second = after_session(dataclasses.replace(CALM, sessions_today=2))
    assert second.streak_days == 0 and second.rest_now


def test_the_days_last_session_says_to_rest() -> None:
    assert after_session(dataclasses.replace(CALM, sessions_today=2)).rest_now
    assert after_session(dataclasses.replace(CALM, sessions_today=3)).rest_now


def test_the_progression_is_offered_once_when_due() -> None:
    due = dataclasses.replace(CALM, progression_due=True)
    assert after_session(due).offer_progression
    assert not after_session(dataclasses.replace(due, progression_offered=True)).offer_progression
    assert not after_session(dataclasses.replace(due, has_progression=False)).offer_progression
    assert not after_session(CALM).offer_progression


@pytest.mark.parametrize(
    ("change", "warnings"),
    [
        ({"pain_after_advice": Advice.PAIN_MONITORING}, (Caution.PAIN_MONITORING,)),
        ({"pain_after_advice": Advice.STOP_AND_CONTACT}, (Caution.STOP_AND_CONTACT,)),
        ({"pain_after_advice": Advice.ABOVE_USUAL}, (Caution.PAIN_MONITORING,)),
        ({"pain_after_history": [2, 3, 4]}, (Caution.RISING_PAIN,)),
        (
            {"pain_after_advice": Advice.PAIN_MONITORING, "pain_after_history": [4, 5, 6]},
            (Caution.PAIN_MONITORING, Caution.RISING_PAIN),
        ),
    ],
)
def test_a_warning_holds_back_the_streak_the_rest_note_and_the_progression(
    change: dict[str, object], warnings: tuple[Caution, ...]
) -> None:
    facts = dataclasses.replace(CALM, sessions_today=2, progression_due=True, **change)  # type: ignore[arg-type]
    notes = after_session(facts)
    assert notes.warnings == warnings
    assert notes.streak_days == 0
    assert not notes.rest_now
    assert not notes.offer_progression
    # The same facts without the warning would have had all three.
    calm = after_session(
        dataclasses.replace(facts, pain_after_advice=Advice.NONE, pain_after_history=[3])
    )
    assert calm.rest_now and calm.offer_progression
    # And the day's first session: the warning holds back its streak too.
    first = dataclasses.replace(facts, sessions_today=1)
    assert after_session(first).streak_days == 0
    calm_first = dataclasses.replace(first, pain_after_advice=Advice.NONE, pain_after_history=[3])
    assert after_session(calm_first).streak_days == 4


def test_a_check_in_gets_advice_about_the_pain_and_no_invitation_beside_it() -> None:
    assert after_checkin(Advice.NONE) == CheckinNotes((), invite_to_exercise=True)
    assert after_checkin(Advice.PAIN_MONITORING) == CheckinNotes(
        (Caution.CHECKIN_HIGH,), invite_to_exercise=False
    )
    assert after_checkin(Advice.STOP_AND_CONTACT) == CheckinNotes(
        (Caution.CHECKIN_SEVERE,), invite_to_exercise=False
    )
    # A low rating soon after a high one: no cheering, a word to go gently instead.
    assert after_checkin(Advice.NONE, earlier_worst=7) == CheckinNotes(
        (Caution.CHECKIN_AFTER_HIGH,), invite_to_exercise=False
    )
    # After a severe one, not watered down to "go gently".
    assert after_checkin(Advice.NONE, earlier_worst=10) == CheckinNotes(
        (Caution.CHECKIN_AFTER_SEVERE,), invite_to_exercise=False
    )
    assert after_checkin(Advice.NONE, earlier_worst=5).invite_to_exercise
    # Each says which rule it is about: no "more than usual" for someone with no usual level.
    assert after_checkin(Advice.ABOVE_USUAL) == CheckinNotes(
        (Caution.CHECKIN_ABOVE_USUAL,), invite_to_exercise=False
    )
