"""Webhook mode: Telegram posts updates to us over HTTPS, for several instances behind a
load balancer (`python -m bot webhook`).

A small aiohttp server (aiohttp is already a dependency) in front of the same
Application, as in python-telegram-bot's custom-webhook example, rather than PTB's
built-in `run_webhook`: that server serves only the webhook path, and a load balancer
needs a health check. Routes:

- POST <path of WEBHOOK_URL>: an update. Refused with 403 unless the request carries
  the secret in X-Telegram-Bot-Api-Secret-Token. Handled (each person's updates in
  order, as in polling mode), and only then answered 200: Telegram posts an update again
  until it gets a 200, so one in hand when the instance dies is not lost. The ledger
  (bot/store/ledger.py) makes a redelivered update count once: handled before, it is
  answered 200 and not handled again; in hand at another instance, 503 (later, please).
- GET /healthz: 200 when the database answers, 503 when it does not.
- GET /metrics: the Prometheus metrics (bot/metrics.py; README, Metrics).

Polling mode cannot do this: PTB confirms a batch of updates (the next getUpdates'
offset) before it has handled them, so an update in hand at a crash is gone. Nothing the
person was told is lost (every answer is committed before the reply that confirms it);
their last tap or message simply got no reply, and they send it again.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import text
from telegram import Update
from telegram.ext import Application

from bot.app import reach_telegram
from bot.coach.timezones import utc_now
from bot.config import WebhookSettings
from bot.lifecycle import stop_on_signals, until_reachable
from bot.store.engine import migrate
from bot.store.ledger import KEEP_FOR, Taken, UpdateLedger
from bot.store.queries import Store

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FORGET_EVERY = 3600.0  # seconds between clearing the ledger of old entries
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def web_app(application: AnyApplication, hook: WebhookSettings) -> web.Application:
    secret = hook.secret.encode()
    ledger = UpdateLedger(application.bot_data["store"])
    clock: Callable[[], datetime] = application.bot_data.get("clock", utc_now)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
        except json.JSONDecodeError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        update_id = data["update_id"]
        taken = await ledger.take(update_id, clock())
        if taken is Taken.DONE:
            return web.Response(text="ok (handled before)")
        if taken is Taken.BUSY:
            return web.Response(status=503, text="in hand elsewhere")
        update = Update.de_json(data, application.bot)
        # (Errors in handlers go to the error handler; process_update does not raise.)
        await application.update_processor.process_update(
            update, application.process_update(update)
        )
        await ledger.finish(update_id, clock())
        return web.Response(text="ok")

    async def healthz(_request: web.Request) -> web.Response:
        store: Store = application.bot_data["store"]
        try:
            async with store.engine.connect() as connection:
                await asyncio.wait_for(connection.execute(text("SELECT 1")), 2)
        except Exception as error:
            log.warning("health check: the database did not answer: %s", error)
            return web.Response(status=503, text="database unavailable")
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(hook.path, receive)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", application.bot_data["metrics"].serve)
    return app


@asynccontextmanager
async def serving(
    application: AnyApplication, hook: WebhookSettings, stopping: asyncio.Event | None = None
) -> AsyncIterator[bool]:
    """Run the Application behind the webhook server inside an existing event loop; it
    yields False, without serving, when `stopping` was set before Telegram was reached."""
    stopping = stopping or asyncio.Event()
    if not await reach_telegram(application, stopping):
        yield False
        return
    if application.post_init:
        await application.post_init(application)
    await application.start()
    forget = _forget_old_updates(application)
    assert application.job_queue is not None, "install the job-queue extra"
    application.job_queue.run_repeating(forget, interval=FORGET_EVERY, first=FORGET_EVERY)
    runner = web.AppRunner(web_app(application, hook), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, hook.listen, hook.port)
    await site.start()
    try:
        # Every instance sets the same URL and secret: the last to start wins, harmlessly.
        if await until_reachable(
            lambda: application.bot.set_webhook(
                hook.url, secret_token=hook.secret, allowed_updates=Update.ALL_TYPES
            ),
            "setWebhook",
            stopping,
        ):
            log.info("webhook: listening on %s:%d for %s", hook.listen, hook.port, hook.path)
        yield True
    finally:
        # Stop taking updates first, then finish the ones in hand (Application.stop waits
        # for them) and the reminder sends in flight (post_stop).
        await runner.cleanup()
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def _forget_old_updates(application: AnyApplication) -> Callable[[Any], Coroutine[Any, Any, None]]:
    ledger = UpdateLedger(application.bot_data["store"])
    clock: Callable[[], datetime] = application.bot_data.get("clock", utc_now)

    async def forget(_context: Any) -> None:
        gone = await ledger.forget_before(clock() - KEEP_FOR)
        log.debug("webhook: forgot %d handled updates", gone)

    return forget


async def run(application: AnyApplication, hook: WebhookSettings) -> None:
    """`python -m bot webhook`: migrate, reach Telegram, serve until SIGTERM or SIGINT
    (see bot/lifecycle.py)."""
    stopping = stop_on_signals()
    await migrate(application.bot_data["store"].engine)
    async with serving(application, hook, stopping) as served:
        if served:
            await stopping.wait()
