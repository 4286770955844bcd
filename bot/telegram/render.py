"""Screens that more than one feature shows: a session's steps and their keyboards, the
"Start session" button, the red-flag question, and warnings. The words come from the
message catalog; each feature renders the rest of its own messages."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.catalog import Html, Texts, html_list, joined
from bot.coach.followup import Caution
from bot.coach.pain import PAIN_MAX, PAIN_MIN, PainProblem
from bot.coach.session import (
    Advance,
    Continue,
    Event,
    Outcome,
    PauseReason,
    Report,
    SessionState,
    Step,
    Summary,
    by_exercise,
    pause_reason,
)
from bot.coach.timezones import ZoneFacts
from bot.programme import Exercise, Programme, Safety, Side
from bot.telegram import callbacks
from bot.telegram.kernel import Screen, button, keyboard

OUTCOME_KEYS = {
    Outcome.DONE: "outcome-done",
    Outcome.SKIPPED: "outcome-skipped",
    Outcome.TOO_PAINFUL: "outcome-too-painful",
}


def side_label(t: Texts, side: Side | None) -> Html:
    return t.html("side-label", side=side) if side else Html("")


def exercise_entries(t: Texts, summary: Summary) -> list[tuple[Outcome | None, Html]]:
    """Each exercise of a summary with its outcome: "Clamshells", or "Clamshells (left
    side)" when its sides ended differently (HTML, escaped)."""
    entries = []
    for entry in by_exercise(summary):
        side = side_label(t, entry.sides[0]) if len(entry.sides) == 1 else ""
        entries.append((entry.outcome, Html(escape(entry.exercise.title) + side)))
    return entries


def outcome_label(t: Texts, outcome: Outcome | None) -> str:
    return t(OUTCOME_KEYS[outcome] if outcome else "outcome-not-reached")


def start_session_keyboard(t: Texts, *, resume: bool = False) -> InlineKeyboardMarkup:
    label = t("continue-session-button" if resume else "start-session-button")
    return keyboard([button(label, callbacks.START_SESSION)])


def pain_keyboard(session_id: int, index: int) -> InlineKeyboardMarkup:
    buttons = [
        button(str(score), callbacks.pain_button(session_id, index, score))
        for score in range(PAIN_MIN, PAIN_MAX + 1)
    ]
    return keyboard(buttons[:6], buttons[6:])


def exercise_text(
    t: Texts, programme: Programme, exercise: Exercise, side: Side | None, *, full: bool = True
) -> str:
    """An exercise's message: in full the first time; for the second side, only which
    side and the dose (the instructions are one tap away), so a phone shows it whole."""
    number = programme.exercises.index(exercise) + 1
    note = exercise.side_note(side)
    side_line = t("side-note", note=note) if note else ""
    if not full:
        return t(
            "exercise-next-side",
            number=number,
            count=len(programme.exercises),
            title=exercise.title,
            side=side_label(t, side),
            note=Html(side_line),
            dose=exercise.dose,
        )
    instructions = exercise.instructions
    if exercise.progression:
        instructions += " " + exercise.progression
    text = t(
        "exercise",
        number=number,
        count=len(programme.exercises),
        title=exercise.title,
        side=side_label(t, side),
        objective=exercise.objective,
        instructions=instructions,
        dose=exercise.dose,
    )
    if side is None:
        return text
    order = t("side-first" if side == "left" else "side-second")
    return joined([text, joined([order, side_line], "\n")])


