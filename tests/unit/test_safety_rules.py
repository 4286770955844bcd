"""The pain rules at and around every threshold, without Telegram or a database."""

from __future__ import annotations

import pytest

from bot.coach.safety import (
    ABOVE_USUAL,
    PAIN_ACCEPTABLE_MAX,
    RISING_SESSIONS,
    SEVERE_PAIN,
    TOO_PAINFUL_IN_A_ROW,
    USUAL_MIN_RATINGS,
    Advice,
    leave_out,
    pain_advice,
    pain_rising,
    usual_pain,
)
from bot.coach.session import RatePain, SessionState, advance, session_steps
from bot.programme import Programme


def test_thresholds_are_the_published_ones() -> None:
    # Changing one of these is a clinical decision; this test makes it a visible one.
    assert (PAIN_ACCEPTABLE_MAX, SEVERE_PAIN, ABOVE_USUAL) == (5, 8, 2)
    assert (RISING_SESSIONS, TOO_PAINFUL_IN_A_ROW, USUAL_MIN_RATINGS) == (3, 2, 3)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, Advice.NONE),
        (5, Advice.NONE),  # at the acceptable maximum: fine
        (6, Advice.PAIN_MONITORING),  # just above it
        (7, Advice.PAIN_MONITORING),
        (8, Advice.STOP_AND_CONTACT),  # severe
        (10, Advice.STOP_AND_CONTACT),
    ],
)
def test_pain_advice_by_level_without_a_usual_level(score: int, expected: Advice) -> None:
    assert pain_advice(score, usual=None) is expected


@pytest.mark.parametrize(
    ("score", "usual", "expected"),
    [
        (2, 1, Advice.NONE),  # one point above usual
        (3, 1, Advice.ABOVE_USUAL),  # two points above usual, though only 3/10
        (4, 1, Advice.ABOVE_USUAL),
        (5, 4, Advice.NONE),
        (5, 3, Advice.ABOVE_USUAL),
        (6, 1, Advice.PAIN_MONITORING),  # above 5: that rule, whatever the usual level
        (1, 3, Advice.NONE),  # below usual
        (9, 9, Advice.STOP_AND_CONTACT),  # severe whatever the usual level
    ],
)
def test_pain_advice_against_the_usual_level(score: int, usual: int, expected: Advice) -> None:
    assert pain_advice(score, usual) is expected


def test_usual_level_needs_three_ratings_and_is_their_median() -> None:
    assert usual_pain([]) is None
    assert usual_pain([3, 4]) is None
    assert usual_pain([3, 4, 9]) == 4  # one bad day does not set it
    assert usual_pain([2, 2, 6, 6]) == 2  # the lower middle: the stricter bar


@pytest.mark.parametrize(
    ("after", "rising"),
    [
        ([], False),
        ([2, 3], False),  # only two sessions
        ([2, 3, 4], True),
        ([1, 2, 3, 4], True),
        ([2, 3, 3], False),  # level, not rising
        ([4, 3, 4], False),
        ([5, 2, 3, 4], True),  # the last three rose
        ([2, 3, 4, 1], False),
    ],
)
def test_pain_rising_over_three_sessions(after: list[int], rising: bool) -> None:
    assert pain_rising(after) is rising


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([True], False),  # the first time
        ([True, True], True),
        ([True, False], False),
        ([False, True], False),
        ([True, True, False], True),
    ],
)
def test_leave_out_after_two_too_painful_in_a_row(history: list[bool], expected: bool) -> None:
    assert leave_out(history) is expected


@pytest.mark.parametrize(("score", "paused"), [(7, False), (8, True), (10, True)])
def test_severe_pain_before_a_session_pauses_it(
    programme: Programme, score: int, paused: bool
) -> None:
    steps = session_steps(programme)
    change = advance(steps, SessionState(), RatePain(score))
    assert not isinstance(change, str)
    assert change.state == SessionState(step=1, paused_for_pain=paused)
    assert getattr(change, "pain_before", None) == score
