"""The guided session: /session, the pain ratings, each exercise's buttons, /cancel.

A press names its session and step; the core (`coach.session.advance`) decides what it
means, the store applies it only if the session is still where the person saw it, and
the next step is shown. A plain "Done" costs one read (the person and their session,
in `Kernel.recognise`) and one write.
"""

from __future__ import annotations

from datetime import date

from telegram import CallbackQuery, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.catalog import Texts, joined
from bot.coach import followup, progress
from bot.coach import session as core
from bot.coach.pain import parse_pain
from bot.coach.safety import TOO_PAINFUL_IN_A_ROW, USUAL_WINDOW
from bot.coach.states import AwaitingText, RedFlagAnswer, SessionStatus
from bot.store.models import ExerciseSession, User
from bot.store.queries import UserChanges
from bot.store.records import RecordStore
from bot.telegram import callbacks
from bot.telegram.kernel import (
    PRIVATE_MESSAGE,
    Context,
    Feature,
    Handler,
    Kernel,
    Screen,
    close_buttons,
    reply,
    strip_buttons,
)
from bot.telegram.render import caution, pain_problem, red_flags_question
from bot.telegram.steps import (
    answered_text,
    pain_keyboard,
    recall_severe_stop,
    rest_today_ask,
    severe_pain_pause,
    step_screen,
    too_painful_pause,
)
from bot.telegram.summary import SessionEnd, rating_advice
from bot.telegram.timers import Timers

_CLOSED_NOTES = {
    SessionStatus.LEFT: "session-was-left",
    SessionStatus.FINISHED: "session-was-finished",
}


