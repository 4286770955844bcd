"""Everything else a person can send: typed text (routed to whatever it answers), pain
check-ins, /help and /learn, unknown commands, stickers and photos, group chats, stale
buttons; and the error handler and the bot's profile (commands menu, description)."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from telegram import BotCommand, Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.catalog import Html, Texts, joined
from bot.coach.followup import HIGH_EARLIER, after_checkin
from bot.coach.pain import looks_like_pain_answer, parse_pain
from bot.coach.progress import WEEK_DAYS, WINDOW_DAYS
from bot.coach.states import AwaitingText, Onboarding, RedFlagAnswer, SessionStatus
from bot.store.models import User
from bot.store.records import RecordStore
from bot.store.reminders import ReminderStore
from bot.telegram import callbacks
from bot.telegram.kernel import PRIVATE_MESSAGE, Context, Feature, Kernel, reply
from bot.telegram.onboarding import Setup
from bot.telegram.outbox import Outbox
from bot.telegram.reminders import Reminders
from bot.telegram.render import caution, pain_problem, per_day, start_session_keyboard
from bot.telegram.session import Session
from bot.telegram.summary import rating_advice
from bot.telegram.transport import describe

log = logging.getLogger(__name__)

# The command menu, in the order Telegram shows it; each description is
# "command-<name>" in the catalog, except /learn's, which is the programme's own.
COMMANDS = (
    "session",
    "reminders",
    "pause",
    "resume",
    "progress",
    "history",
    "learn",
    "safety",
    "export",
    "delete",
    "cancel",
    "start",
    "help",
)


class Chat(Feature):
    def __init__(
        self,
        kernel: Kernel,
        records: RecordStore,
        reminder_store: ReminderStore,
        setup: Setup,
        session: Session,
        reminders: Reminders,
    ) -> None:
        self.kernel = kernel
        self.store = kernel.store
        self.records = records
        self.reminder_store = reminder_store
        self.setup = setup
        self.session = session
        self.reminders = reminders
        # Replies owed when Telegram fails (app.py sets it: it is built after the chat).
        self.outbox: Outbox | None = None

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """Registered after every other feature's: the catch-alls come last."""
        return [
            # Nothing from a group reaches the coaching handlers or the store.
            MessageHandler(
                filters.ChatType.GROUPS & filters.UpdateType.MESSAGE, self.group_message
            ),
            CommandHandler("help", self.help, filters=PRIVATE_MESSAGE),
            CommandHandler("learn", self.learn, filters=PRIVATE_MESSAGE),
            CallbackQueryHandler(self.learn, pattern=callbacks.LEARN_PATTERN),
            MessageHandler(PRIVATE_MESSAGE & filters.COMMAND, self.unknown_command),
            MessageHandler(PRIVATE_MESSAGE & filters.TEXT, self.text),
            MessageHandler(PRIVATE_MESSAGE, self.not_text),
            # An edit of an earlier message: the bot acts on new messages only, and says so.
            MessageHandler(
                filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE, self.edited
            ),
            CallbackQueryHandler(self.stale_button),
        ]

    # Typed text

    async def text(self, update: Update, context: Context) -> None:
        """Typed text answers whatever the person was asked last: a set-up question, a
        reminder time, a session's pain rating; otherwise a number is a check-in."""
        person = await self.kernel.read_person(update, context)
        if person is None:
            await reply(update, self.kernel.texts(context)("hello-send-start"))
            return
        awaiting = person.awaiting_text
        if awaiting is AwaitingText.TIME_ZONE:
            await self.setup.typed_time_zone(update, context, person)
        elif awaiting is AwaitingText.REMINDER_TIMES:
            await self.setup.typed_reminder_times(update, context, person)
        elif awaiting in (AwaitingText.MORNING_TIME, AwaitingText.EVENING_TIME):
            await self.reminders.typed_time(update, context, person)
        else:
            session = await self.kernel.session_today(person)
            if session is not None and session.status is SessionStatus.OPEN:
                await self.session.typed(update, context, session)
            else:
                await self._checkin(update, context, person)

    async def _checkin(self, update: Update, context: Context, person: User) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None and person.id is not None
        t = self.kernel.texts(context)
        if not looks_like_pain_answer(message.text):
            await reply(update, t("didnt-catch"))
            return
        reading = parse_pain(message.text)
        if reading.score is None:
            assert reading.problem is not None
            await reply(update, pain_problem(t, reading.problem))
            return
        now = self.kernel.clock()
        advice = await rating_advice(self.kernel, self.records, person.id, reading.score)
        if not await self.store.add_checkin(person.id, message.message_id, reading.score, now):
            return  # this very message was recorded before a restart; it was answered then
        local = now.astimezone(ZoneInfo(person.time_zone))
        earlier = await self.records.ratings_since(person.id, now - HIGH_EARLIER)
        # (The rating just stored is among them: it has its own advice already.)
        if reading.score in earlier:
            earlier.remove(reading.score)
        notes = after_checkin(advice, max(earlier, default=None))
        if person.onboarding in (Onboarding.RED_FLAGS, Onboarding.TIME_ZONE):
            # (No time zone chosen yet: a clock time would be UTC's, not theirs.)
            text = t("checkin-recorded-untimed", score=reading.score)
        else:
            text = t("checkin-recorded", score=reading.score, time=f"{local:%H:%M}")
        if notes.invite_to_exercise and person.onboarding is not Onboarding.DONE:
            # No session can start before set-up ends: rather than a "Start session" that
            # would only bring the set-up question back, the question comes now.
            # (Someone who reported a warning sign is not nudged towards a first session.)
            told = person.red_flags is RedFlagAnswer.REPORTED
            more = t("red-flags-told-before" if told else "checkin-setup-first")
            await reply(update, f"{text} {more}")
            await self.setup.continue_setup(update, context, person)
            return
        if notes.invite_to_exercise:
            await reply(update, f"{text} {t('checkin-invite')}", start_session_keyboard(t))
            return
        cautions = [caution(t, self.kernel.safety, note) for note in notes.cautions]
        await reply(update, joined([text, *cautions]))

    # Help and the rest

    async def help(self, update: Update, context: Context) -> None:
        t = self.kernel.texts(context)
        programme = self.kernel.programme
        commands = "\n".join(
            t("help-command", command=name, description=self.command_description(t, name))
            for name in COMMANDS
        )
        await reply(
            update,
            t(
                "help",
                programme=programme.title,
                per_day=per_day(t, programme),
                commands=Html(commands),
            ),
        )

    def command_description(self, t: Texts, name: str) -> str:
        if name == "learn":
            return self.kernel.programme.learn_summary
        return t(f"command-{name}", weeks=WINDOW_DAYS // WEEK_DAYS)

    async def learn(self, update: Update, context: Context) -> None:
        if update.callback_query:
            await update.callback_query.answer()
        t = self.kernel.texts(context)
        sections = "\n\n".join(
            t("learn-section", title=section.title, text=section.text)
            for section in self.kernel.programme.education
        )
        await reply(update, t("learn", sections=Html(sections)))

    async def unknown_command(self, update: Update, context: Context) -> None:
        await reply(update, self.kernel.texts(context)("unknown-command"))

    async def not_text(self, update: Update, context: Context) -> None:
        await reply(update, self.kernel.texts(context)("not-text"))

    async def edited(self, update: Update, context: Context) -> None:
        await reply(update, self.kernel.texts(context)("edited-message"))

    async def group_message(self, update: Update, context: Context) -> None:
        await reply(update, self.kernel.texts(context)("group-chat"))

    async def stale_button(self, update: Update, context: Context) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer(self.kernel.texts(context)("stale-button"))

    # The bot itself

    async def set_profile(self, bot: ExtBot[None]) -> None:
        """The commands menu and what a person sees before pressing Start, in every
        language of the catalog (Telegram picks by the person's language)."""
        programme = self.kernel.programme
        for language in self.kernel.catalog.languages:
            t = self.kernel.catalog.texts(language)
            code = None if language == self.kernel.catalog.default else language
            commands = [BotCommand(name, self.command_description(t, name)) for name in COMMANDS]
            await bot.set_my_commands(commands, language_code=code)
            await bot.set_my_description(
                t("description", programme=programme.title, count=len(programme.exercises)),
                language_code=code,
            )
            await bot.set_my_short_description(
                t("short-description", programme=programme.title), language_code=code
            )

    async def on_error(self, update: object, context: Context) -> None:
        if isinstance(context.error, Forbidden) and isinstance(update, Update):
            # They blocked the bot while we answered: nothing to say, and no reminders.
            if update.effective_user is not None:
                person = await self.store.user(update.effective_user.id)
                if person is not None and person.id is not None:
                    await self.reminder_store.set_active(person.id, False)
            log.info("a reply was refused: %s", context.error)
            return
        if isinstance(context.error, NetworkError) and not isinstance(context.error, BadRequest):
            # Telegram failing (5xx, time-outs) after the rate limiter's retries: nothing
            # in our code to debug, so one line, no traceback; and an apology now would
            # fail too, so the person is owed the reply (outbox.py) once Telegram is back.
            outbox = self.outbox
            if (
                outbox is not None
                and isinstance(update, Update)
                and await outbox.owe(update, context)
            ):
                log.warning(
                    "could not answer an update, Telegram failed (%s): the reply is owed "
                    "and goes out when Telegram answers again",
                    describe(context.error),
                )
                return
            log.warning("could not answer an update, Telegram failed: %s", describe(context.error))
        else:
            log.error("error while handling an update", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if update.effective_chat.type != "private":
            return
        try:
            await context.bot.send_message(
                update.effective_chat.id, self.kernel.texts(context)("something-went-wrong")
            )
        except TelegramError as error:
            log.warning("could not tell the user about the error: %s", error)
