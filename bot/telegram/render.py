"""Messages and keyboards: the programme and the session state turned into Telegram HTML.

All content is escaped here, once; handlers never build message text themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.coach.pain import PAIN_MAX, PAIN_MIN, PainProblem
from bot.coach.session import Outcome, Step, Summary
from bot.programme import Exercise, Programme, Safety, Side
from bot.telegram import callbacks

# The zones offered as buttons when we ask; anything else is typed as a city or offset.
SUGGESTED_ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Sydney",
)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("session", "Start or continue today's exercise session"),
    ("reminders", "Your reminder times and time zone; change or pause them"),
    ("pause", "Pause reminders"),
    ("resume", "Turn reminders back on"),
    ("progress", "A chart of your pain and sessions, last 4 weeks"),
    ("history", "Your last sessions"),
    ("learn", "What causes buttock pain, how it is treated, recovery"),
    ("safety", "When to stop and get help; the warning signs"),
    ("export", "Download everything I hold about you (CSV and FHIR)"),
    ("delete", "Delete everything I hold about you"),
    ("cancel", "Leave the session (you can continue it later today)"),
    ("start", "Welcome, safety notes and set-up"),
    ("help", "What I can do"),
)

OUTCOME_LABELS = {
    Outcome.DONE: "✅ Done",
    Outcome.SKIPPED: "⏭ Skipped",
    Outcome.TOO_PAINFUL: "✋ Too painful",
}


@dataclass(frozen=True)
class Screen:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def _side_label(side: Side | None) -> str:
    return f" ({side} side)" if side else ""


def _list(items: tuple[str, ...]) -> str:
    return "\n".join(f"• {escape(item)}" for item in items)


def start_session_keyboard(label: str = "Start session") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(label, callbacks.START_SESSION)]])


class Renderer:
    def __init__(self, programme: Programme, safety: Safety) -> None:
        self.programme = programme
        self.safety = safety
        self.exercise_count = len(programme.exercises)

    # Set-up

    def welcome(self, first_name: str) -> Screen:
        names = _list(tuple(exercise.title for exercise in self.programme.exercises))
        hello = f"Hello {escape(first_name)}!" if first_name else "Hello!"
        return Screen(
            f"{hello} I'm your exercise coach for <b>{escape(self.programme.title)}</b>, "
            "a physiotherapist's home programme of "
            f"{self.exercise_count} exercises and stretches:\n{names}\n\n"
            f"<b>{escape(self.programme.frequency)}</b>\n\n"
            "I'll walk you through them one at a time, ask about your pain before and after, "
            "and keep a record that is yours: I store your answers, your time zone and your "
            "reminder times in this bot's database and nothing else."
        )

    def red_flags_question(self) -> Screen:
        flags = self.safety.red_flags
        return Screen(
            f"<b>Safety first</b>\n{escape(self.safety.disclaimer.text)}\n\n"
            f"{escape(self.safety.stop_rule.text)}\n\n"
            f"<b>{escape(flags.question)}</b>\n{_list(flags.symptoms)}",
            InlineKeyboardMarkup(
                [
                    [_button("None of these", callbacks.RED_FLAGS_NONE)],
                    [_button("Yes, I have one of these", callbacks.RED_FLAGS_REPORTED)],
                ]
            ),
        )

    def seek_care(self) -> Screen:
        return Screen(
            f"<b>{escape(self.safety.red_flags.seek_care)}</b>\n\n"
            "When a clinician has checked you and says exercising is fine, send /session "
            "and I'll ask again."
        )

    def time_zone_question(self, default_zone: str) -> Screen:
        zones = [default_zone, *(z for z in SUGGESTED_ZONES if z != default_zone)]
        rows = [
            [_button(zone, callbacks.zone_button(zone)) for zone in zones[i : i + 2]]
            for i in range(0, len(zones), 2)
        ]
        return Screen(
            "<b>Which time zone are you in?</b> I need it to remind you at the right local "
            "time. Type your city (for example <i>Berlin</i> or <i>New York</i>) or your "
            "offset from UTC (for example <i>+2</i> or <i>-5</i>), or pick one:",
            InlineKeyboardMarkup(rows),
        )

    def time_zone_unknown(self, typed: str) -> Screen:
        shown = escape(typed[:40] + ("…" if len(typed) > 40 else ""))
        return Screen(
            f"I couldn't find a time zone for “{shown}”. Try the biggest city near you "
            "(for example <i>Paris</i>), a zone name like <i>Europe/Paris</i>, or your UTC "
            "offset like <i>+1</i> or <i>-5</i>."
        )

    def reminders_question(self, zone_description: str, times: tuple[time, time]) -> Screen:
        return Screen(
            f"Time zone set: <b>{escape(zone_description)}</b>.\n\n"
            f"Your two daily reminder times are <b>{times[0]:%H:%M}</b> and "
            f"<b>{times[1]:%H:%M}</b> your time. Keep them?",
            InlineKeyboardMarkup(
                [
                    [
                        _button("Keep these", callbacks.REMINDERS_KEEP),
                        _button("Change times", callbacks.REMINDERS_CHANGE),
                    ],
                    [_button("Change time zone", callbacks.ZONE_CHANGE)],
                ]
            ),
        )

    def reminder_times_prompt(self) -> Screen:
        return Screen(
            "Send me two times of day, morning first, like <i>07:30, 19:00</i> (24-hour clock)."
        )

    def reminder_times_invalid(self) -> Screen:
        return Screen(
            "I couldn't read two times from that. Please send two different times on the "
            "24-hour clock, like <i>07:30, 19:00</i>."
        )

    def all_set(self, times: tuple[str, str]) -> Screen:
        return Screen(
            f"You're all set. Reminder times: <b>{escape(times[0])}</b> and "
            f"<b>{escape(times[1])}</b>.\n\n{escape(self.programme.frequency)} "
            "Press <b>Start session</b> when you're ready; /help lists everything I can do.",
            start_session_keyboard(),
        )

    def welcome_back(self, first_name: str, has_session_today: bool) -> Screen:
        hello = f"Welcome back, {escape(first_name)}!" if first_name else "Welcome back!"
        if has_session_today:
            return Screen(
                f"{hello} You have a session in progress today.",
                start_session_keyboard("Continue session"),
            )
        return Screen(f"{hello} {escape(self.programme.frequency)}", start_session_keyboard())

    # The session

    def step(self, session_id: int, index: int, step: Step, *, resumed: bool = False) -> Screen:
        note = "Welcome back, let's carry on where you left off.\n\n" if resumed else ""
        if step.kind == "pain_before":
            return Screen(
                f"{note}<b>How much pain do you have right now?</b>\n"
                "0 means no pain, 10 the worst pain you can imagine. Tap a number or type it.",
                self.pain_keyboard(session_id, index),
            )
        if step.kind == "pain_after":
            return Screen(
                f"{note}<b>That's the exercises done. How much pain do you have now?</b>\n"
                "0 means no pain, 10 the worst pain you can imagine.",
                self.pain_keyboard(session_id, index),
            )
        assert step.exercise is not None
        return Screen(
            note + self.exercise_text(step.exercise, step.side),
            self.exercise_keyboard(session_id, index, step.exercise),
        )

    def exercise_text(self, exercise: Exercise, side: Side | None) -> str:
        number = self.programme.exercises.index(exercise) + 1
        how_to = escape(exercise.instructions)
        if exercise.progression:
            how_to += " " + escape(exercise.progression)
        side_line = ""
        if side == "left":
            side_line = "\n\nStart with your <b>left side</b>; the right side comes next."
        elif side == "right":
            side_line = "\n\nNow your <b>right side</b>."
        return (
            f"<b>Exercise {number} of {self.exercise_count}: {escape(exercise.title)}</b>"
            f"{_side_label(side)}\n"
            f"<i>Objective: {escape(exercise.objective)}</i>\n\n"
            f"{how_to}\n\n<b>{escape(exercise.dose)}</b>{side_line}"
        )

    def exercise_keyboard(
        self, session_id: int, index: int, exercise: Exercise
    ) -> InlineKeyboardMarkup:
        def press(label: str, action: callbacks.SessionAction) -> InlineKeyboardButton:
            return _button(label, callbacks.session_button(session_id, index, action))

        rows = [
            [press("✅ Done", "done"), press("⏭ Skip", "skip")],
            [press("✋ Too painful", "too_painful"), press("📖 Instructions again", "again")],
        ]
        if exercise.hold_seconds:
            rows.insert(1, [press(f"⏱ Start {exercise.hold_seconds} s timer", "timer")])
        if exercise.video_url:
            rows.append([InlineKeyboardButton("▶️ Watch the video", url=exercise.video_url)])
        return InlineKeyboardMarkup(rows)

    def pain_keyboard(self, session_id: int, index: int) -> InlineKeyboardMarkup:
        scores = range(PAIN_MIN, PAIN_MAX + 1)
        buttons = [
            _button(str(score), callbacks.pain_button(session_id, index, score)) for score in scores
        ]
        return InlineKeyboardMarkup([buttons[:6], buttons[6:]])

    def answered(self, step: Step, outcome: Outcome | None, pain: int | None) -> str:
        """The text of a step's message once answered, with its buttons gone."""
        if step.kind == "exercise" and step.exercise is not None and outcome is not None:
            return (
                f"<b>{escape(step.exercise.title)}</b>{_side_label(step.side)}: "
                f"{OUTCOME_LABELS[outcome]}"
            )
        label = "Pain before" if step.kind == "pain_before" else "Pain after"
        return f"{label}: <b>{pain}/10</b>"

    def too_painful(self, session_id: int, index: int, next_is_pain_after: bool) -> Screen:
        advice = "\n".join(escape(line) for line in self.programme.pain_advice)
        go_on = "Rate my pain now" if next_is_pain_after else "Go on to the next one"
        return Screen(
            "Noted, thank you for telling me. Don't push through pain.\n\n"
            f"<b>From your handout:</b> {advice}\n\n"
            f"{escape(self.safety.stop_rule.text)}\n\nWhat would you like to do?",
            InlineKeyboardMarkup(
                [
                    [_button(go_on, callbacks.session_button(session_id, index, "continue"))],
                    [
                        _button(
                            "Stop exercising, rate my pain",
                            callbacks.session_button(session_id, index, "finish"),
                        )
                    ],
                ]
            ),
        )

    def timer_started(self, exercise: Exercise, side: Side | None, seconds: int) -> str:
        return (
            f"⏱ Hold for <b>{seconds} seconds</b>{_side_label(side)}: "
            f"{escape(exercise.title)}. I'll tell you when the time is up."
        )

    def timer_done(self, session_id: int, index: int, step: Step, seconds: int) -> Screen:
        assert step.exercise is not None
        then = (
            "Switch to your right side when you're ready."
            if step.side == "left"
            else "That's the hold done."
        )
        return Screen(
            f"⏱ <b>{seconds} seconds are up!</b> {then} Press <b>Done</b> to record it.",
            self.exercise_keyboard(session_id, index, step.exercise),
        )

    def summary(self, summary: Summary) -> str:
        lines = []
        for line in summary.lines:
            label = OUTCOME_LABELS[line.outcome] if line.outcome else "➖ Not reached"
            lines.append(f"{label}: {escape(line.exercise.title)}{_side_label(line.side)}")
        change = summary.pain_change
        pain = f"Pain: {summary.pain_before}/10 before, {summary.pain_after}/10 after"
        if change is not None:
            if change < 0:
                pain += f" (down {-change})."
            elif change > 0:
                pain += f" (up {change})."
            else:
                pain += " (no change)."
        done = summary.count(Outcome.DONE)
        extra = ""
        if summary.count(Outcome.TOO_PAINFUL) or (change is not None and change > 0):
            extra = "\n\nSome of this was painful today. " + " ".join(
                escape(line) for line in self.programme.pain_advice
            )
        return (
            f"<b>Session complete.</b> {done} of {len(summary.lines)} done.\n\n"
            + "\n".join(lines)
            + f"\n\n{pain}{extra}\n\n{escape(self.programme.frequency)}"
        )

    # Pain and other answers outside the flow

    def pain_problem(self, problem: PainProblem) -> str:
        if problem is PainProblem.OUT_OF_RANGE:
            return "Pain is rated from 0 to 10. Please send a whole number from 0 to 10."
        if problem is PainProblem.NOT_WHOLE:
            return "Please use a whole number from 0 to 10 (round to the nearest one)."
        return "Please send your pain as a number from 0 (no pain) to 10 (worst imaginable)."

    def checkin_recorded(self, score: int, local_time: str) -> Screen:
        return Screen(
            f"Thanks, I've noted pain <b>{score}/10</b> at {escape(local_time)}. "
            "Would you like to do your exercises now?",
            start_session_keyboard(),
        )

    def help(self) -> str:
        commands = "\n".join(f"/{name} - {escape(text)}" for name, text in COMMANDS)
        return (
            f"<b>{escape(self.programme.title)}</b>\n{escape(self.programme.frequency)}\n\n"
            f"{commands}\n\nOutside a session you can send a number from 0 to 10 at any time "
            "to log how much pain you have."
        )

    def learn(self) -> str:
        sections = "\n\n".join(
            f"<b>{escape(section.title)}</b>\n{escape(section.text)}"
            for section in self.programme.education
        )
        return f"{sections}\n\n<i>From your physiotherapist's handout.</i>"

    def description(self) -> str:
        return (
            f"A coach for the physiotherapist's home programme “{self.programme.title}”: "
            f"{self.exercise_count} exercises and stretches, one at a time, with pain ratings "
            "before and after, and a record of what you did. "
            "It does not replace a clinician."
        )

    def short_description(self) -> str:
        return f"Your coach for “{self.programme.title}”: guided exercises, pain log."

    # Reminders

    def reminder(self, delivery_id: int, slot: str) -> Screen:
        greeting = "Good morning!" if slot == "morning" else "Good evening!"
        return Screen(
            f"{greeting} Time for your <b>{slot} session</b> of "
            f"{escape(self.programme.title)}. {escape(self.programme.frequency)}",
            InlineKeyboardMarkup(
                [
                    [_button("Start session", callbacks.reminder_button(delivery_id, "go"))],
                    [
                        _button("Snooze 1 hour", callbacks.reminder_button(delivery_id, "snooze")),
                        _button("Skip this one", callbacks.reminder_button(delivery_id, "skip")),
                    ],
                ]
            ),
        )

    def reminder_settings(
        self, zone_description: str, times: tuple[str, str], on: bool, next_due: str | None
    ) -> Screen:
        state = (
            f"Reminders are <b>on</b>: <b>{escape(times[0])}</b> (morning) and "
            f"<b>{escape(times[1])}</b> (evening), {escape(zone_description)}."
            if on
            else "Reminders are <b>off</b>. Your times are kept for when you turn them on: "
            f"{escape(times[0])} and {escape(times[1])}, {escape(zone_description)}."
        )
        if on and next_due:
            state += f"\nNext reminder: {escape(next_due)}."
        toggle = (
            _button("Turn reminders off", callbacks.REMINDERS_OFF)
            if on
            else _button("Turn reminders on", callbacks.REMINDERS_ON)
        )
        return Screen(
            state,
            InlineKeyboardMarkup(
                [
                    [
                        _button("Change morning time", callbacks.REMINDERS_MORNING),
                        _button("Change evening time", callbacks.REMINDERS_EVENING),
                    ],
                    [_button("Change time zone", callbacks.ZONE_CHANGE)],
                    [toggle],
                ]
            ),
        )
