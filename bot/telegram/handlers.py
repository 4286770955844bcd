"""The Telegram shell: turn an update into an event, ask the core, persist, render.

Nothing here keeps state between updates; the step a person is on is read from the
database on every update (DESIGN.md, point 3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.coach import progress
from bot.coach import safety as safety_rules
from bot.coach import session as core
from bot.coach.pain import looks_like_pain_answer, parse_pain
from bot.coach.reminders import SNOOZE
from bot.coach.timezones import (
    describe_zone,
    find_time_zone,
    is_valid_zone,
    local_date,
    parse_clock_time,
    parse_two_times,
)
from bot.config import Settings
from bot.programme import Programme, Safety
from bot.store.models import ExerciseSession, User
from bot.store.queries import Store
from bot.store.records import RecordStore
from bot.telegram import callbacks
from bot.telegram.reminders import ReminderService
from bot.telegram.render import COMMANDS, Renderer, Screen, start_session_keyboard
from bot.telegram.render_records import RecordsRenderer

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context, which lives for one update (or one job run), plus what
    `Coach.recognise` read at the start of the update - the person's row and their newest
    unfinished session - so that the handler which follows need not read them again
    (a tap costs two database round trips fewer)."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.person: User | None = None
        self.person_read = False
        self.unfinished: ExerciseSession | None = None

    def take_person(self) -> tuple[bool, User | None]:
        """(True, row or None) the first time after `recognise`; then (False, None), so
        that a second look within the update reads the database afresh."""
        read, person = self.person_read, self.person
        self.person_read, self.person = False, None
        return read, person

    def take_session(self, session_id: int) -> ExerciseSession | None:
        """The unfinished session read at the start of the update if it is `session_id`
        (once; None otherwise: read it from the database)."""
        session, self.unfinished = self.unfinished, None
        return session if session is not None and session.id == session_id else None


async def read_person(store: Store, update: Update, context: Context) -> User | None:
    """The row of the person an update is from (None before /start)."""
    assert update.effective_user is not None
    read, person = context.take_person()
    return person if read else await store.user(update.effective_user.id)


async def reply(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> Message:
    """Send to the chat the update came from (a new message, not a quoted reply)."""
    assert update.effective_chat is not None
    return await update.get_bot().send_message(
        update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard
    )


async def close_buttons(query: CallbackQuery, text: str) -> None:
    """Replace an answered message's text and drop its buttons, so it can't be pressed again.

    Best effort: the answer is already stored, and Telegram refuses edits of messages
    older than 48 hours or unchanged ones; neither should bother the person.
    """
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=None)
    except BadRequest as error:
        log.debug("could not edit an answered message: %s", error)


def _hhmm(value: time) -> str:
    return f"{value:%H:%M}"


class Coach:
    """All handlers, sharing the store, the programme and the clock."""

    def __init__(
        self,
        store: Store,
        programme: Programme,
        safety: Safety,
        settings: Settings,
        clock: Clock,
        reminders: ReminderService,
    ) -> None:
        self.reminders = reminders
        self.store = store
        self.programme = programme
        self.settings = settings
        self.clock = clock
        self.render = Renderer(programme, safety)
        self.advice = RecordsRenderer(programme, safety)
        self.steps = core.session_steps(programme)
        self.records = RecordStore(store, sum(1 for s in self.steps if s.kind == "exercise"))

    # Sending

    async def _reply(
        self, update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> Message:
        return await reply(update, text, keyboard)

    async def _show(self, update: Update, screen: Screen) -> Message:
        return await self._reply(update, screen.text, screen.keyboard)

    async def _close_buttons(self, query: CallbackQuery, text: str) -> None:
        await close_buttons(query, text)

    # Users

    async def _user(self, update: Update, context: Context) -> User | None:
        return await read_person(self.store, update, context)

    async def recognise(self, update: Update, context: Context) -> None:
        """Runs before every private update: reads the person's row and newest unfinished
        session once for the handler that follows, and since someone who writes to us can
        be reached, resumes their reminders if they had blocked the bot."""
        if update.effective_user is None:
            return
        person, unfinished, reactivated = await self.store.user_seen(update.effective_user.id)
        if reactivated:
            log.info("user %d is reachable again", update.effective_user.id)
        context.person, context.person_read, context.unfinished = person, True, unfinished

    async def _new_user(self, update: Update) -> User:
        assert update.effective_user is not None and update.effective_chat is not None
        morning, evening = self.settings.reminder_times
        return await self.store.add_user(
            User(
                telegram_user_id=update.effective_user.id,
                chat_id=update.effective_chat.id,
                first_name=(update.effective_user.first_name or "")[:256],
                time_zone=self.settings.default_timezone,
                morning_reminder=_hhmm(morning),
                evening_reminder=_hhmm(evening),
                created_at=self.clock(),
            )
        )

    def _today(self, user: User) -> str:
        return local_date(self.clock(), user.time_zone)

    async def _session_today(self, user: User) -> ExerciseSession | None:
        assert user.id is not None
        session = await self.store.unfinished_session(user.id)
        if session is not None and session.local_date == self._today(user):
            return session
        return None

    # /start and set-up

    async def start(self, update: Update, context: Context) -> None:
        user = await self._user(update, context)
        if user is None:
            user = await self._new_user(update)
            await self._reply(update, self.render.welcome(user.first_name).text)
            await self._show(update, self.render.red_flags_question())
            return
        if user.onboarding != "done":
            await self._continue_onboarding(update, user)
            return
        today = await self._session_today(user)
        await self._show(update, self.render.welcome_back(user.first_name, today is not None))

    async def _continue_onboarding(self, update: Update, user: User) -> None:
        """Ask again whatever set-up question the person has not answered yet."""
        if user.onboarding == "red_flags":
            await self._show(update, self.render.red_flags_question())
        elif user.onboarding == "time_zone":
            await self._ask_time_zone(update, user)
        else:
            await self._ask_reminders(update, user)

    async def _ask_time_zone(self, update: Update, user: User) -> None:
        assert user.id is not None
        await self.store.update_user(
            user.id, onboarding=onboarding_if(user, "time_zone"), awaiting_text="time_zone"
        )
        await self._show(update, self.render.time_zone_question(self.settings.default_timezone))

    async def _ask_reminders(self, update: Update, user: User) -> None:
        times = (
            time.fromisoformat(user.morning_reminder),
            time.fromisoformat(user.evening_reminder),
        )
        await self._show(
            update,
            self.render.reminders_question(describe_zone(user.time_zone, self.clock()), times),
        )

    async def red_flags_answer(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        user = await self._user(update, context)
        if user is None:
            await query.answer("Please send /start first.")
            return
        assert user.id is not None
        if user.onboarding not in ("red_flags", "done"):
            # A second tap on the set-up question after it moved on: nothing to do.
            await query.answer("Already answered.")
            return
        reported = query.data == callbacks.RED_FLAGS_REPORTED
        await self.store.update_user(
            user.id,
            red_flags="reported" if reported else "none",
            red_flags_answered_at=self.clock(),
        )
        await query.answer()
        answer = "Yes, I have one of these" if reported else "None of these"
        await self._close_buttons(query, f"Safety check: <b>{answer}</b>")
        if reported:
            await self._show(update, self.render.seek_care())
            return
        if user.onboarding == "red_flags":
            await self._ask_time_zone(update, user)
        elif user.red_flags == "none":
            # Asked again with /safety and still none: offer a session, don't start one.
            await self._reply(
                update,
                "Good, none of them. Carry on as before, and stop any exercise that hurts.",
                start_session_keyboard(),
            )
        else:
            await self._open_session(update, context, user)

    async def time_zone_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        user = await self._user(update, context)
        if user is None:
            await query.answer("Please send /start first.")
            return
        if query.data != callbacks.ZONE_CHANGE and user.awaiting_text != "time_zone":
            await query.answer("Already saved.")
            return
        await query.answer()
        if query.data == callbacks.ZONE_CHANGE:
            await self._close_buttons(query, "Changing the time zone…")
            await self._ask_time_zone(update, user)
            return
        zone = query.data.removeprefix(callbacks.ZONE_PREFIX)
        if not is_valid_zone(zone):
            await self._ask_time_zone(update, user)
            return
        await self._close_buttons(query, f"Time zone: <b>{zone}</b>")
        await self._set_time_zone(update, user, zone)

    async def _set_time_zone(self, update: Update, user: User, zone: str) -> None:
        assert user.id is not None
        await self.store.update_user(
            user.id, time_zone=zone, awaiting_text="", onboarding=onboarding_if(user, "reminders")
        )
        user.time_zone = zone
        if user.onboarding == "done":
            await self.reminders.reschedule(user)
            await self._show_reminder_settings(update, user, note=f"Time zone set: {zone}.")
            return
        await self._ask_reminders(update, user)

    async def reminders_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        user = await self._user(update, context)
        if user is None:
            await query.answer("Please send /start first.")
            return
        assert user.id is not None
        if query.data == callbacks.REMINDERS_KEEP and user.onboarding == "done":
            await query.answer("Saved.")
            await self._close_buttons(query, "Reminder times kept.")
            return
        await query.answer()
        if query.data == callbacks.REMINDERS_CHANGE:
            await self.store.update_user(user.id, awaiting_text="reminder_times")
            await self._close_buttons(query, "Changing the reminder times…")
            await self._reply(update, self.render.reminder_times_prompt().text)
            return
        await self._close_buttons(
            query,
            f"Reminder times: <b>{user.morning_reminder}</b> and <b>{user.evening_reminder}</b>",
        )
        await self._finish_onboarding(update, user)

    async def _finish_onboarding(self, update: Update, user: User) -> None:
        assert user.id is not None
        was_done = user.onboarding == "done"
        await self.store.update_user(user.id, onboarding="done", awaiting_text="")
        user.onboarding, user.awaiting_text = "done", ""
        await self.reminders.reschedule(user)
        if was_done:
            await self._show_reminder_settings(update, user, note="Saved.")
            return
        await self._show(
            update, self.render.all_set((user.morning_reminder, user.evening_reminder))
        )

    # Typed text

    async def text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        user = await self._user(update, context)
        if user is None:
            await self._reply(update, "Hello! Send /start to begin.")
            return
        typed = message.text
        if user.awaiting_text == "time_zone":
            zone = find_time_zone(typed)
            if zone is None:
                await self._reply(update, self.render.time_zone_unknown(typed).text)
            else:
                await self._set_time_zone(update, user, zone)
            return
        if user.awaiting_text == "reminder_times":
            times = parse_two_times(typed)
            if times is None:
                await self._reply(update, self.render.reminder_times_invalid().text)
                return
            assert user.id is not None
            morning, evening = _hhmm(times[0]), _hhmm(times[1])
            await self.store.update_user(
                user.id, morning_reminder=morning, evening_reminder=evening
            )
            user.morning_reminder, user.evening_reminder = morning, evening
            await self._finish_onboarding(update, user)
            return
        if user.awaiting_text in ("morning_time", "evening_time"):
            await self._typed_reminder_time(update, user, typed)
            return
        session = await self._session_today(user)
        if session is not None and session.status == "open":
            await self._text_in_session(update, context, session, typed)
            return
        await self._text_outside_session(update, user, message, typed)

    async def _text_in_session(
        self, update: Update, context: Context, session: ExerciseSession, typed: str
    ) -> None:
        step = self.steps[session.step]
        if step.kind == "exercise" or session.paused_for_pain:
            await self._reply(
                update,
                "We're in the middle of a session, so I'm waiting for a button: use the ones "
                "under the exercise. /session shows it again; /cancel stops for now (your "
                "progress is kept).",
            )
            return
        reading = parse_pain(typed)
        if reading.score is None:
            assert reading.problem is not None
            assert session.id is not None
            await self._reply(
                update,
                self.render.pain_problem(reading.problem),
                self.render.pain_keyboard(session.id, session.step),
            )
            return
        await self._answer_step(update, context, session, core.RatePain(reading.score), None)

    async def _text_outside_session(
        self, update: Update, user: User, message: Message, typed: str
    ) -> None:
        if not looks_like_pain_answer(typed):
            await self._reply(
                update,
                "I didn't catch that. Send a number from 0 to 10 to log your pain, "
                "/session to do your exercises, or /help to see everything I can do.",
            )
            return
        reading = parse_pain(typed)
        if reading.score is None:
            assert reading.problem is not None
            await self._reply(update, self.render.pain_problem(reading.problem))
            return
        assert user.id is not None
        now = self.clock()
        advice = await self._pain_advice(user.id, reading.score)
        if not await self.store.add_checkin(user.id, message.message_id, reading.score, now):
            return  # this very message was recorded before a restart; it was answered then
        local = now.astimezone(ZoneInfo(user.time_zone))
        screen = self.render.checkin_recorded(reading.score, f"{local:%H:%M}")
        if advice is not safety_rules.Advice.NONE:
            screen = Screen(f"{screen.text}\n\n{self.advice.pain_advice(advice)}", screen.keyboard)
        await self._show(update, screen)

    # The session

    async def session_command(self, update: Update, context: Context) -> None:
        user = await self._user(update, context)
        if user is None:
            await self.start(update, context)
            return
        await self._open_session(update, context, user)

    async def start_session_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        user = await self._user(update, context)
        if user is None:
            await self.start(update, context)
            return
        await self._open_session(update, context, user)

    async def _open_session(self, update: Update, context: Context, user: User) -> None:
        assert user.id is not None
        if user.red_flags != "none":
            # Never start exercises while a red flag is reported or not yet asked about.
            await self._show(update, self.render.red_flags_question())
            return
        if user.awaiting_text:
            await self.store.update_user(user.id, awaiting_text="")
        session = await self._session_today(user)
        resumed = session is not None
        if session is None:
            session = await self.store.start_session(user.id, self._today(user), self.clock())
        elif session.status == "left":
            await self.store.set_session_status(session.id or 0, "open", was="left")
        await self._show_step(update, context, session, resumed=resumed)

    async def _show_step(
        self, update: Update, context: Context, session: ExerciseSession, *, resumed: bool = False
    ) -> None:
        assert session.id is not None and update.effective_chat is not None
        if session.paused_for_pain and self.steps[session.step - 1].kind == "pain_before":
            screen = self.advice.severe_pain_pause(session.id, session.step)
        elif session.paused_for_pain:
            screen = self.render.too_painful(
                session.id, session.step, self.steps[session.step].kind == "pain_after"
            )
        else:
            screen = self.render.step(
                session.id, session.step, self.steps[session.step], resumed=resumed
            )
        await self._show(update, screen)

    async def cancel(self, update: Update, context: Context) -> None:
        user = await self._user(update, context)
        if user is None:
            await self._reply(update, "There's nothing to cancel. Send /start to begin.")
            return
        assert user.id is not None
        if user.awaiting_text:
            await self.store.update_user(user.id, awaiting_text="")
        session = await self._session_today(user)
        if (
            session is not None
            and session.id is not None
            and await self.store.set_session_status(session.id, "left", was="open")
        ):
            await self._reply(
                update,
                "Okay, we've stopped here. Everything you've done is saved. Send /session "
                "later today to carry on where you left off.",
            )
            return
        if user.awaiting_text:
            await self._reply(update, "Okay, cancelled. Nothing was changed.")
            return
        await self._reply(update, "There's nothing to cancel right now. /help lists what I can do.")

    async def session_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        press = callbacks.parse_session_press(query.data)
        user = await self._user(update, context)
        session = None
        if press is not None:
            session = context.take_session(press.session_id) or await self.store.session(
                press.session_id
            )
        if press is None or user is None or session is None or session.user_id != user.id:
            await query.answer("This button no longer works. Send /session to continue.")
            return
        if session.status != "open":
            await query.answer(_closed_note(session.status))
            return
        if press.step != session.step:
            note = "Already recorded." if press.step < session.step else "Not there yet."
            await query.answer(f"{note} Send /session to see where you are.")
            return
        if press.action == "again":
            await query.answer()
            await self._show_step(update, context, session)
            return
        if press.action == "timer":
            await self._start_timer(update, context, session)
            return
        event: core.Event
        if press.pain is not None:
            event = core.RatePain(press.pain)
        elif press.action == "continue":
            event = core.Continue()
        elif press.action == "finish":
            event = core.FinishEarly()
        else:
            outcome = {
                "done": core.Outcome.DONE,
                "skip": core.Outcome.SKIPPED,
                "too_painful": core.Outcome.TOO_PAINFUL,
            }[press.action or "done"]
            event = core.Report(outcome)
        await self._answer_step(update, context, session, event, query)

    async def _answer_step(
        self,
        update: Update,
        context: Context,
        session: ExerciseSession,
        event: core.Event,
        query: CallbackQuery | None,
    ) -> None:
        """Apply one answer to the session, exactly once, then show what comes next."""
        assert session.id is not None and update.effective_chat is not None
        seen = core.SessionState(session.step, session.paused_for_pain)
        change = core.advance(self.steps, seen, event)
        step = self.steps[min(session.step, len(self.steps) - 1)]
        if isinstance(change, core.Refusal) or not await self.store.apply(
            session.id, seen, change, step, self.clock()
        ):
            if query is not None:
                await query.answer("Already recorded. Send /session to see where you are.")
            return
        if query is not None:
            await query.answer("Saved")
            if isinstance(event, core.Continue | core.FinishEarly):
                await self._close_buttons(query, "Noted. Don't push through pain.")
            else:
                outcome = event.outcome if isinstance(event, core.Report) else None
                pain = event.score if isinstance(event, core.RatePain) else None
                await self._close_buttons(query, self.render.answered(step, outcome, pain))
        if change.finished:
            outcomes = await self.store.outcomes(session.id)
            summary = core.summarise(self.steps, outcomes, session.pain_before, change.pain_after)
            notes = await self._after_session(session, change.pain_after)
            await self._reply(update, "\n\n".join([self.render.summary(summary), *notes]))
            return
        if change.pain_before is not None and not change.state.paused_for_pain:
            # (Severe pain pauses the session; the pause screen carries the advice.)
            advice = await self._pain_advice(session.user_id, change.pain_before, session.id)
            if advice is not safety_rules.Advice.NONE:
                await self._reply(update, self.advice.pain_advice(advice))
        if (
            isinstance(event, core.Report)
            and event.outcome is core.Outcome.TOO_PAINFUL
            and step.exercise is not None
        ):
            history = await self.records.too_painful_history(
                session.user_id, step.exercise.key, step.side, safety_rules.TOO_PAINFUL_IN_A_ROW
            )
            if safety_rules.leave_out(history):
                await self._reply(update, self.advice.leave_out())
        session.step = change.state.step
        session.paused_for_pain = change.state.paused_for_pain
        if change.pain_before is not None:
            session.pain_before = change.pain_before
        await self._show_step(update, context, session)

    async def _pain_advice(
        self, user_id: int, score: int, session_id: int | None = None
    ) -> safety_rules.Advice:
        """What this rating calls for, against the person's usual level (their other
        ratings of the last two weeks, this session's not counted)."""
        earlier = await self.records.ratings_since(
            user_id, self.clock() - safety_rules.USUAL_WINDOW, exclude_session=session_id
        )
        return safety_rules.pain_advice(score, safety_rules.usual_pain(earlier))

    async def _after_session(self, session: ExerciseSession, pain_after: int | None) -> list[str]:
        """The notes under a finished session's summary: safety advice, or else the streak
        and (once) the handout's progression."""
        assert session.id is not None
        warnings: list[str] = []
        if pain_after is not None:
            advice = await self._pain_advice(session.user_id, pain_after, session.id)
            if advice is not safety_rules.Advice.NONE:
                warnings.append(self.advice.pain_advice(advice))
        recent_after = await self.records.pain_after_history(
            session.user_id, safety_rules.RISING_SESSIONS
        )
        if safety_rules.pain_rising(recent_after):
            warnings.append(self.advice.rising_pain())
        notes = list(warnings)
        now = self.clock()
        user = await self.store.user_by_id(session.user_id)
        if user is None:
            return notes
        today = date.fromisoformat(local_date(now, user.time_zone))
        records = await self.records.sessions(
            session.user_id, since=now - timedelta(days=progress.WINDOW_DAYS + 1)
        )
        figures = progress.progress(records, today)
        # No cheering for a streak under a warning to reduce or stop.
        if figures.streak and not warnings:
            today_count = progress.sessions_today(records, today)
            notes.append(self.advice.streak(figures.streak, today_count))
        stretch = next((e for e in self.programme.exercises if e.progression), None)
        if (
            stretch is not None
            and not warnings  # never suggest more load in the same breath as a warning
            and user.progression_offered_at is None
            and progress.progression_due(records, today)
            and await self.records.offer_progression(session.user_id, now)
        ):
            notes.append(self.advice.progression(stretch))
        return notes

    # Hold timers

    async def _start_timer(
        self, update: Update, context: Context, session: ExerciseSession
    ) -> None:
        query = update.callback_query
        assert query is not None and session.id is not None and update.effective_chat is not None
        step = self.steps[session.step]
        seconds = step.exercise.hold_seconds if step.exercise else None
        if not seconds or session.paused_for_pain:
            await query.answer("There's no timer for this step.")
            return
        ends_at = self.clock() + timedelta(seconds=seconds)
        if not await self.store.start_timer(session.id, session.step, ends_at):
            await query.answer("The timer is already running.")
            return
        await query.answer("Timer started")
        assert step.exercise is not None
        await context.bot.send_message(
            update.effective_chat.id,
            self.render.timer_started(step.exercise, step.side, seconds),
            parse_mode=ParseMode.HTML,
        )
        self._schedule_timer(
            context.job_queue, session.id, session.step, update.effective_chat.id, seconds
        )

    def _schedule_timer(
        self,
        job_queue: JobQueue[Any] | None,
        session_id: int,
        step: int,
        chat_id: int,
        delay: float,
    ) -> None:
        assert job_queue is not None
        job_queue.run_once(
            self.timer_done,
            when=max(delay, 0.0),
            data=(session_id, step),
            chat_id=chat_id,
            name=f"timer:{session_id}:{step}",
        )

    async def timer_done(self, context: Context) -> None:
        job = context.job
        assert job is not None and job.chat_id is not None
        session_id, step_index = cast(tuple[int, int], job.data)
        # Clearing the row first makes the "time is up" message go out once, even when a
        # restarted process re-schedules the same timer.
        if not await self.store.finish_timer(session_id, step_index):
            return
        session = await self.store.session(session_id)
        if session is None or session.status != "open" or session.step != step_index:
            return  # the person moved on (or left) while the timer ran
        step = self.steps[step_index]
        assert step.exercise is not None and step.exercise.hold_seconds is not None
        screen = self.render.timer_done(session_id, step_index, step, step.exercise.hold_seconds)
        await context.bot.send_message(
            job.chat_id, screen.text, parse_mode=ParseMode.HTML, reply_markup=screen.keyboard
        )

    async def resume_timers(self, job_queue: JobQueue[Any]) -> None:
        """After a restart, finish the hold timers that were running when the process stopped."""
        now = self.clock()
        for session in await self.store.running_timers():
            chat_id = await self.store.chat_of(session.user_id)
            if session.id is None or session.timer_step is None or session.timer_ends_at is None:
                continue
            if chat_id is not None:
                delay = (session.timer_ends_at - now).total_seconds()
                self._schedule_timer(job_queue, session.id, session.timer_step, chat_id, delay)

    # Reminders

    async def reminders_command(self, update: Update, context: Context) -> None:
        user = await self._user(update, context)
        if user is None or user.onboarding != "done":
            await self._reply(update, "Let's set you up first: send /start.")
            return
        await self._show_reminder_settings(update, user)

    async def _show_reminder_settings(self, update: Update, user: User, note: str = "") -> None:
        fresh = await self.store.user(user.telegram_user_id) or user
        next_due = None
        if fresh.next_reminder_at is not None:
            next_due = _when(fresh.next_reminder_at, self.clock(), fresh.time_zone)
        screen = self.render.reminder_settings(
            describe_zone(fresh.time_zone, self.clock()),
            (fresh.morning_reminder, fresh.evening_reminder),
            fresh.reminders_on,
            next_due,
        )
        text = f"{note}\n\n{screen.text}" if note else screen.text
        await self._reply(update, text, screen.keyboard)

    async def pause(self, update: Update, context: Context) -> None:
        await self._switch_reminders(update, context, on=False)

    async def resume(self, update: Update, context: Context) -> None:
        await self._switch_reminders(update, context, on=True)

    async def _switch_reminders(self, update: Update, context: Context, *, on: bool) -> None:
        user = await self._user(update, context)
        if user is None or user.onboarding != "done":
            await self._reply(update, "Let's set you up first: send /start.")
            return
        assert user.id is not None
        await self.store.update_user(user.id, reminders_on=on)
        user.reminders_on = on
        await self.reminders.reschedule(user)
        note = "Reminders are back on." if on else "Reminders paused. /resume turns them on."
        await self._show_reminder_settings(update, user, note=note)

    async def reminder_settings_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        user = await self._user(update, context)
        if user is None or user.id is None:
            await query.answer("Please send /start first.")
            return
        await query.answer()
        if query.data in (callbacks.REMINDERS_OFF, callbacks.REMINDERS_ON):
            await self._close_buttons(query, "Changing your reminders…")
            await self._switch_reminders(update, context, on=query.data == callbacks.REMINDERS_ON)
            return
        slot = "morning" if query.data == callbacks.REMINDERS_MORNING else "evening"
        await self.store.update_user(user.id, awaiting_text=f"{slot}_time")
        await self._close_buttons(query, f"Changing the {slot} reminder…")
        await self._reply(
            update,
            f"Send the new <b>{slot}</b> time on the 24-hour clock, like "
            f"<i>{'07:30' if slot == 'morning' else '19:00'}</i>. /cancel keeps the old one.",
        )

    async def _typed_reminder_time(self, update: Update, user: User, typed: str) -> None:
        assert user.id is not None
        slot = "morning" if user.awaiting_text == "morning_time" else "evening"
        value = parse_clock_time(typed)
        example = "07:30" if slot == "morning" else "19:00"
        if value is None:
            await self._reply(
                update,
                f"I couldn't read a time from that. Please send the {slot} time on the "
                f"24-hour clock, like <i>{example}</i>.",
            )
            return
        morning = value if slot == "morning" else time.fromisoformat(user.morning_reminder)
        evening = value if slot == "evening" else time.fromisoformat(user.evening_reminder)
        if morning >= evening:
            await self._reply(
                update,
                f"The morning reminder has to come before the evening one "
                f"({_hhmm(evening)} now). Please send another {slot} time.",
            )
            return
        changes = {f"{slot}_reminder": _hhmm(value), "awaiting_text": ""}
        await self.store.update_user(user.id, **changes)
        user.morning_reminder, user.evening_reminder = _hhmm(morning), _hhmm(evening)
        user.awaiting_text = ""
        await self.reminders.reschedule(user)
        await self._show_reminder_settings(update, user, note="Saved.")

    async def reminder_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None and query.message is not None
        press = callbacks.parse_reminder_press(query.data)
        user = await self._user(update, context)
        delivery = await self.reminders.reminders.delivery(press[0]) if press else None
        if press is None or user is None or delivery is None or delivery.user_id != user.id:
            await query.answer("This reminder no longer works. Send /session to start.")
            return
        _, action = press
        now = self.clock()
        message_id = query.message.message_id
        if action == "snooze":
            until = now + SNOOZE
            done = await self.reminders.reminders.answer(
                delivery.id or 0, message_id, now, status="snoozed", due_at=until
            )
            local = until.astimezone(ZoneInfo(user.time_zone))
            note = f"Snoozed: I'll remind you again at {local:%H:%M}."
        elif action == "skip":
            done = await self.reminders.reminders.answer(
                delivery.id or 0, message_id, now, status="skipped", reason="by_user"
            )
            note = "Skipped this one. See you at the next reminder."
        else:
            done = await self.reminders.reminders.answer(
                delivery.id or 0, message_id, now, status="sent"
            )
            note = "Let's go!"
        if not done and action != "go":
            await query.answer("This reminder was already answered.")
            return
        await query.answer(note if done else None)
        await self._close_buttons(query, f"{delivery.slot.capitalize()} reminder: {note}")
        if action == "go":
            await self._open_session(update, context, user)

    async def chat_member(self, update: Update, context: Context) -> None:
        """Blocked or unblocked in a private chat: reminders stop or resume."""
        change = update.my_chat_member
        if change is None or change.chat.type != "private":
            return
        user = await self.store.user(change.from_user.id)
        if user is None or user.id is None:
            return
        reachable = change.new_chat_member.status not in ("kicked", "left")
        if await self.reminders.reminders.set_active(user.id, reachable):
            log.info("user %d %s the bot", user.id, "unblocked" if reachable else "blocked")

    # Everything else

    async def help(self, update: Update, context: Context) -> None:
        await self._reply(update, self.render.help())

    async def learn(self, update: Update, context: Context) -> None:
        if update.callback_query:
            await update.callback_query.answer()
        await self._reply(update, self.render.learn())

    async def unknown_command(self, update: Update, context: Context) -> None:
        await self._reply(update, "I don't know that command. /help lists what I can do.")

    async def not_text(self, update: Update, context: Context) -> None:
        await self._reply(
            update,
            "I can only read text and button presses. Send a number from 0 to 10 to log your "
            "pain, or /help to see what I can do.",
        )

    async def group_message(self, update: Update, context: Context) -> None:
        await self._reply(
            update,
            "I coach one person at a time, so I only work in a private chat. "
            "Open a chat with me directly and send /start.",
        )

    async def stale_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("This button no longer works. Send /session to continue.")

    async def set_bot_profile(self, bot: ExtBot[None]) -> None:
        """The commands menu and what a person sees before pressing Start."""
        await bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
        await bot.set_my_description(self.render.description())
        await bot.set_my_short_description(self.render.short_description())

    async def on_error(self, update: object, context: Context) -> None:
        if isinstance(context.error, Forbidden) and isinstance(update, Update):
            # They blocked the bot while we answered: nothing to say, and no reminders.
            if update.effective_user is not None:
                user = await self.store.user(update.effective_user.id)
                if user is not None and user.id is not None:
                    await self.reminders.reminders.set_active(user.id, False)
            log.info("a reply was refused: %s", context.error)
            return
        log.error("error while handling an update", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if update.effective_chat.type != "private":
            return
        try:
            await context.bot.send_message(
                update.effective_chat.id,
                "Sorry, something went wrong on my side. What you entered before this is "
                "saved. Please try again, or send /session to see where you are.",
            )
        except TelegramError as error:
            log.warning("could not tell the user about the error: %s", error)


def _when(moment: datetime, now: datetime, zone: str) -> str:
    """ "today 18:00", "tomorrow 08:00" or "Mon 2 Mar 08:00", in the person's zone."""
    local, today = moment.astimezone(ZoneInfo(zone)), now.astimezone(ZoneInfo(zone)).date()
    if local.date() == today:
        return f"today {local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow {local:%H:%M}"
    return f"{local:%a %d %b %H:%M}"


def onboarding_if(user: User, stage: str) -> str:
    """Move set-up forward to `stage`, but never back once it is done."""
    return user.onboarding if user.onboarding == "done" else stage


def _closed_note(status: str) -> str:
    if status == "left":
        return "You left this session. Send /session to carry on where you stopped."
    if status == "finished":
        return "That session is finished. Send /session to start a new one."
    return "That session was from an earlier day. Send /session to start today's."
