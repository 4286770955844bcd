"""Screens that more than one feature shows: a session's steps and their keyboards, the
"Start session" button, the red-flag question, and warnings. The words come from the
message catalog; each feature renders the rest of its own messages."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.catalog import Html, Texts, html_list
from bot.coach.followup import Caution
from bot.coach.pain import PAIN_MAX, PAIN_MIN, PainProblem
from bot.coach.session import Outcome, Step
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


def start_session_keyboard(t: Texts, *, resume: bool = False) -> InlineKeyboardMarkup:
    label = t("continue-session-button" if resume else "start-session-button")
    return keyboard([button(label, callbacks.START_SESSION)])


def pain_keyboard(session_id: int, index: int) -> InlineKeyboardMarkup:
    buttons = [
        button(str(score), callbacks.pain_button(session_id, index, score))
        for score in range(PAIN_MIN, PAIN_MAX + 1)
    ]
    return keyboard(buttons[:6], buttons[6:])


def exercise_text(t: Texts, programme: Programme, exercise: Exercise, side: Side | None) -> str:
    instructions = exercise.instructions
    if exercise.progression:
        instructions += " " + exercise.progression
    text = t(
        "exercise",
        number=programme.exercises.index(exercise) + 1,
        count=len(programme.exercises),
        title=exercise.title,
        side=side_label(t, side),
        objective=exercise.objective,
        instructions=instructions,
        dose=exercise.dose,
    )
    if side is None:
        return text
    return f"{text}\n\n{t('side-first' if side == 'left' else 'side-second')}"


def exercise_keyboard(
    t: Texts, session_id: int, index: int, exercise: Exercise
) -> InlineKeyboardMarkup:
    def press(key: str, action: callbacks.SessionAction) -> InlineKeyboardButton:
        return button(t(key), callbacks.session_button(session_id, index, action))

    rows = [
        [press("done-button", "done"), press("skip-button", "skip")],
        [press("too-painful-button", "too_painful"), press("again-button", "again")],
    ]
    if exercise.hold_seconds:
        timer = t("timer-button", seconds=exercise.hold_seconds)
        rows.insert(1, [button(timer, callbacks.session_button(session_id, index, "timer"))])
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
) -> Screen:
    """The message that asks for one step of a session."""
    if step.kind == "exercise":
        assert step.exercise is not None
        text = exercise_text(t, programme, step.exercise, step.side)
        markup = exercise_keyboard(t, session_id, index, step.exercise)
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
