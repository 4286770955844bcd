"""Webhook mode: two instances behind a (simulated) load balancer behave as one bot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.app import build_application
from bot.config import Settings, WebhookSettings
from bot.emulator import BotApiEmulator
from bot.programme import Programme, Safety
from bot.webhook import serving, web_app
from tests.conftest import TOKEN
from tests.e2e.helpers import free_port, onboard, rows, wait_until
from tests.e2e.history import do_session
from tests.e2e.person import Person
from tests.e2e.test_restart import ROOT

SECRET = "s3cret-Token_1"


@pytest.fixture
async def instances(
    emulator: BotApiEmulator, settings: Settings, quick_programme: Programme, safety: Safety
) -> AsyncIterator[list[WebhookSettings]]:
    hooks = []
    for _ in range(2):
        port = free_port()
        hooks.append(
            WebhookSettings(
                url=f"http://127.0.0.1:{port}/telegram",
                secret=SECRET,
                listen="127.0.0.1",
                port=port,
            )
        )
    # The load balancer: updates go to one instance, then the other.
    emulator.webhook_targets = [hook.url for hook in hooks]
    async with AsyncExitStack() as stack:
        for hook in hooks:
            application = build_application(settings, quick_programme, safety, webhook=True)
            await stack.enter_async_context(serving(application, hook))
            emulator.bot_idle.append(application.update_queue.join)
        yield hooks


@pytest.fixture
async def db(database_url: str, instances: Any) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


async def test_a_session_moves_between_instances_as_if_one_bot(
    instances: list[WebhookSettings], emulator: BotApiEmulator, alex: Person, db: AsyncEngine
) -> None:
    assert emulator.webhook == {"url": instances[1].url, "secret": SECRET}
    await onboard(alex)
    summary = await do_session(alex, "5", "3")
    assert "6 of 6 exercises done" in summary and "Pain: 5/10 before, 3/10 after" in summary
    # Every update was accepted, and they alternated between the two instances.
    assert set(emulator.webhook_answers) == {200} and len(emulator.webhook_answers) > 15
    (session,) = await rows(db, "SELECT id, status FROM sessions")
    assert session["status"] == "finished"
    results = await rows(db, "SELECT step FROM exercise_results ORDER BY step")
    assert [r["step"] for r in results] == list(range(1, 12))


async def test_the_secret_is_required_healthz_checks_the_database_and_metrics_are_served(
    instances: list[WebhookSettings],
) -> None:
    hook = instances[0]
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0,
              "chat": {"id": 1, "type": "private"}, "text": "/start"}}  # fmt: skip
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with session.post(hook.url, json=update, headers=headers) as response:
                assert response.status == 403
        secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with session.post(hook.url, json=[1, 2], headers=secret) as response:
            assert response.status == 400
        base = hook.url.removesuffix("/telegram")
        async with session.get(f"{base}/healthz") as response:
            assert (response.status, await response.text()) == (200, "ok")
        async with session.get(f"{base}/metrics") as response:
            assert response.status == 200
            names = {f.name for f in text_string_to_metric_families(await response.text())}
        assert {"coach_update_seconds", "coach_telegram_requests", "coach_reminders_sent"} <= names


async def test_an_unreachable_telegram_at_start_is_waited_for(
    emulator: BotApiEmulator,
    settings: Settings,
    quick_programme: Programme,
    safety: Safety,
    alex: Person,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    hook = WebhookSettings(f"http://127.0.0.1:{port}/telegram", SECRET, "127.0.0.1", port)
    # The first getMe gets a 502: one pause, said in one line, then it starts.
    emulator.fail_next("getMe", 502, "Bad Gateway")
    application = build_application(settings, quick_programme, safety)
    async with serving(application, hook):
        (reply,) = await alex.say("/help")
        assert "/session" in reply.text
    assert "Telegram can't be reached (getMe: Bad Gateway): trying again in 1 s" in caplog.text
    assert caplog.text.count("Bad Gateway") == 1


async def test_healthz_says_503_when_the_database_does_not_answer(
    settings: Settings, quick_programme: Programme, safety: Safety
) -> None:
    # A real engine whose server refuses connections (nothing listens on that port).
    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/gone"
    application = build_application(replace(settings, database_url=dead), quick_programme, safety)
    port = free_port()
    hook = WebhookSettings(url=f"http://127.0.0.1:{port}/telegram", secret=SECRET,
                           listen="127.0.0.1", port=port)  # fmt: skip
    runner = web.AppRunner(web_app(application, hook), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, hook.listen, hook.port).start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert (response.status, await response.text()) == (503, "database unavailable")
    finally:
        await runner.cleanup()
        await application.bot_data["store"].engine.dispose()


async def test_sigterm_finishes_the_update_in_hand_and_exits(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path, alex: Person
) -> None:
    """`python -m bot webhook` as its own process: SIGTERM while a reply is on its way."""
    port = free_port()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url,
           "DATABASE_URL": database_url, "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
           "WEBHOOK_SECRET": SECRET, "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port),
           "LOG_LEVEL": "INFO"}  # fmt: skip
    log = (tmp_path / "bot.log").open("wb")
    # (Popen returns at once; the emulator goes on answering in this loop.)
    process = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, "-m", "bot", "webhook"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        await wait_until(lambda: emulator.webhook is not None, "the webhook to be set", 30)
        await onboard(alex)
        # Telegram is slow to take the next message: the update is still in hand when the
        # signal comes.
        emulator.delays["sendMessage"] = [2.0]
        sent_before = len(emulator.requests)
        await emulator.send_text(alex.user_id, "/session")
        await wait_until(
            lambda: any(m == "sendMessage" for m, _ in emulator.requests[sent_before:]),
            "the reply to be on its way",
        )
        process.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        await wait_until(lambda: process.poll() is not None, "a graceful stop", 15)
        # The process waited for the reply (held 2 s by the emulator) before exiting.
        assert "pain" in alex.messages[-1].text.lower()
        assert 1.5 < time.monotonic() - stopped < 10
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
    # The session it showed is stored.
    engine = create_async_engine(database_url)
    try:
        (session,) = await rows(engine, "SELECT step, status FROM sessions")
        assert (session["step"], session["status"]) == (0, "open")
    finally:
        await engine.dispose()
    assert "Traceback" not in (tmp_path / "bot.log").read_text()


async def test_a_redelivered_update_is_handled_once(
    instances: list[WebhookSettings], emulator: BotApiEmulator, alex: Person, db: AsyncEngine
) -> None:
    """Telegram posts an update again when the 200 did not reach it (or an instance died
    holding it): the second post, to either instance, records nothing and says nothing."""
    await onboard(alex)
    chat = {"id": alex.user_id, "type": "private", "first_name": "Alex"}
    user = {"id": alex.user_id, "is_bot": False, "first_name": "Alex"}
    update = {
        "update_id": 900001,
        "message": {"message_id": 9001, "date": int(time.time()), "chat": chat,
                    "from": user, "text": "4"},
    }  # fmt: skip
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    answers = []
    before = len(alex.messages)
    async with aiohttp.ClientSession() as http:
        for hook in (*instances, instances[0]):
            async with http.post(hook.url, json=update, headers=headers) as response:
                answers.append((response.status, await response.text()))
    await emulator.settle()
    assert answers[0] == (200, "ok")
    assert answers[1:] == [(200, "ok (handled before)")] * 2
    (reply,) = alex.messages[before:]  # one reply
    assert "4/10" in reply.text
    assert len(await rows(db, "SELECT * FROM pain_checkins")) == 1  # one record
    (entry,) = await rows(db, "SELECT finished_at FROM webhook_updates WHERE update_id = 900001")
    assert entry["finished_at"] is not None


async def test_an_update_in_hand_at_a_kill_is_posted_again_and_counted_once(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path, alex: Person
) -> None:
    """kill -9 while a check-in's reply is carried out but not yet answered: Telegram got
    no 200, so it posts the update again; the restarted instance waits out the dead one's
    claim (TAKEN_FOR), takes it over, records it once, and does not reply twice."""
    port = free_port()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url,
           "DATABASE_URL": database_url, "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
           "WEBHOOK_SECRET": SECRET, "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port),
           "LOG_LEVEL": "INFO"}  # fmt: skip
    emulator.webhook_retry_pause = 1.0

    def start(n: int) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"bot-{n}.log").open("wb")
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "webhook"], cwd=ROOT, env=env, stdout=log, stderr=log
        )

    first = start(0)
    second = None
    try:
        await wait_until(lambda: emulator.webhook is not None, "the webhook to be set", 30)
        await onboard(alex)
        held = emulator.held_requests
        emulator.hold_answers("sendMessage")
        await emulator.send_text(alex.user_id, "6")
        await wait_until(lambda: emulator.held_requests > held, "the reply to be carried out")
        first.send_signal(signal.SIGKILL)
        await wait_until(lambda: first.poll() is not None, "the kill")
        emulator.release_held()
        replies = len([m for m in alex.messages if "6/10" in m.text])
        assert replies == 1
        second = start(1)
        listening = tmp_path / "bot-1.log"
        await wait_until(lambda: "listening" in listening.read_text(), "the restart", 30)
        await emulator.settle(quiet=1.0, within=90)  # the redelivery, after TAKEN_FOR
        assert 0 in emulator.webhook_answers or 503 in emulator.webhook_answers
        assert emulator.webhook_answers[-1] == 200
        assert len([m for m in alex.messages if "6/10" in m.text]) == 1  # no second reply
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    await wait_until(lambda p=process: p.poll() is not None, "a stop", 15)
                finally:
                    if process.poll() is None:
                        process.kill()
    engine = create_async_engine(database_url)
    try:
        assert len(await rows(engine, "SELECT * FROM pain_checkins")) == 1  # recorded once
        (entry,) = await rows(
            engine, "SELECT finished_at FROM webhook_updates ORDER BY update_id DESC LIMIT 1"
        )
        assert entry["finished_at"] is not None
    finally:
        await engine.dispose()
