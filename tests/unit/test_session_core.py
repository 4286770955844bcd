from bot.coach.session import (
    Continue,
    FinishEarly,
    Outcome,
    PauseReason,
    RatePain,
    Refusal,
    Report,
    SessionState,
    advance,
    by_exercise,
    exercises_done,
    pause_reason,
    session_steps,
    summarise,
)
from bot.programme import Programme


def test_steps_follow_the_handout_with_each_side_separate(programme: Programme) -> None:
    steps = session_steps(programme)
    assert steps[0].kind == "pain_before" and steps[-1].kind == "pain_after"
    exercise_steps = [(s.exercise.key, s.side) for s in steps if s.exercise]
    assert exercise_steps[:3] == [
        ("glute_hip_bridge", None),
        ("prone_hip_extension", "left"),
        ("prone_hip_extension", "right"),
    ]
    assert len(exercise_steps) == 1 + 5 * 2


def test_a_whole_session(programme: Programme) -> None:
    steps = session_steps(programme)
    state = SessionState()
    change = advance(steps, state, RatePain(4))
    assert not isinstance(change, Refusal)
    assert change.pain_before == 4 and change.state == SessionState(1)
    state = change.state
    for index in range(1, len(steps) - 1):
        change = advance(steps, state, Report(Outcome.DONE))
        assert not isinstance(change, Refusal)
        assert change.result == (index, Outcome.DONE)
        state = change.state
    change = advance(steps, state, RatePain(2))
    assert not isinstance(change, Refusal)
    assert change.finished and change.pain_after == 2
    assert advance(steps, change.state, RatePain(1)) == Refusal("finished")


def test_answers_that_do_not_fit_the_step_are_refused(programme: Programme) -> None:
    steps = session_steps(programme)
    assert advance(steps, SessionState(0), Report(Outcome.DONE)) == Refusal("wrong_step_kind")
    assert advance(steps, SessionState(1), RatePain(3)) == Refusal("wrong_step_kind")
    assert advance(steps, SessionState(1), Continue()) == Refusal("not_paused")


def test_too_painful_pauses_until_the_person_chooses(programme: Programme) -> None:
    steps = session_steps(programme)
    change = advance(steps, SessionState(2), Report(Outcome.TOO_PAINFUL))
    assert not isinstance(change, Refusal)
    assert change.result == (2, Outcome.TOO_PAINFUL)
    assert change.state == SessionState(3, paused_for_pain=True)
    assert advance(steps, change.state, Report(Outcome.DONE)) == Refusal("paused")
    go_on = advance(steps, change.state, Continue())
    assert not isinstance(go_on, Refusal) and go_on.state == SessionState(3)
    assert go_on.result is None
    stop = advance(steps, change.state, FinishEarly())
    assert not isinstance(stop, Refusal)
    assert stop.state == SessionState(len(steps) - 1)
    assert steps[stop.state.step].kind == "pain_after"


def test_summary_counts_and_pain_change(programme: Programme) -> None:
    steps = session_steps(programme)
    summary = summarise(steps, {1: Outcome.DONE, 2: Outcome.SKIPPED, 3: Outcome.TOO_PAINFUL}, 6, 4)
    assert summary.count(Outcome.DONE) == 1
    assert summary.count(Outcome.SKIPPED) == 1
    assert summary.count(Outcome.TOO_PAINFUL) == 1
    assert summary.count(None) == len(summary.lines) - 3
    assert summary.pain_change == -2
    assert summarise(steps, {}, None, 3).pain_change is None


def test_a_summary_counts_exercises_not_sides(programme: Programme) -> None:
    steps = session_steps(programme)
    outcomes = {index: Outcome.DONE for index in range(1, len(steps) - 1)}
    outcomes[3] = Outcome.TOO_PAINFUL  # prone hip extension, right side (step 2: left)
    outcomes[4] = outcomes[5] = Outcome.SKIPPED  # side lying abduction, both sides
    del outcomes[len(steps) - 2]  # the piriformis stretch's right side: not reached
    summary = summarise(steps, outcomes, 4, 3)
    entries = by_exercise(summary)
    assert [(e.exercise.key, e.outcome, e.sides) for e in entries] == [
        ("glute_hip_bridge", Outcome.DONE, ()),
        ("prone_hip_extension", Outcome.DONE, ("left",)),
        ("prone_hip_extension", Outcome.TOO_PAINFUL, ("right",)),
        ("side_lying_hip_abduction", Outcome.SKIPPED, ()),
        ("clamshells", Outcome.DONE, ()),
        ("figure_4_stretch", Outcome.DONE, ()),
        ("piriformis_stretch", Outcome.DONE, ("left",)),
        ("piriformis_stretch", None, ("right",)),
    ]
    assert exercises_done(summary) == 3


def test_stopping_for_severe_pain_ends_the_session_without_a_second_rating(
    programme: Programme,
) -> None:
    steps = session_steps(programme)
    severe = advance(steps, SessionState(0), RatePain(9))
    assert not isinstance(severe, Refusal)
    assert pause_reason(steps, severe.state) is PauseReason.SEVERE_PAIN
    stop = advance(steps, severe.state, FinishEarly())
    assert not isinstance(stop, Refusal)
    assert stop.finished and stop.stopped_for_pain and stop.pain_after is None
    assert advance(steps, stop.state, RatePain(9)) == Refusal("finished")
    # The other choice is "I meant a different number": the rating is asked again; there
    # is no going on with the exercises beside the advice to stop.
    again = advance(steps, severe.state, Continue())
    assert not isinstance(again, Refusal) and again.state == SessionState(0)
    corrected = advance(steps, again.state, RatePain(3))
    assert not isinstance(corrected, Refusal)
    assert corrected.pain_before == 3 and corrected.state == SessionState(1)
