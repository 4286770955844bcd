"""Replies owed after Telegram failed: the person sees the next step without asking.

When the reply to an update cannot be sent even after the rate limiter's retries
(Telegram down or failing for seconds), the answer itself is stored already, but the
person sees nothing and would have to guess `/session`. The error handler notes the chat
as owed a reply (`pending_replies`, one row a chat); a one-off job sends it as soon as
Telegram answers again - the session's current step with its buttons, or, outside a
session, a short apology - and clears the row, so it is sent once. Until then it tries
again with growing pauses (3, 6, 12 ... 60 s); after a restart, the start looks for
replies still owed.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import BaseHandler, ExtBot, JobQueue

from bot.catalog import joined
from bot.coach.states import SessionStatus
from bot.store.outbox import OutboxStore, Owed
from bot.telegram.kernel import Context, Feature, Kernel
from bot.telegram.session import Session
from bot.telegram.transport import describe

log = logging.getLogger(__name__)

RETRY_FIRST = 3.0  # seconds
RETRY_MAX = 60.0
JOB_NAME = "outbox"


class Outbox(Feature):
    def __init__(self, kernel: Kernel, outbox: OutboxStore, session: Session) -> None:
        self.kernel = kernel
        self.outbox = outbox
        self.session = session

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        return []  # (it answers no update: it finishes answering them)

    async def owe(self, update: Update, context: Context) -> bool:
        """The reply to `update` failed for good: owe the person one. False if there is
        no one to owe it to (no chat, or someone who has not started)."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or chat.type != "private":
            return False
        person = await self.kernel.store.user(user.id)
        if person is None or person.id is None:
            return False
        session = await self.kernel.session_today(person)
        card = session.card_message_id if session is not None else None
        await self.outbox.keep(chat.id, person.id, card, self.kernel.clock())
        self.schedule(context.job_queue, RETRY_FIRST)
        return True

    def schedule(self, job_queue: JobQueue[Any] | None, delay: float) -> None:
        if job_queue is not None and not job_queue.get_jobs_by_name(JOB_NAME):
            job_queue.run_once(self.drain, when=delay, name=JOB_NAME)

    async def resume(self, job_queue: JobQueue[Any]) -> None:
        """At start: replies still owed from before a restart go out soon."""
        if await self.outbox.any_owed():
            self.schedule(job_queue, RETRY_FIRST)

    async def drain(self, context: Context) -> None:
        longest = 1
        for owed in await self.outbox.take(self.kernel.clock()):
            try:
                await self._send(context.bot, owed)
            except (Forbidden, BadRequest) as error:
                # Blocked since, or a message Telegram refuses: nothing more to send.
                log.info("an owed reply was refused (%s); dropped", describe(error))
            except (NetworkError, RetryAfter) as error:
                log.warning("an owed reply failed again (%s): trying later", describe(error))
                await self.outbox.release(owed.chat_id)
                longest = max(longest, owed.attempts)
                continue
            await self.outbox.sent(owed.chat_id)
        if await self.outbox.any_owed():
            delay = min(RETRY_FIRST * 2 ** (longest - 1), RETRY_MAX)
            self.schedule(context.job_queue, delay)

    async def _send(self, bot: ExtBot[Any], owed: Owed) -> None:
        person = await self.kernel.store.user_by_id(owed.user_id)
        if person is None:
            return  # (deleted since)
        t = self.kernel.texts_of(person)
        session = await self.kernel.session_today(person)
        if session is None or session.status is not SessionStatus.OPEN or session.id is None:
            await bot.send_message(owed.chat_id, t("owed-sorry"), parse_mode=ParseMode.HTML)
            return
        if session.card_message_id != owed.card_message_id:
            return  # the person asked again and got the step since: nothing owed
        screen = self.session.screen(t, session)
        message = await bot.send_message(
            owed.chat_id,
            joined([t("owed-step"), screen.text]),
            parse_mode=ParseMode.HTML,
            reply_markup=screen.keyboard,
        )
        await self.kernel.replace_card(bot, owed.chat_id, session.id, message)
