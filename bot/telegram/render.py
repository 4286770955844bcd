"""Screens and phrases that more than one feature shows: the "Start session" button, the
red-flag question, warnings, outcomes, the time zone. The words come from the message
catalog; each feature renders the rest of its own messages (a session's steps: steps.py)."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup

from bot.catalog import Html, Texts, html_list
from bot.coach.followup import Caution
from bot.coach.pain import PainProblem
from bot.coach.session import (
    Outcome,
    Summary,
    by_exercise,
)
from bot.coach.timezones import ZoneFacts
from bot.programme import Programme, Safety, Side
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


def caution(t: Texts, safety: Safety, which: Caution) -> str:
    """A warning of ours, marked as ours (the texts and their sources: content/safety.toml)."""
    note = {
        Caution.PAIN_MONITORING: safety.pain_monitoring,
        Caution.STOP_AND_CONTACT: safety.stop_and_contact,
        Caution.RISING_PAIN: safety.rising_pain,
        Caution.LEAVE_OUT: safety.leave_out,
        Caution.CHECKIN_HIGH: safety.checkin_high,
        Caution.CHECKIN_ABOVE_USUAL: safety.checkin_above_usual,
        Caution.CHECKIN_AFTER_HIGH: safety.checkin_after_high,
        Caution.CHECKIN_AFTER_SEVERE: safety.checkin_after_severe,
        Caution.CHECKIN_SEVERE: safety.checkin_severe,
    }[which]
    return t("caution", text=note.text)


def red_flags_question(t: Texts, safety: Safety, *, with_intro: bool = True) -> Screen:
    """The safety check: asked at set-up, by /safety, and before a session while the
    last answer was not "none". /safety has just said the rest (`with_intro=False`)."""
    flags = safety.red_flags
    asked = t.html("red-flags-before-we-start", question=flags.question) if with_intro else None
    question = t(
        "red-flags-only", question=asked or flags.question, symptoms=html_list(flags.symptoms)
    )
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


def zone_text(t: Texts, facts: ZoneFacts, *, explain: bool = False) -> str:
    """ "Europe/Berlin (UTC+01:00, now 14:05)"; a fixed offset says that it is one, and
    when it is chosen (`explain`) that it does not follow daylight saving."""
    if facts.fixed:
        key = "zone-fixed-explained" if explain else "zone-fixed"
        return t(key, offset=facts.offset, time=facts.local_time)
    return t("zone-named", name=facts.name, offset=facts.offset, time=facts.local_time)


def zone_label(t: Texts, facts: ZoneFacts) -> str:
    """The zone in a few characters, for a chart's title: "Europe/Berlin", "UTC+02:00"."""
    return t("zone-offset", offset=facts.offset) if facts.fixed else facts.name