def exercise_keyboard(
    t: Texts,
    session_id: int,
    index: int,
    exercise: Exercise,
    side: Side | None = None,
    *,
    timer: bool = True,
) -> InlineKeyboardMarkup:
    """Done, Skip, Too painful, Instructions again; the hold's timer (for `side`) unless
    it is running (`timer=False`)."""

    def press(key: str, action: callbacks.SessionAction) -> InlineKeyboardButton:
        return button(t(key), callbacks.session_button(session_id, index, action))

    rows = [
        [press("done-button", "done"), press("skip-button", "skip")],
        [press("too-painful-button", "too_painful"), press("again-button", "again")],
    ]
    if exercise.hold_seconds and timer:
        label = t("timer-button", seconds=exercise.hold_seconds, side=side_label(t, side))
        rows.insert(1, [button(label, callbacks.session_button(session_id, index, "timer"))])
    if exercise.video_url:
        rows.append([InlineKeyboardButton(t("video-button"), url=exercise.video_url)])
    return InlineKeyboardMarkup(rows)


def step_screen(
    t: Texts,
    programme: Programme,
    session_id: int,
    index: int,
    step: Step,
    *,
    resumed: bool = False,
    full: bool = False,
) -> Screen:
    """The message that asks for one step of a session (`full`: the whole instructions
    even for a second side)."""
    if step.kind == "exercise":
        assert step.exercise is not None
        second_side = step.side == "right"
        text = exercise_text(
            t, programme, step.exercise, step.side, full=full or resumed or not second_side
        )
        markup = exercise_keyboard(t, session_id, index, step.exercise, step.side)
    else:
        question = "pain-before-question" if step.kind == "pain_before" else "pain-after-question"
        text, markup = t(question), pain_keyboard(session_id, index)
    return Screen(f"{t('resumed')}\n\n{text}" if resumed else text, markup)


def caution(t: Texts, safety: Safety, which: Caution) -> str:
    """A warning of ours, marked as ours (the texts and their sources: content/safety.toml)."""
    note = {
        Caution.PAIN_MONITORING: safety.pain_monitoring,
        Caution.STOP_AND_CONTACT: safety.stop_and_contact,
        Caution.RISING_PAIN: safety.rising_pain,
        Caution.LEAVE_OUT: safety.leave_out,
        Caution.CHECKIN_HIGH: safety.checkin_high,
        Caution.CHECKIN_SEVERE: safety.checkin_severe,
    }[which]
    return t("caution", text=note.text)


def red_flags_question(t: Texts, safety: Safety, *, with_intro: bool = True) -> Screen:
    """The safety check: asked at set-up, by /safety, and before a session while the
    last answer was not "none". /safety has just said the rest (`with_intro=False`)."""
    flags = safety.red_flags
    question = t("red-flags-only", question=flags.question, symptoms=html_list(flags.symptoms))
    if with_intro:
        question = t(
            "red-flags-question",
            disclaimer=safety.disclaimer.text,
            stop_rule=safety.stop_rule.text,
            question=Html(question),
        )
    return Screen(
        question,
        keyboard(
            [button(t("red-flags-none-button"), callbacks.RED_FLAGS_NONE)],
            [button(t("red-flags-reported-button"), callbacks.RED_FLAGS_REPORTED)],
        ),
    )


_PAIN_PROBLEMS = {
    PainProblem.OUT_OF_RANGE: "pain-out-of-range",
    PainProblem.NOT_WHOLE: "pain-not-whole",
    PainProblem.NOT_A_NUMBER: "pain-not-a-number",
    PainProblem.EMPTY: "pain-not-a-number",
}


def pain_problem(t: Texts, problem: PainProblem) -> str:
    """What to say about a pain rating that could not be read."""
    return t(_PAIN_PROBLEMS[problem])


def per_day(t: Texts, programme: Programme) -> str:
    """The handout's dose as a count, for messages where no exercises follow."""
    return t("per-day", min=programme.sessions_per_day_min, max=programme.sessions_per_day_max)


def zone_text(t: Texts, facts: ZoneFacts) -> str:
    """ "Europe/Berlin (UTC+01:00, now 14:05)"; a fixed offset says that it is one."""
    if facts.fixed:
        return t("zone-fixed", offset=facts.offset, time=facts.local_time)
    return t("zone-named", name=facts.name, offset=facts.offset, time=facts.local_time)


