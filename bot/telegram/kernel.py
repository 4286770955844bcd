"""What every feature of the shell shares: the context, sending, and the current person.

A handler turns an update into an event, asks the core, persists the decision and
renders it; nothing here keeps state between updates. The step a person is on, their
set-up and their reminders are read from the database on every update, so that a
restart or a second instance carries on where the last one stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TimedOut
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackContext,
    ExtBot,
    filters,
)

from bot.catalog import Catalog, Texts
from bot.coach.session import Step, session_steps
from bot.coach.states import Onboarding
from bot.coach.timezones import local_date
from bot.config import Settings
from bot.metrics import Metrics
from bot.programme import Programme, Safety
from bot.store.models import ExerciseSession, User
from bot.store.queries import Store
from bot.telegram.ratelimit import CARD_EDIT

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
AnyApplication = Application[Any, Any, Any, Any, Any, Any]

# Updates the coaching handlers answer: new messages in a private chat.
PRIVATE_MESSAGE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context, which lives for one update (or one job run), plus the person's
    language and what `Kernel.recognise` read at the start of the update - the person's
    row and their newest unfinished session - so that the handler which follows need not
    read them again (a tap costs two database round trips fewer)."""

    def __init__(
        self, application: AnyApplication, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.language = ""
        self.person: User | None = None
        self.person_read = False
        self.unfinished: ExerciseSession | None = None
        self.unfinished_read = False

    @classmethod
    def from_update(cls, update: object, application: AnyApplication) -> Context:
        context = super().from_update(update, application)
        if isinstance(update, Update) and update.effective_user is not None:
            context.language = update.effective_user.language_code or ""
        return context

    def take_person(self) -> tuple[bool, User | None]:
        """(True, row or None) the first time after `recognise`; then (False, None), so
        that a second look within the update reads the database afresh."""
        read, person = self.person_read, self.person
        self.person_read, self.person = False, None
        return read, person

    def take_session(self, session_id: int) -> ExerciseSession | None:
        """The unfinished session read at the start of the update if it is `session_id`
        (once; None otherwise: read it from the database)."""
        session, self.unfinished, self.unfinished_read = self.unfinished, None, False
        return session if session is not None and session.id == session_id else None

    def take_unfinished(self) -> tuple[bool, ExerciseSession | None]:
        """(True, the newest unfinished session or None) the first time after
        `recognise`; then (False, None)."""
        read, session = self.unfinished_read, self.unfinished
        self.unfinished_read, self.unfinished = False, None
        return read, session


@dataclass(frozen=True)
class Screen:
    """A message to send: Telegram HTML and its buttons."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def keyboard(*rows: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(row) for row in rows])


Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
PersonHandler = Callable[[Update, Context, User], Coroutine[Any, Any, None]]


class Kernel:
    """The store, the content, the catalog and the clock, and the helpers that every
    feature uses to read the person and to answer them."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        programme: Programme,
        safety: Safety,
        settings: Settings,
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics or Metrics()
        self.catalog = catalog
        self.programme = programme
        self.safety = safety
        self.settings = settings
        self.clock = clock
        self.steps: tuple[Step, ...] = session_steps(programme)

    # The person

    async def recognise(self, update: Update, context: Context) -> None:
        """Runs before every private update: reads the person's row and newest unfinished
        session once for the handler that follows, and since someone who writes to us can
        be reached, resumes their reminders if they had blocked the bot."""
        if update.effective_user is None:
            return
        seen = await self.store.user_seen(update.effective_user.id, context.language)
        if seen.reactivated:
            log.info("user %d is reachable again", update.effective_user.id)
        context.person, context.person_read = seen.person, True
        context.unfinished, context.unfinished_read = seen.unfinished, True

    async def screen_out_press(self, update: Update, context: Context) -> None:
        """Runs before everything for a button press: one the bot cannot act on - on an
        inline message (no chat), without data (a game's button), or outside a private
        chat - is answered politely, so the button stops spinning, and goes no further."""
        query = update.callback_query
        if query is None:
            return
        message = query.message
        if query.data is not None and message is not None and message.chat.type == "private":
            return
        await query.answer(self.texts(context)("button-not-here"))
        raise ApplicationHandlerStop

    async def read_person(self, update: Update, context: Context) -> User | None:
        """The row of the person an update is from (None before /start)."""
        if update.effective_user is None:
            return None
        read, person = context.take_person()
        return person if read else await self.store.user(update.effective_user.id)

    def for_person(self, handler: PersonHandler, *, set_up: bool = False) -> Handler:
        """The handler, called with the person's row; someone who has not started (or,
        with `set_up`, not finished set-up) is told so, in one wording, instead."""

        async def guarded(update: Update, context: Context) -> None:
            person = await self.read_person(update, context)
            if person is None:
                await self.refuse(update, context, "not-started")
            elif set_up and person.onboarding is not Onboarding.DONE:
                await self.refuse(update, context, "not-set-up")
            else:
                await handler(update, context, person)

        guarded.__name__ = getattr(handler, "__name__", "guarded")
        return guarded

    def refuser(self, key: str) -> Handler:
        """A handler that only says `key` (see `refuse`)."""

        async def refusing(update: Update, context: Context) -> None:
            await self.refuse(update, context, key)

        return refusing

    async def refuse(self, update: Update, context: Context, key: str) -> None:
        """Say `key` as a toast for a tap, as a message otherwise."""
        text = self.texts(context)(key)
        if update.callback_query is not None:
            await update.callback_query.answer(text)
        else:
            await reply(update, text)

    def texts(self, context: Context) -> Texts:
        """The catalog in the language of the person the update is from."""
        return self.catalog.texts(context.language)

    def texts_of(self, person: User) -> Texts:
        """The person's catalog when no update from them is at hand (reminders, timers)."""
        return self.catalog.texts(person.language)

    async def put_card(
        self,
        update: Update,
        session_id: int,
        text: str,
        screen: Screen | None,
        *,
        new: bool = False,
    ) -> None:
        """Show a session's next step. A tap's own message is edited into it: one request,
        and the old buttons go with it. Otherwise (typed text, /session) a new message
        takes over and the one before loses its buttons: one message at a time carries
        the session's live buttons.

        An edit that timed out is not tried again: Telegram may carry it out later, after
        any newer edit, and put this step back over a later one. The step goes out as a
        new message instead, and a late edit lands on a message that no longer counts."""
        markup = screen.keyboard if screen else None
        query = update.callback_query
        if query is not None and query.message is not None and not new:
            try:
                await edit_card(query, query.message, text, markup)
                return
            except TimedOut:
                log.warning("editing the session's message timed out: sending the step anew")
            except BadRequest as error:
                if "not modified" in error.message:
                    return  # it shows this step already ("Instructions again" in full)
                # Too old to edit (48 h), or deleted: send it anew.
                log.debug("could not edit the session's message: %s", error)
        message = await reply(update, text, markup)
        if update.effective_chat is not None:
            await self.replace_card(update.get_bot(), update.effective_chat.id, session_id, message)

    async def replace_card(self, bot: Bot, chat_id: int, session_id: int, card: Message) -> None:
        """`card` carries the session's buttons now; the message before it loses them."""
        old = await self.store.set_card(session_id, card.message_id)
        if old is not None:
            await strip_buttons(bot, chat_id, old)

    def today(self, person: User) -> str:
        return local_date(self.clock(), person.time_zone)

    async def session_today(
        self, person: User, context: Context | None = None
    ) -> ExerciseSession | None:
        """The person's unfinished session if it is from today in their zone (the one
        `recognise` read, if the update's `context` still holds it)."""
        assert person.id is not None
        read, session = context.take_unfinished() if context is not None else (False, None)
        if not read:
            session = await self.store.unfinished_session(person.id)
        if session is not None and session.local_date == self.today(person):
            return session
        return None


class Feature:
    """One feature of the shell: its handlers and the callback patterns they answer."""

    def handlers(self) -> Sequence[BaseHandler[Update, Context, Any]]:
        raise NotImplementedError


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """Send to the chat the update came from (a new message, not a quoted reply)."""
    assert update.effective_chat is not None
    return await update.get_bot().send_message(
        update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )


async def show(update: Update, screen: Screen) -> Message:
    return await reply(update, screen.text, screen.keyboard)


async def edit_card(
    query: CallbackQuery,
    message: MaybeInaccessibleMessage,
    text: str,
    markup: InlineKeyboardMarkup | None,
) -> None:
    """Edit a session's tapped message, not tried again after a time-out (CARD_EDIT)."""
    # The Application builds an ExtBot, whose methods take the rate limiter's arguments.
    bot = cast(ExtBot[Any], query.get_bot())
    await bot.edit_message_text(
        text,
        chat_id=message.chat.id,
        message_id=message.message_id,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        rate_limit_args=CARD_EDIT,
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


async def strip_buttons(bot: Bot, chat_id: int, message_id: int) -> None:
    """Take the buttons off a message another one has replaced (best effort, as above)."""
    try:
        await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as error:
        log.debug("could not take the buttons off a replaced message: %s", error)
