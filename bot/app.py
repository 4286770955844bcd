"""Build the Application: settings, content, store, handlers and scheduler in one place."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.coach.timezones import utc_now
from bot.config import Settings
from bot.programme import Programme, Safety, load_programme, load_safety
from bot.store.engine import create_engine, migrate
from bot.store.queries import ReminderStore, Store
from bot.telegram import callbacks
from bot.telegram.handlers import Clock, Coach, Context
from bot.telegram.ratelimit import PriorityRateLimiter
from bot.telegram.records import Records
from bot.telegram.reminders import ReminderService
from bot.telegram.render import Renderer
from bot.telegram.transport import AiohttpRequest
from bot.telegram.updates import PerChatUpdateProcessor

log = logging.getLogger(__name__)


def build_application(
    settings: Settings,
    programme: Programme | None = None,
    safety: Safety | None = None,
    clock: Clock = utc_now,
) -> Application[Any, Any, Any, Any, Any, Any]:
    programme = programme or load_programme()
    safety = safety or load_safety()
    engine = create_engine(settings.database_url)
    store = Store(engine)
    render = Renderer(programme, safety)
    reminders = ReminderService(ReminderStore(store), render, clock)
    coach = Coach(store, programme, safety, settings, clock, reminders)
    records = Records(store, coach.records, programme, safety, clock)

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await migrate(engine)
        await coach.set_bot_profile(application.bot)
        assert application.job_queue is not None, "install the job-queue extra"
        await coach.resume_timers(application.job_queue)
        reminders.start(application.job_queue)
        log.info(
            "ready: %d exercises, database %s",
            len(programme.exercises),
            engine.url.render_as_string(hide_password=True),
        )

    async def post_stop(_application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await reminders.stop()

    async def post_shutdown(_application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        records.close()
        await engine.dispose()

    transports = (AiohttpRequest(), AiohttpRequest(connection_pool_size=2))
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        # Requests over aiohttp rather than PTB's default httpx, whose transport costs
        # four times the CPU per request (see bot/telegram/transport.py).
        .request(transports[0])
        # On stop, PTB confirms the last updates with one more getUpdates while the
        # cancelled long poll may still hold a connection: a second one spares that call
        # a pool time-out and a traceback at every shutdown.
        .get_updates_request(transports[1])
        # Different people's updates overlap; each person's stay in order. (On SQLite
        # the engine has one connection, so their statements queue rather than contend
        # for SQLite's write lock: see bot/store/engine.py.)
        .concurrent_updates(PerChatUpdateProcessor())
        .context_types(ContextTypes(context=Context))
        # Paces every message under Telegram's limit, replies before reminders, and waits
        # out a 429's retry_after before trying again.
        .rate_limiter(PriorityRateLimiter(rate=settings.telegram_rate_limit))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["store"] = store
    application.bot_data["reminders"] = reminders
    application.bot_data["transports"] = transports
    register_handlers(application, coach, records)
    return application


def register_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], coach: Coach, records: Records
) -> None:
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    # Group -1 runs before the handlers below, for every message and button press.
    application.add_handler(MessageHandler(private & new_message, coach.recognise), group=-1)
    application.add_handler(CallbackQueryHandler(coach.recognise), group=-1)
    # Groups first: nothing from a group reaches the coaching handlers or the store.
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & new_message, coach.group_message)
    )
    commands = {
        "start": coach.start,
        "session": coach.session_command,
        "cancel": coach.cancel,
        "help": coach.help,
        "learn": coach.learn,
        "reminders": coach.reminders_command,
        "pause": coach.pause,
        "resume": coach.resume,
        "history": records.history,
        "safety": records.safety,
        "delete": records.delete,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=private & new_message))
    # Charts and exports take a few hundred milliseconds and only read: they run beside
    # the updates that follow (block=False) instead of holding up everyone's replies, as
    # PTB otherwise handles one update at a time.
    for name, callback in {"progress": records.progress, "export": records.export}.items():
        application.add_handler(
            CommandHandler(name, callback, filters=private & new_message, block=False)
        )
    application.add_handler(
        MessageHandler(private & new_message & filters.COMMAND, coach.unknown_command)
    )
    application.add_handler(MessageHandler(private & new_message & filters.TEXT, coach.text))
    application.add_handler(MessageHandler(private & new_message, coach.not_text))

    application.add_handler(CallbackQueryHandler(coach.session_button, pattern=r"^s:"))
    application.add_handler(
        CallbackQueryHandler(coach.start_session_button, pattern=f"^{callbacks.START_SESSION}$")
    )
    application.add_handler(CallbackQueryHandler(coach.learn, pattern=f"^{callbacks.LEARN}$"))
    application.add_handler(CallbackQueryHandler(coach.red_flags_answer, pattern=r"^rf:"))
    application.add_handler(CallbackQueryHandler(coach.time_zone_button, pattern=r"^tz:"))
    application.add_handler(CallbackQueryHandler(coach.reminders_button, pattern=r"^rt:"))
    application.add_handler(CallbackQueryHandler(coach.reminder_button, pattern=r"^rm:"))
    application.add_handler(CallbackQueryHandler(coach.reminder_settings_button, pattern=r"^rs:"))
    application.add_handler(
        CallbackQueryHandler(records.delete_button, pattern=f"^{callbacks.DELETE_PREFIX}")
    )
    application.add_handler(ChatMemberHandler(coach.chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(CallbackQueryHandler(coach.stale_button))
    application.add_error_handler(coach.on_error)


async def close_transports(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Close the HTTP sessions when PTB did not: it closes them only for a bot whose start
    (getMe) succeeded, and aiohttp complains at exit about sessions left open."""
    for transport in application.bot_data["transports"]:
        await transport.shutdown()


@asynccontextmanager
async def running(application: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Run the bot by long polling inside an existing event loop (as run_polling does)."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES
    )
    await application.start()
    try:
        yield
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
