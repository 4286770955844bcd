"""The steps of a guided session and how each answer moves it on.

A session is a list of steps derived from the programme: the pain rating before, one
step per exercise and side, the pain rating after. Its state is two small values that
the store keeps in the session's row, so that a restart or a second instance carries on
from the database: the index of the current step and whether the session is paused
(after severe pain before it, or a "too painful" answer), waiting for the person to choose.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from bot.coach.safety import SEVERE_PAIN
from bot.programme import Exercise, Programme, Side


class Outcome(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"
    TOO_PAINFUL = "too_painful"


@dataclass(frozen=True)
class Step:
    kind: Literal["pain_before", "exercise", "pain_after"]
    exercise: Exercise | None = None
    side: Side | None = None


def session_steps(programme: Programme) -> tuple[Step, ...]:
    steps = [Step("pain_before")]
    for exercise in programme.exercises:
        steps.extend(Step("exercise", exercise, side) for side in exercise.sides)
    steps.append(Step("pain_after"))
    return tuple(steps)


@dataclass(frozen=True)
class SessionState:
    step: int = 0
    paused_for_pain: bool = False


class PauseReason(StrEnum):
    SEVERE_PAIN = "severe_pain"  # rated severe before the first exercise
    TOO_PAINFUL = "too_painful"  # an exercise was too painful


def pause_reason(steps: tuple[Step, ...], state: SessionState) -> PauseReason | None:
    """Why the session waits for the person to choose, or None if it does not."""
    if not state.paused_for_pain:
        return None
    if state.step > 0 and steps[state.step - 1].kind == "pain_before":
        return PauseReason.SEVERE_PAIN
    return PauseReason.TOO_PAINFUL


def is_double_tap(step: Step, seconds_since_last_answer: float | None, window: float) -> bool:
    """An exercise answered within `window` seconds of the session's last answer: no one
    does an exercise that fast, but a second tap on the same spot lands on the next
    step's button once the message has turned into it. Counting it would record an
    exercise the person never did."""
    return (
        step.kind == "exercise"
        and seconds_since_last_answer is not None
        and 0 <= seconds_since_last_answer < window
    )


def current_step(steps: tuple[Step, ...], state: SessionState) -> Step:
    """The step a person sees; a finished session shows its last one."""
    return steps[min(state.step, len(steps) - 1)]


# What a person can do at a step. Each is a separate value so that the shell can
# translate a button or a typed number into one and hand it to `advance`.
@dataclass(frozen=True)
class RatePain:
    score: int


@dataclass(frozen=True)
class Report:
    outcome: Outcome


@dataclass(frozen=True)
class Continue:
    """After a "too painful" pause: go on with the next exercise. After severe pain
    before the session: the rating was a slip, so ask for it again (there is no going
    on beside the advice to stop)."""


@dataclass(frozen=True)
class FinishEarly:
    """After a "too painful" pause: stop exercising and rate pain now."""


Event = RatePain | Report | Continue | FinishEarly


@dataclass(frozen=True)
class Advance:
    """The accepted event: the new state and what to record."""

    state: SessionState
    # The step this event answered; None for the choice made in a pause.
    answered: Step | None = None
    pain_before: int | None = None
    pain_after: int | None = None
    result: tuple[int, Outcome] | None = None  # (step index, outcome)
    finished: bool = False
    stopped_for_pain: bool = False  # finished before the first exercise, for severe pain


@dataclass(frozen=True)
class Refusal:
    """The event does not fit the current step; nothing is recorded."""

    reason: Literal["finished", "wrong_step_kind", "paused", "not_paused"]


def advance(steps: tuple[Step, ...], state: SessionState, event: Event) -> Advance | Refusal:
    if state.step >= len(steps):
        return Refusal("finished")
    step = steps[state.step]
    following = SessionState(step=state.step + 1)
    if state.paused_for_pain:
        match event:
            case Continue() if pause_reason(steps, state) is PauseReason.SEVERE_PAIN:
                return Advance(state=SessionState(step=0))
            case Continue():
                return Advance(state=replace(state, paused_for_pain=False))
            case FinishEarly() if pause_reason(steps, state) is PauseReason.SEVERE_PAIN:
                # Stopping for severe pain ends the session there: no second rating
                # seconds after the first, no summary of exercises never begun.
                return Advance(
                    state=SessionState(step=len(steps)), finished=True, stopped_for_pain=True
                )
            case FinishEarly():
                return Advance(state=SessionState(step=len(steps) - 1))
            case _:
                return Refusal("paused")
    match event:
        case RatePain(score) if step.kind == "pain_before":
            # Severe pain before starting: wait for the person to choose (after the advice
            # to stop) rather than show the first exercise straight away.
            paused = score >= SEVERE_PAIN
            return Advance(
                state=replace(following, paused_for_pain=paused), answered=step, pain_before=score
            )
        case RatePain(score) if step.kind == "pain_after":
            return Advance(state=following, answered=step, pain_after=score, finished=True)
        case Report(outcome) if step.kind == "exercise":
            # "Too painful" records the answer and waits: the person chooses whether to go
            # on, instead of being pressed straight into the next exercise.
            paused = outcome is Outcome.TOO_PAINFUL
            return Advance(
                state=replace(following, paused_for_pain=paused),
                answered=step,
                result=(state.step, outcome),
            )
        case Continue() | FinishEarly():
            return Refusal("not_paused")
        case _:
            return Refusal("wrong_step_kind")


@dataclass(frozen=True)
class ResultLine:
    exercise: Exercise
    side: Side | None
    outcome: Outcome | None  # None: the session ended before this step


@dataclass(frozen=True)
class Summary:
    lines: tuple[ResultLine, ...]
    pain_before: int | None
    pain_after: int | None

    @property
    def pain_change(self) -> int | None:
        if self.pain_before is None or self.pain_after is None:
            return None
        return self.pain_after - self.pain_before

    def count(self, outcome: Outcome | None) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)


def summarise(
    steps: tuple[Step, ...],
    outcomes: dict[int, Outcome],
    pain_before: int | None,
    pain_after: int | None,
) -> Summary:
    lines = tuple(
        ResultLine(step.exercise, step.side, outcomes.get(index))
        for index, step in enumerate(steps)
        if step.exercise is not None
    )
    return Summary(lines, pain_before, pain_after)


@dataclass(frozen=True)
class ExerciseOutcome:
    """One exercise in a summary: its outcome, and the sides it applies to (empty: the
    whole exercise - every side, or an exercise without sides)."""

    exercise: Exercise
    outcome: Outcome | None  # None: not reached
    sides: tuple[Side, ...] = ()


def by_exercise(summary: Summary) -> tuple[ExerciseOutcome, ...]:
    """The summary per exercise, as a person counts them ("5 of 6 exercises"): an
    exercise whose sides ended alike is one entry; otherwise one entry per outcome."""
    entries: list[ExerciseOutcome] = []
    for exercise in dict.fromkeys(line.exercise for line in summary.lines):
        lines = [line for line in summary.lines if line.exercise == exercise]
        outcomes = dict.fromkeys(line.outcome for line in lines)
        if len(outcomes) == 1:
            entries.append(ExerciseOutcome(exercise, lines[0].outcome))
            continue
        for outcome in outcomes:
            sides = tuple(
                line.side for line in lines if line.outcome == outcome and line.side is not None
            )
            entries.append(ExerciseOutcome(exercise, outcome, sides))
    return tuple(entries)


def exercises_done(summary: Summary) -> int:
    """Exercises done on every side."""
    return sum(1 for e in by_exercise(summary) if e.outcome is Outcome.DONE and not e.sides)
