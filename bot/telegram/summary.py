"""The end of a session: the summary of what was done and the notes under it (warnings,
the streak, the progression), as the core's follow-up rules choose them."""

from __future__ import annotations

from datetime import date, timedelta

from bot.catalog import Html, Texts, joined
from bot.coach import followup, progress
from bot.coach import session as core
from bot.coach.safety import RISING_SESSIONS, USUAL_WINDOW, Advice, pain_advice, usual_pain
from bot.coach.timezones import local_date
from bot.store.models import ExerciseSession
from bot.store.records import RecordStore
from bot.telegram.kernel import Kernel
from bot.telegram.render import caution, outcome_label, per_day


async def rating_advice(
    kernel: Kernel, records: RecordStore, user_id: int, score: int, session_id: int | None = None
) -> Advice:
    """What a rating calls for, against the person's usual level (their other ratings of
    the last two weeks, this session's not counted)."""
    earlier = await records.ratings_since(
        user_id, kernel.clock() - USUAL_WINDOW, exclude_session=session_id
    )
    return pain_advice(score, usual_pain(earlier))


# The history a finished session's notes read: the progress window, and a day more for
# the time zones (it covers USUAL_WINDOW, the ratings the usual level is taken from).
HISTORY_READ = timedelta(days=progress.WINDOW_DAYS + 1)


class SessionEnd:
    def __init__(self, kernel: Kernel, records: RecordStore) -> None:
        self.kernel = kernel
        self.records = records

    async def summary(self, t: Texts, session: ExerciseSession, pain_after: int | None) -> Html:
        """The message that closes a finished session: what was done, and the notes."""
        assert session.id is not None
        outcomes = await self.kernel.store.outcomes(session.id)
        summary = core.summarise(self.kernel.steps, outcomes, session.pain_before, pain_after)
        notes = await self._notes(t, session, pain_after)
        return joined([self._summary(t, summary), *notes])

    async def _notes(self, t: Texts, session: ExerciseSession, pain_after: int | None) -> list[str]:
        """The notes under a finished session's summary, as the core chooses them."""
        assert session.id is not None
        person = await self.kernel.store.user_by_id(session.user_id)
        if person is None:
            return []
        now = self.kernel.clock()
        today = date.fromisoformat(local_date(now, person.time_zone))
        history = await self.records.sessions(session.user_id, since=now - HISTORY_READ)
        advice = Advice.NONE
        if pain_after is not None:
            # As `rating_advice`, with the sessions' ratings taken from the history.
            since = now - USUAL_WINDOW
            earlier = progress.ratings_since(history, since, exclude_session=session.id)
            earlier += await self.records.checkins_since(session.user_id, since)
            advice = pain_advice(pain_after, usual_pain(earlier))
        harder = next((e for e in self.kernel.programme.exercises if e.progression), None)
        notes = followup.after_session(
            followup.SessionFacts(
                pain_after_advice=advice,
                pain_after_history=await self.records.pain_after_history(
                    session.user_id, RISING_SESSIONS
                ),
                streak_days=progress.progress(history, today).streak,
                sessions_today=progress.sessions_today(history, today),
                sessions_per_day_max=self.kernel.programme.sessions_per_day_max,
                progression_due=progress.progression_due(history, today),
                progression_offered=person.progression_offered_at is not None,
                has_progression=harder is not None,
            )
        )
        texts = [caution(t, self.kernel.safety, note) for note in notes.warnings]
        if notes.streak_days:
            texts.append(t("streak", days=notes.streak_days))
        if notes.rest_now:
            texts.append(t("rest-now", advice=self.kernel.safety.over_exercise.text))
        if (
            notes.offer_progression
            and harder is not None
            and harder.progression is not None
            and await self.records.offer_progression(session.user_id, now)
        ):
            texts.append(
                t(
                    "progression",
                    sessions=progress.PROGRESSION_SESSIONS,
                    title=harder.title,
                    progression=harder.progression,
                )
            )
        return texts

    def _summary(self, t: Texts, summary: core.Summary) -> Html:
        # One line per exercise, as the person counts them; one whose sides ended
        # differently says what each side was, so that "4 of 6" adds up on sight.
        lines, split = [], 0
        for exercise in self.kernel.programme.exercises:
            entries = [e for e in core.by_exercise(summary) if e.exercise == exercise]
            if len(entries) == 1:
                label = outcome_label(t, entries[0].outcome)
                lines.append(t("summary-line", outcome=label, title=exercise.title, side=""))
                continue
            split += 1
            by_side = {side: entry.outcome for entry in entries for side in entry.sides}
            sides = [
                t("summary-side", side=side, outcome=outcome_label(t, by_side[side]))
                for side in exercise.sides
                if side is not None
            ]
            lines.append(t("summary-line-sides", title=exercise.title, sides="; ".join(sides)))
        pain = t("summary-pain", before=str(summary.pain_before), after=str(summary.pain_after))
        change = summary.pain_change
        if change is not None:
            key = "summary-pain-down" if change < 0 else "summary-pain-up" if change else None
            pain = t(key or "summary-pain-same", pain=Html(pain), change=abs(change))
        painful = ""
        if summary.count(core.Outcome.TOO_PAINFUL) or (change is not None and change > 0):
            painful = t("summary-painful", advice=" ".join(self.kernel.programme.pain_advice))
        return Html(
            t(
                "summary",
                done=core.exercises_done(summary),
                split=split,
                early="yes" if summary.count(None) else "no",
                total=len(self.kernel.programme.exercises),
                lines=Html("\n".join(lines)),
                pain=joined([pain, painful]),
                # (Not under a session ended early: it would read as a nudge to go on.)
                per_day="" if summary.count(None) else per_day(t, self.kernel.programme),
            ).rstrip()
        )
