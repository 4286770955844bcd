"""The screens of a session's steps: each exercise (and side) with its buttons, the pain
questions, the pauses after severe pain or "too painful", a hold's timer, and what a step
says once it is answered. The words come from the message catalog."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.catalog import Html, Texts, joined
from bot.coach.pain import PAIN_MAX, PAIN_MIN
from bot.coach.progress import SessionRecord
from bot.coach.safety import SEVERE_PAIN
from bot.coach.session import (
    Advance,
    Continue,
    Event,
    PauseReason,
    Report,
    SessionState,
    Step,
    pause_reason,
)
from bot.programme import Exercise, Programme, Safety, Side
from bot.telegram import callbacks
from bot.telegram.kernel import Screen, button, keyboard
from bot.telegram.render import OUTCOME_KEYS, per_day, side_label


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
    order = "side-first" if side == "left" else "side-second"
    side_line = t(f"{order}-noted", note=note) if note else t(order)
    if not full:
        return t(
            "exercise-next-side",
            number=number,
            count=len(programme.exercises),
            title=exercise.title,
            side=side_label(t, side),
            order=Html(side_line),
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
    return joined([text, side_line])


def exercise_keyboard(
    t: Texts,
    session_id: int,
    index: int,
    exercise: Exercise,
    side: Side | None = None,
    *,
    timer: bool = True,
    running: bool = False,
) -> InlineKeyboardMarkup:
    """Done, Skip, Too painful, Instructions again; the hold's timer (for `side`), or
    while it runs (`running`) a button in its place that only says so - every button
    keeps its place, so a quick second tap on the timer never lands on "Too painful";
    none with `timer=False`."""

    def press(key: str, action: callbacks.SessionAction) -> InlineKeyboardButton:
        return button(t(key), callbacks.session_button(session_id, index, action))

    rows = [
        [press("done-button", "done"), press("skip-button", "skip")],
        [press("too-painful-button", "too_painful"), press("again-button", "again")],
    ]
    if exercise.hold_seconds and (timer or running):
        label = t("timer-button", seconds=exercise.hold_seconds, side=side_label(t, side))
        if running:
            label = t("timer-running-button")
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


def too_painful_pause(
    t: Texts,
    programme: Programme,
    safety: Safety,
    session_id: int,
    index: int,
    steps: tuple[Step, ...],
) -> Screen:
    """After "too painful": the handout's advice, then go on or stop and rate."""
    go_on = go_on_key(steps, index)
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


def go_on_key(steps: tuple[Step, ...], index: int) -> str:
    """The "go on" choice after "too painful" says what comes: the rating, the other
    side of the same exercise, or the next exercise."""
    if steps[index].kind == "pain_after":
        return "too-painful-rate-button"
    if steps[index].exercise == steps[index - 1].exercise:
        return "too-painful-go-on-side-button"
    return "too-painful-go-on-button"


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
                    t("severe-pain-rerate-button"),
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
            choice = t("severe-pain-rerate-button" if going_on else "severe-pain-stop-button")
            advice = Html(severe_pain_advice(t, safety))
            return t("answered-severe-pause", advice=advice, choice=choice)
        go_on = go_on_key(steps, seen.step)
        painful = steps[seen.step - 1]  # the exercise answered "too painful"
        assert painful.exercise is not None  # (a too-painful pause follows an exercise)
        return t(
            "answered-pause",
            title=painful.exercise.title,
            side=side_label(t, painful.side),
            choice=t(go_on if going_on else "too-painful-stop-button"),
        )
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
    markup = exercise_keyboard(
        t, session_id, index, step.exercise, step.side, timer=False, running=True
    )
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


def rest_today_ask(t: Texts, programme: Programme) -> Screen:
    """A session beyond the handout's daily maximum: rest, or start one anyway?"""
    most = programme.sessions_per_day_max
    return Screen(
        t("rest-today", sessions=most, per_day=per_day(t, programme)),
        keyboard(
            [button(t("rest-today-button"), callbacks.REST_TODAY)],
            [button(t("start-anyway-button"), callbacks.START_ANYWAY)],
        ),
    )


def recall_severe_stop(
    t: Texts, safety: Safety, stopped: SessionRecord | None, today: date, recent_worst: int | None
) -> str:
    """Above the first question of a session: a severe rating of the last few hours (a
    check-in or a session's), or else a last session stopped for severe pain."""
    if recent_worst is not None and recent_worst >= SEVERE_PAIN:
        advice = safety.after_severe_stop.text
        return t("recall-recent-severe", score=recent_worst, advice=advice)
    if stopped is None or stopped.pain_before is None:
        return ""
    day = stopped.local_date
    when = t("recall-earlier-today") if day == today else t("recall-on-day", day=t.day(day))
    return t(
        "recall-severe-stop",
        when=when,
        score=stopped.pain_before,
        advice=safety.after_severe_stop.text,
    )
