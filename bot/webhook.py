"""Webhook mode: Telegram posts updates to us over HTTPS, for several instances behind a
load balancer (`python -m bot webhook`).

A small aiohttp server (aiohttp is already a dependency) in front of the same
Application, as in python-telegram-bot's custom-webhook example, rather than PTB's
built-in `run_webhook`: that server serves only the webhook path, and a load balancer
needs a health check. Routes:

- POST <path of WEBHOOK_URL>: an update. Refused with 403 unless the request carries
  the secret in X-Telegram-Bot-Api-Secret-Token; queued for the Application; 200.
- GET /healthz: 200 when the database answers, 503 when it does not.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from aiohttp import web
from sqlalchemy import text
from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError
from telegram.ext import Application

from bot.app import close_transports
from bot.config import WebhookSettings
from bot.store.queries import Store

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Pauses while Telegram can't be reached at start: 1, 2, 4 ... 30 seconds.
START_RETRY_FIRST = 1.0
START_RETRY_MAX = 30.0
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def web_app(application: AnyApplication, hook: WebhookSettings) -> web.Application:
    secret = hook.secret.encode()

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
        update = Update.de_json(data, application.bot)
        await application.update_queue.put(update)
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
    return app


@asynccontextmanager
async def serving(application: AnyApplication, hook: WebhookSettings) -> AsyncIterator[None]:
    """Run the Application behind the webhook server inside an existing event loop."""
    try:
        await _until_reachable(application.initialize, "getMe")
    except InvalidToken:
        await close_transports(application)
        raise
    if application.post_init:
        await application.post_init(application)
    await application.start()
    runner = web.AppRunner(web_app(application, hook), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, hook.listen, hook.port)
    await site.start()
    # Every instance sets the same URL and secret: the last one to start wins, harmlessly.
    await _until_reachable(
        lambda: application.bot.set_webhook(
            hook.url, secret_token=hook.secret, allowed_updates=Update.ALL_TYPES
        ),
        "setWebhook",
    )
    log.info("webhook: listening on %s:%d for %s", hook.listen, hook.port, hook.path)
    try:
        yield
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


async def _until_reachable(action: Callable[[], Awaitable[Any]], what: str) -> None:
    """While Telegram can't be reached at start (down, 5xx, time-outs), keep trying with
    growing pauses instead of exiting, as polling mode does (PTB's bootstrap_retries)."""
    delay = START_RETRY_FIRST
    while True:
        try:
            await action()
            return
        except NetworkError as error:
            if isinstance(error, BadRequest):
                raise
            log.warning("%s: Telegram can't be reached (%s), trying again in %.0f s",
                        what, error, delay)  # fmt: skip
            await asyncio.sleep(delay)
            delay = min(delay * 2, START_RETRY_MAX)


async def run(application: AnyApplication, hook: WebhookSettings) -> None:
    """Serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with serving(application, hook):
        await stop.wait()
