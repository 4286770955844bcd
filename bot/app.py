"""Build the Application: settings, content, store, handlers and scheduler in one place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
)

from bot.catalog import LOCALES_DIR, Catalog
from bot.coach.pain import PAIN_MAX, PAIN_MIN
from bot.coach.timezones import utc_now
from bot.config import Settings
from bot.lifecycle import polling_error, stop_on_signals, until_reachable
from bot.metrics import Metrics
from bot.programme import Programme, Safety, load_programme, load_safety
from bot.store.budget import SharedBudget
from bot.store.engine import create_engine, migrate
from bot.store.outbox import OutboxStore
from bot.store.queries import Store
from bot.store.records import RecordStore
from bot.store.reminders import ReminderStore
from bot.telegram.chat import Chat
from bot.telegram.kernel import PRIVATE_MESSAGE, AnyApplication, Clock, Context, Feature, Kernel
from bot.telegram.onboarding import Setup
from bot.telegram.outbox import Outbox
from bot.telegram.privacy import Privacy
from bot.telegram.ratelimit import PriorityRateLimiter
from bot.telegram.records import Records
from bot.telegram.reminders import Reminders
from bot.telegram.session import Session
from bot.telegram.sweep import ReminderSweep
from bot.telegram.timers import Timers
from bot.telegram.transport import AiohttpRequest
from bot.telegram.updates import PerChatUpdateProcessor

log = logging.getLogger(__name__)

# A long poll's length in seconds (PTB's default): one request per 10 s while nobody writes.
POLL_TIMEOUT = 10


def load_catalog(directory: Path = LOCALES_DIR) -> Catalog:
    # The ends of the pain scale are quoted by many messages: every message may use them.
    return Catalog(directory, shared={"pain_min": PAIN_MIN, "pain_max": PAIN_MAX})


def build_application(
    settings: Settings,
    programme: Programme | None = None,
    safety: Safety | None = None,
    clock: Clock = utc_now,
    catalog: Catalog | None = None,
    *,
    webhook: bool = False,
) -> AnyApplication:
    """The bot; `webhook`: for one of possibly several webhook instances (they share one
    send budget on PostgreSQL, see SHARED_RATE_LIMIT)."""
    programme = programme or load_programme()
    safety = safety or load_safety()
    engine = create_engine(settings.database_url)
    store = Store(engine)
    metrics = Metrics()
    kernel = Kernel(store, catalog or load_catalog(), programme, safety, settings, clock, metrics)
    record_store = RecordStore(store, sum(1 for s in kernel.steps if s.kind == "exercise"))
    reminder_store = ReminderStore(store)
    sweep = ReminderSweep(
        reminder_store,
        kernel.catalog,
        programme,
        clock,
        rate=settings.reminder_rate,
        paid=settings.paid_broadcast_rate > 0,
        metrics=metrics,
    )
    # Each feature gets the stores it uses; a feature that leads into another (a
    # reminder's "Start session") gets that one.
    timers = Timers(kernel)
    session = Session(kernel, record_store, timers)
    reminders = Reminders(kernel, reminder_store, session)
    setup = Setup(kernel, session, reminders)
    session.welcome = setup.start
    records = Records(kernel, record_store)
    privacy = Privacy(kernel, record_store)
    chat = Chat(kernel, record_store, reminder_store, setup, session, reminders)
    outbox = Outbox(kernel, OutboxStore(store), session)
    chat.outbox = outbox

    async def post_init(application: AnyApplication) -> None:
        await migrate(engine)
        await chat.set_profile(application.bot)
        assert application.job_queue is not None, "install the job-queue extra"
        await timers.resume(application.job_queue)
        await outbox.resume(application.job_queue)
        sweep.start(application.job_queue)
        await store.open()  # (last: if a step above fails, nothing is left open)
        log.info(
            "ready: %d exercises, languages %s, database %s",
            len(programme.exercises),
            ", ".join(kernel.catalog.languages),
            engine.url.render_as_string(hide_password=True),
        )

    async def post_stop(_application: AnyApplication) -> None:
        await sweep.stop()

    async def post_shutdown(_application: AnyApplication) -> None:
        records.close()
        if shared is not None:
            await shared.close()
        await store.close()
        await engine.dispose()

    transports = (AiohttpRequest(metrics=metrics), AiohttpRequest(connection_pool_size=2))
    shared = (
        SharedBudget(settings.database_url, settings.telegram_rate_limit)
        if settings.shares_send_budget(webhook=webhook)
        else None
    )
    limiter = PriorityRateLimiter(
        rate=settings.telegram_rate_limit, paid_rate=settings.paid_broadcast_rate, shared=shared
    )
    metrics.watch_queue(lambda: limiter.waiting[0], lambda: limiter.waiting[1])
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
        .concurrent_updates(PerChatUpdateProcessor(metrics=metrics))
        .context_types(ContextTypes(context=Context))
        # Paces every message under Telegram's limit, replies before reminders, and waits
        # out a 429's retry_after before trying again.
        .rate_limiter(limiter)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["store"] = store
    application.bot_data["metrics"] = metrics
    application.bot_data["settings"] = settings
    application.bot_data["clock"] = clock
    application.bot_data["reminders"] = sweep
    application.bot_data["reminder_store"] = reminder_store
    application.bot_data["transports"] = transports
    register(application, kernel, (setup, session, timers, reminders, records, privacy, chat))
    application.add_error_handler(chat.on_error)
    return application


def register(application: AnyApplication, kernel: Kernel, features: Sequence[Feature]) -> None:
    """Every feature's handlers, in order: the first that matches an update answers it,
    so the catch-alls (the last feature's) come last."""
    # Group -2 turns away presses the bot cannot act on (inline messages, games).
    application.add_handler(CallbackQueryHandler(kernel.screen_out_press), group=-2)
    # Group -1 runs before the features, for every private message and button press.
    application.add_handler(MessageHandler(PRIVATE_MESSAGE, kernel.recognise), group=-1)
    application.add_handler(CallbackQueryHandler(kernel.recognise), group=-1)
    for feature in features:
        application.add_handlers(feature.handlers())


async def close_transports(application: AnyApplication) -> None:
    """Close the HTTP sessions when PTB did not: it closes them only for a bot whose start
    (getMe) succeeded, and aiohttp complains at exit about sessions left open."""
    for transport in application.bot_data["transports"]:
        await transport.shutdown()


@asynccontextmanager
async def running(application: AnyApplication, poll_timeout: int = 1) -> AsyncIterator[None]:
    """Run the bot by long polling inside an existing event loop (as run_polling does)."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0.0,
        timeout=poll_timeout,
        allowed_updates=Update.ALL_TYPES,
        # Updates sent while the bot was down are kept and answered: nothing a person
        # sent is lost.
        drop_pending_updates=False,
        bootstrap_retries=-1,  # (deleteWebhook, just after getMe succeeded)
        error_callback=polling_error,
    )
    await application.start()
    try:
        yield
    finally:
        await application.updater.stop()
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


async def serve_polling(application: AnyApplication) -> None:
    """`python -m bot run`: migrate, reach Telegram, poll until SIGTERM or SIGINT (see
    bot/lifecycle.py)."""
    stopping = stop_on_signals()
    await migrate(application.bot_data["store"].engine)
    if not await reach_telegram(application, stopping):
        return
    async with running(application, poll_timeout=POLL_TIMEOUT), metrics_server(application):
        await stopping.wait()


@asynccontextmanager
async def metrics_server(application: AnyApplication) -> AsyncIterator[None]:
    """Polling mode's /metrics, on METRICS_PORT when it is set (webhook mode serves it on
    the webhook's own server)."""
    settings: Settings = application.bot_data["settings"]
    if settings.metrics_port is None:
        yield
        return
    app = web.Application()
    app.router.add_get("/metrics", application.bot_data["metrics"].serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.metrics_listen, settings.metrics_port).start()
    log.info("metrics on http://%s:%d/metrics", settings.metrics_listen, settings.metrics_port)
    try:
        yield
    finally:
        await runner.cleanup()


async def reach_telegram(application: AnyApplication, stopping: asyncio.Event) -> bool:
    """Initialize the Application (getMe) once Telegram can be reached; False if a stop
    came first. Either way out but success closes the HTTP sessions."""
    try:
        reached = await until_reachable(application.initialize, "getMe", stopping)
    except TelegramError:
        await close_transports(application)
        raise
    if not reached:
        log.info("stopped before Telegram could be reached")
        await close_transports(application)
    return reached