def too_painful_pause(
    t: Texts,
    programme: Programme,
    safety: Safety,
    session_id: int,
    index: int,
    next_is_rating: bool,
) -> Screen:
    """After "too painful": the handout's advice, then go on or stop and rate."""
    go_on = "too-painful-rate-button" if next_is_rating else "too-painful-go-on-button"
    return Screen(
        t("too-painful", advice="\n".join(programme.pain_advice), stop_rule=safety.stop_rule.text),
        keyboard(
            [button(t(go_on), callbacks.session_button(session_id, index, "continue"))],
            [
                button(
                    t("too-painful-stop-button"),
                    callbacks.session_button(session_id, index, "finish"),
                )
            ],
        ),
    )


def severe_pain_advice(t: Texts, safety: Safety) -> str:
    return t("severe-pain-advice", advice=safety.stop_and_contact.text)


def severe_pain_pause(t: Texts, safety: Safety, session_id: int, index: int) -> Screen:
    """Severe pain before the first exercise: the advice to stop, and the choice."""
    return Screen(
        t("severe-pain-pause", advice=Html(severe_pain_advice(t, safety))),
        keyboard(
            [
                button(
                    t("severe-pain-stop-button"),
                    callbacks.session_button(session_id, index, "finish"),
                )
            ],
            [
                button(
                    t("severe-pain-go-on-button"),
                    callbacks.session_button(session_id, index, "continue"),
                )
            ],
        ),
    )


def answered_text(
    t: Texts,
    steps: tuple[Step, ...],
    safety: Safety,
    seen: SessionState,
    change: Advance,
    event: Event,
) -> str:
    """The text of a step's message once answered, with its buttons gone. A pause
    keeps what it said (the advice to contact a clinician stays in the chat)."""
    step = change.answered
    if step is None:  # the choice made in a pause
        going_on = isinstance(event, Continue)
        if pause_reason(steps, seen) is PauseReason.SEVERE_PAIN:
            choice = t("severe-pain-go-on-button" if going_on else "severe-pain-stop-button")
            advice = Html(severe_pain_advice(t, safety))
            return t("answered-severe-pause", advice=advice, choice=choice)
        rate_next = steps[seen.step].kind == "pain_after"
        go_on = "too-painful-rate-button" if rate_next else "too-painful-go-on-button"
        return t("answered-pause", choice=t(go_on if going_on else "too-painful-stop-button"))
    if isinstance(event, Report) and step.exercise is not None:
        return t(
            "answered-exercise",
            title=step.exercise.title,
            side=side_label(t, step.side),
            outcome=t(OUTCOME_KEYS[event.outcome]),
        )
    score = change.pain_before if step.kind == "pain_before" else change.pain_after
    key = "answered-pain-before" if step.kind == "pain_before" else "answered-pain-after"
    return t(key, score=score if score is not None else 0)


def holding_screen(t: Texts, session_id: int, index: int, step: Step) -> Screen:
    """While a hold's timer runs: which exercise and side, and its buttons (no timer)."""
    assert step.exercise is not None and step.exercise.hold_seconds is not None
    text = t(
        "timer-started",
        seconds=step.exercise.hold_seconds,
        side=side_label(t, step.side),
        title=step.exercise.title,
    )
    markup = exercise_keyboard(t, session_id, index, step.exercise, step.side, timer=False)
    return Screen(text, markup)


def time_up_screen(t: Texts, session_id: int, index: int, step: Step) -> Screen:
    """A hold's time is up: the exercise and the side it was, and that side's buttons;
    Done leads to the other side, with a timer of its own."""
    assert step.exercise is not None and step.exercise.hold_seconds is not None
    then = "timer-then-switch" if step.side == "left" else "timer-then-done"
    text = t(
        "timer-done",
        seconds=step.exercise.hold_seconds,
        title=step.exercise.title,
        side=side_label(t, step.side),
        then=t.html(then),
    )
    markup = exercise_keyboard(t, session_id, index, step.exercise, step.side, timer=False)
    return Screen(text, markup)
