"""Hold timers: "Start 30 s timer" on a stretch, and the message when the time is up.

A running timer is a row (the session's `timer_step` and `timer_ends_at`), so that a
restart finishes it; the scheduler's one-off job only says when to look at that row.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, cast

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TimedOut
from telegram.ext import BaseHandler, JobQueue

from bot.coach.states import SessionStatus
from bot.store.models import ExerciseSession
from bot.telegram.kernel import Context, Feature, Kernel, edit_card
from bot.telegram.steps import holding_screen, time_up_screen

log = logging.getLogger(__name__)


class Timers(Feature):
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.store = kernel.store

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        return []  # the timer button is a session button (see session.py)

    async def start(self, update: Update, context: Context, session: ExerciseSession) -> None:
        """The timer button of the step the session is at was pressed."""
        query = update.callback_query
        assert query is not None and session.id is not None and update.effective_chat is not None
        t = self.kernel.texts(context)
        step = self.kernel.steps[session.step]
        seconds = step.exercise.hold_seconds if step.exercise else None
        if step.exercise is None or not seconds or session.paused_for_pain:
            await query.answer(t("no-timer"))
            return
        ends_at = self.kernel.clock() + timedelta(seconds=seconds)
        if not await self.store.start_timer(session.id, session.step, ends_at):
            await query.answer(t("timer-running"))
            return
        await query.answer(t("timer-started-toast"))
        # The step's message becomes the hold: which exercise and side, and its buttons.
        screen = holding_screen(t, session.id, session.step, step)
        try:
            # Not tried again after a time-out (see kernel.put_card): a late hold screen
            # could cover the step the person has moved on to.
            if query.message is not None:
                await edit_card(query, query.message, screen.text, screen.keyboard)
        except TimedOut:
            log.warning("showing the hold timed out: the timer runs all the same")
        except BadRequest as error:
            log.debug("could not show the hold in the step's message: %s", error)
        self._schedule(
            context.job_queue, session.id, session.step, update.effective_chat.id, seconds
        )

    def _schedule(
        self,
        job_queue: JobQueue[Any] | None,
        session_id: int,
        step: int,
        chat_id: int,
        delay: float,
    ) -> None:
        assert job_queue is not None
        job_queue.run_once(
            self.done,
            when=max(delay, 0.0),
            data=(session_id, step),
            chat_id=chat_id,
            name=f"timer:{session_id}:{step}",
        )

    async def done(self, context: Context) -> None:
        job = context.job
        assert job is not None and job.chat_id is not None
        session_id, index = cast(tuple[int, int], job.data)
        # Clearing the row first makes the "time is up" message go out once, even when a
        # restarted process re-schedules the same timer.
        if not await self.store.finish_timer(session_id, index):
            return
        session = await self.store.session(session_id)
        if session is None or session.status is not SessionStatus.OPEN or session.step != index:
            return  # the person moved on (or left) while the timer ran
        person = await self.store.user_by_id(session.user_id)
        step = self.kernel.steps[index]
        if person is None or step.exercise is None or step.exercise.hold_seconds is None:
            return
        t = self.kernel.texts_of(person)
        # A new message, so that the phone rings; it takes over the step's buttons.
        screen = time_up_screen(t, session_id, index, step)
        message = await context.bot.send_message(
            job.chat_id, screen.text, parse_mode=ParseMode.HTML, reply_markup=screen.keyboard
        )
        await self.kernel.replace_card(context.bot, job.chat_id, session_id, message)

    async def resume(self, job_queue: JobQueue[Any]) -> None:
        """After a restart, finish the hold timers that were running when the process stopped."""
        now = self.kernel.clock()
        for session in await self.store.running_timers():
            if session.id is None or session.timer_step is None or session.timer_ends_at is None:
                continue
            chat_id = await self.store.chat_of(session.user_id)
            if chat_id is not None:
                delay = (session.timer_ends_at - now).total_seconds()
                self._schedule(job_queue, session.id, session.timer_step, chat_id, delay)