class Session(Feature):
    def __init__(self, kernel: Kernel, records: RecordStore, timers: Timers) -> None:
        self.kernel = kernel
        self.store = kernel.store
        self.records = records
        self.timers = timers
        self.ending = SessionEnd(kernel, records)
        self.steps = kernel.steps
        # Set-up's /start, for someone who asks for a session before they have started
        # (app.py sets it: set-up is built after the session, which it leads into).
        self.welcome: Handler = kernel.refuser("not-started")

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        return [
            CommandHandler("session", self.session_command, filters=PRIVATE_MESSAGE),
            CommandHandler("cancel", self.kernel.for_person(self.cancel), filters=PRIVATE_MESSAGE),
            CallbackQueryHandler(self.session_button, pattern=callbacks.SESSION_PATTERN),
            CallbackQueryHandler(
                self.start_session_button, pattern=callbacks.START_SESSION_PATTERN
            ),
            CallbackQueryHandler(
                self.kernel.for_person(self.beyond_dose_button),
                pattern=callbacks.BEYOND_DOSE_PATTERN,
            ),
        ]

    # Starting

    async def session_command(self, update: Update, context: Context) -> None:
        person = await self.kernel.read_person(update, context)
        if person is None:
            await self.welcome(update, context)
            return
        await self.open(update, context, person)

    async def start_session_button(self, update: Update, context: Context) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()
        await self.session_command(update, context)

    async def beyond_dose_button(self, update: Update, context: Context, person: User) -> None:
        query = update.callback_query
        assert query is not None
        t = self.kernel.texts(context)
        await query.answer()
        if query.data == callbacks.REST_TODAY:
            await close_buttons(query, t("rest-today-chosen"))
            return
        await close_buttons(query, t("rest-today-declined"))
        await self.open(update, context, person, anyway=True)

    async def open(
        self, update: Update, context: Context, person: User, *, anyway: bool = False
    ) -> None:
        """Start today's session, or show where today's stands. A session beyond the
        handout's daily maximum is asked about first (`anyway`: the person said yes)."""
        assert person.id is not None
        if person.red_flags is not RedFlagAnswer.NONE:
            # Never start exercises while a red flag is reported or not yet asked about;
            # "None of these" leads back here.
            t, told = self.kernel.texts(context), person.red_flags is RedFlagAnswer.REPORTED
            screen = red_flags_question(t, self.kernel.safety)
            text = joined([t("red-flags-told-before"), screen.text]) if told else screen.text
            await reply(update, text, screen.keyboard)
            return
        if person.awaiting_text:
            await self.store.update_user(person.id, UserChanges(awaiting_text=AwaitingText.NOTHING))
        session = await self.kernel.session_today(person, context)
        resumed, t = session is not None, self.kernel.texts(context)
        recent, worst = ([], None) if resumed else await self._recent(person)
        today = date.fromisoformat(self.kernel.today(person))
        most = self.kernel.programme.sessions_per_day_max
        if (
            session is None
            and not anyway
            and followup.asks_for_rest(progress.sessions_today(recent, today), most)
        ):
            ask = rest_today_ask(t, self.kernel.programme)
            await reply(update, ask.text, ask.keyboard)
            return
        if session is None:
            session = await self.store.start_session(
                person.id, self.kernel.today(person), self.kernel.clock()
            )
        elif session.status is SessionStatus.LEFT:
            await self.store.set_session_status(
                session.id or 0, SessionStatus.OPEN, was=SessionStatus.LEFT
            )
        screen = self.screen(t, session, resumed=resumed)
        stopped, safety = progress.last_stop_for_pain(recent), self.kernel.safety
        recall = "" if resumed else recall_severe_stop(t, safety, stopped, today, worst)
        text = joined([recall, screen.text]) if recall else screen.text
        await self.kernel.put_card(update, session.id or 0, text, screen, new=True)

    async def _recent(self, person: User) -> tuple[list[progress.SessionRecord], int | None]:
        """The last two weeks' sessions and the highest rating of the last few hours."""
        assert person.id is not None
        now = self.kernel.clock()
        # The first step waits for these reads. The last hours' session ratings come with
        # the two weeks' history (HIGH_EARLIER is shorter); only the check-ins are read
        # apart. (Not side by side: that held more pool connections, and was no faster.)
        sessions = await self.records.sessions(person.id, since=now - USUAL_WINDOW)
        since = now - followup.HIGH_EARLIER
        checkins = await self.records.checkins_since(person.id, since)
        ratings = progress.ratings_since(sessions, since) + checkins
        return sessions, max(ratings, default=None)

    def screen(
        self, t: Texts, session: ExerciseSession, *, resumed: bool = False, full: bool = False
    ) -> Screen:
        assert session.id is not None
        state = core.SessionState(session.step, session.paused_for_pain)
        pause = core.pause_reason(self.steps, state)
        if pause is core.PauseReason.SEVERE_PAIN:
            return severe_pain_pause(t, self.kernel.safety, session.id, session.step)
        if pause is core.PauseReason.TOO_PAINFUL:
            return too_painful_pause(
                t, self.kernel.programme, self.kernel.safety, session.id, session.step, self.steps
            )
        step = self.steps[session.step]
        return step_screen(
            t, self.kernel.programme, session.id, session.step, step, resumed=resumed, full=full
        )

    async def show_step(
        self,
        update: Update,
        context: Context,
        session: ExerciseSession,
        *,
        resumed: bool = False,
        full: bool = False,
        new: bool = True,
    ) -> None:
        """The step the session is at, as a new message (`new=False`: in the tapped one)."""
        screen = self.screen(self.kernel.texts(context), session, resumed=resumed, full=full)
        await self.kernel.put_card(update, session.id or 0, screen.text, screen, new=new)

    # Leaving

    async def cancel(self, update: Update, context: Context, person: User) -> None:
        assert person.id is not None
        if person.awaiting_text:
            await self.store.update_user(person.id, UserChanges(awaiting_text=AwaitingText.NOTHING))
        t = self.kernel.texts(context)
        session = await self.kernel.session_today(person)
        if (
            session is not None
            and session.id is not None
            and await self.store.set_session_status(
                session.id, SessionStatus.LEFT, was=SessionStatus.OPEN
            )
        ):
            if session.card_message_id is not None and update.effective_chat is not None:
                # Its buttons would only say "you left this session" now.
                chat = update.effective_chat.id
                await strip_buttons(update.get_bot(), chat, session.card_message_id)
            await reply(update, t("cancel-stopped" if session.step else "cancel-nothing-yet"))
        elif person.awaiting_text:
            await reply(update, t("cancel-nothing-changed"))
        else:
            await reply(update, t("cancel-nothing"))

    # Answers

    async def session_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        t = self.kernel.texts(context)
        press = callbacks.parse_session_press(query.data)
        person = await self.kernel.read_person(update, context)
        session = None
        if press is not None:
            session = context.take_session(press.session_id) or await self.store.session(
                press.session_id
            )
        if press is None or person is None or session is None or session.user_id != person.id:
            await query.answer(t("stale-button"))
            return
        if session.status is not SessionStatus.OPEN:
            await query.answer(t(_CLOSED_NOTES.get(session.status, "session-was-earlier")))
            return
        if press.step != session.step:
            # The session's own message showing an earlier step (an edit Telegram carried
            # out late put it back) is brought up to date, so nobody is stuck on it.
            if callbacks.shows_earlier_step(query.message, session.card_message_id, session.step):
                await query.answer(t("already-recorded-here"))
                await self.show_step(update, context, session, new=False)
                return
            await query.answer(
                t("already-recorded" if press.step < session.step else "not-there-yet")
            )
            return
        if press.action == "again":
            await query.answer()
            await self.show_step(update, context, session, full=True, new=False)
            return
        if press.action == "timer":
            await self.timers.start(update, context, session)
            return
        if press.action in callbacks.PRESSED_OUTCOMES and self._double_tap(session):
            await query.answer(t("double-tap"))
            return
        event: core.Event
        if press.pain is not None:
            event = core.RatePain(press.pain)
        elif press.action == "continue":
            event = core.Continue()
        elif press.action == "finish":
            event = core.FinishEarly()
        else:
            event = core.Report(callbacks.PRESSED_OUTCOMES[press.action or "done"])
        await self.answer(update, context, session, event, query)

    def _double_tap(self, session: ExerciseSession) -> bool:
        last, window = session.answered_at, self.kernel.settings.double_tap_seconds
        since = (self.kernel.clock() - last).total_seconds() if last else None
        return core.is_double_tap(self.steps[session.step], since, window)

    async def typed(self, update: Update, context: Context, session: ExerciseSession) -> None:
        """Text typed while a session is open: a pain rating when one is asked for."""
        message = update.effective_message
        assert message is not None and message.text is not None and session.id is not None
        t, reading = self.kernel.texts(context), parse_pain(message.text)
        if self.steps[session.step].kind == "exercise" or session.paused_for_pain:
            pain_during = reading.score is not None and not session.paused_for_pain
            await reply(update, t("pain-mid-exercise" if pain_during else "waiting-for-button"))
            return
        if reading.score is None:
            assert reading.problem is not None
            text = pain_problem(t, reading.problem)
            screen = Screen(text, pain_keyboard(session.id, session.step))
            await self.kernel.put_card(update, session.id or 0, text, screen, new=True)
            return
        await self.answer(update, context, session, core.RatePain(reading.score), None)

    async def answer(
        self,
        update: Update,
        context: Context,
        session: ExerciseSession,
        event: core.Event,
        query: CallbackQuery | None,
    ) -> None:
        """Apply one answer to the session, exactly once, then show what comes next."""
        assert session.id is not None
        t = self.kernel.texts(context)
        seen = core.SessionState(session.step, session.paused_for_pain)
        change = core.advance(self.steps, seen, event)
        if isinstance(change, core.Refusal) or not await self.store.apply(
            session.id, seen, change, self.kernel.clock()
        ):
            if query is not None:
                await query.answer(t("already-recorded"))
            return
        if query is not None:
            await query.answer(t("tap-saved"))
        # What was recorded, then what comes next, in the same message.
        recorded = answered_text(t, self.steps, self.kernel.safety, seen, change, event)
        if change.stopped_for_pain:
            await self.kernel.put_card(
                update, session.id or 0, joined([recorded, t("stopped-for-pain")]), None
            )
            return
        if change.finished:
            summary = await self.ending.summary(t, session, change.pain_after)
            await self.kernel.put_card(update, session.id or 0, joined([recorded, summary]), None)
            return
        notes: tuple[followup.Caution, ...] = ()
        if change.pain_before is not None:
            advice = await rating_advice(
                self.kernel, self.records, session.user_id, change.pain_before, session.id
            )
            pause = core.pause_reason(self.steps, change.state)
            notes = followup.after_pain_before(advice, pause)
        elif isinstance(event, core.Report) and change.answered and change.answered.exercise:
            history: list[bool] = []
            if event.outcome is core.Outcome.TOO_PAINFUL:
                history = await self.records.too_painful_history(
                    session.user_id,
                    change.answered.exercise.key,
                    change.answered.side,
                    TOO_PAINFUL_IN_A_ROW,
                )
            notes = followup.after_report(event.outcome, history)
        session.step = change.state.step
        session.paused_for_pain = change.state.paused_for_pain
        if change.pain_before is not None:
            session.pain_before = change.pain_before
        screen = self.screen(t, session)
        cautions = [caution(t, self.kernel.safety, note) for note in notes]
        await self.kernel.put_card(
            update, session.id or 0, joined([recorded, *cautions, screen.text]), screen
        )
