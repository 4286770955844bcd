"""Messages for progress, history, safety advice, export and delete (Telegram HTML)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.coach.progress import PROGRESSION_SESSIONS, Progress, SessionRecord
from bot.coach.safety import Advice
from bot.programme import Exercise, Programme, Safety, SafetyNote
from bot.store.models import ExerciseResult
from bot.telegram import callbacks
from bot.telegram.render import Screen, start_session_keyboard

OURS = "<i>(Our advice, not your handout's.)</i>"


def _ours(note: SafetyNote) -> str:
    return f"{escape(note.text)} {OURS}"


class RecordsRenderer:
    def __init__(self, programme: Programme, safety: Safety) -> None:
        self.programme = programme
        self.safety = safety

    # Safety advice

    def pain_advice(self, advice: Advice) -> str:
        note = (
            self.safety.stop_and_contact
            if advice is Advice.STOP_AND_CONTACT
            else self.safety.pain_monitoring
        )
        return f"⚠️ {_ours(note)}"

    def severe_pain_pause(self, session_id: int, index: int) -> Screen:
        return Screen(
            f"⚠️ {_ours(self.safety.stop_and_contact)}\n\nWhat would you like to do?",
            InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            "Stop for today (rate my pain)",
                            callback_data=callbacks.session_button(session_id, index, "finish"),
                        )
                    ],
                    [
                        InlineKeyboardButton(
                            "Go on very gently",
                            callback_data=callbacks.session_button(session_id, index, "continue"),
                        )
                    ],
                ]
            ),
        )

    def leave_out(self) -> str:
        return f"⚠️ {_ours(self.safety.leave_out)}"

    def rising_pain(self) -> str:
        return f"⚠️ {_ours(self.safety.rising_pain)}"

    def streak(self, days: int, sessions_today: int) -> str:
        line = (
            f"🔥 {days} days in a row with a session."
            if days > 1
            else "🔥 First day of a new streak."
        )
        if sessions_today >= self.programme.sessions_per_day_max:
            line += f" {escape(self.safety.over_exercise.text)}"
        return line

    def progression(self, exercise: Exercise) -> str:
        assert exercise.progression is not None
        return (
            f"💪 <b>Ready for more?</b> You've done every exercise in "
            f"{PROGRESSION_SESSIONS} sessions this week with little pain. Your handout's "
            f"next step for <b>{escape(exercise.title)}</b>: "
            f"<i>{escape(exercise.progression)}</i>\n"
            "Only if it feels right; if pain goes up, go back to the easier version."
        )

    # /progress and /history

    def no_progress(self) -> Screen:
        return Screen(
            "No sessions in the last four weeks yet, so there's nothing to chart. "
            "Do a session and I'll start drawing your progress. You can also send a "
            "number from 0 to 10 at any time to log your pain.",
            start_session_keyboard(),
        )

    def progress(self, progress: Progress) -> str:
        lines = [
            "<b>Your progress</b>",
            f"This week: {progress.sessions_this_week} sessions on {progress.days_this_week} "
            f"of 7 days ({progress.adherence:.0%} of days; the handout asks for "
            f"{self.programme.sessions_per_day_min}-{self.programme.sessions_per_day_max} "
            "a day).",
        ]
        if progress.streak:
            lines.append(f"Streak: {progress.streak} days in a row.")
        if progress.average_change is not None:
            change = progress.average_change
            direction = "down" if change < 0 else "up" if change > 0 else "unchanged"
            amount = f" {abs(change):.1f} points" if change else ""
            lines.append(f"Pain during a session, on average: {direction}{amount}.")
        trend = progress.trend
        if trend is None:
            lines.append("Trend: a few more sessions and I can show how your pain is changing.")
        elif trend.meaningful:
            lines.append(
                f"Trend: pain before sessions fell from {trend.baseline:.1f} to "
                f"{trend.recent:.1f}, a <b>meaningful improvement</b> (2 points or 30% is "
                "the published threshold for a change that matters)."
            )
        elif trend.drop > 0:
            lines.append(
                f"Trend: pain before sessions fell from {trend.baseline:.1f} to "
                f"{trend.recent:.1f}; not yet the 2 points or 30% that counts as a "
                "meaningful change. Keep going at your own pace."
            )
        else:
            lines.append(
                f"Trend: pain before sessions went from {trend.baseline:.1f} to "
                f"{trend.recent:.1f}, no improvement yet. If it keeps getting worse, talk to "
                "a physiotherapist."
            )
        return "\n".join(lines)

    def progress_caption(self) -> str:
        return (
            "Pain before and after each session (top) and sessions per day against the "
            "handout's target (bottom), last 4 weeks."
        )

    def history(
        self, records: Sequence[SessionRecord], results: dict[int, list[ExerciseResult]]
    ) -> str:
        if not records:
            return "No sessions yet. Send /session to do your first one."
        titles = {exercise.key: exercise.title for exercise in self.programme.exercises}
        entries = []
        for record in reversed(records):
            state = "finished" if record.finished else "not finished"
            before = "-" if record.pain_before is None else f"{record.pain_before}/10"
            after = "-" if record.pain_after is None else f"{record.pain_after}/10"
            answered = results.get(record.session_id, [])
            done_keys = dict.fromkeys(r.exercise_key for r in answered if r.outcome == "done")
            done = ", ".join(escape(titles.get(key, key)) for key in done_keys) or "none"
            entries.append(
                f"<b>{record.local_date:%a %d %b}</b> ({state}): pain {before} → {after}; "
                f"{record.done} of {record.steps} done: {done}"
            )
        return "<b>Your last sessions</b>\n\n" + "\n\n".join(entries)

    # /export and /delete

    def export_caption(self, kind: str) -> str:
        if kind == "csv":
            return (
                "Everything I hold about your exercises and pain, one row per exercise "
                "result and per pain rating (times in UTC and your local time)."
            )
        return (
            "Your pain ratings as a FHIR R4 bundle (LOINC 72514-3), a standard format "
            "that health records and physiotherapy software can import."
        )

    def delete_confirm(self, user_row_id: int) -> Screen:
        return Screen(
            "<b>Delete everything?</b> This removes your account, all sessions, exercise "
            "results, pain ratings and reminders from this bot's database. It cannot be "
            "undone. (Send /export first if you want a copy.)\n\n"
            "The messages in this chat are kept by Telegram, not by me: you can clear the "
            "chat yourself.",
            InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            "Yes, delete everything",
                            callback_data=callbacks.delete_button(user_row_id),
                        )
                    ],
                    [InlineKeyboardButton("No, keep it", callback_data=callbacks.DELETE_KEEP)],
                ]
            ),
        )

    def deleted(self) -> str:
        return (
            "Done: everything I held about you is deleted. If you send /start, I'll greet "
            "you as someone new."
        )

    def safety_overview(self) -> str:
        return (
            f"<b>When to stop and get help</b> {OURS}\n\n"
            f"• {escape(self.safety.stop_rule.text)}\n"
            f"• {escape(self.safety.pain_monitoring.text)}\n"
            f"• {escape(self.safety.stop_and_contact.text)}"
        )
