"""Killing the bot (SIGKILL) in the middle of a session loses nothing."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.emulator import BotApiEmulator
from tests.conftest import TOKEN
from tests.e2e.helpers import card_for_step, free_port, onboard, rows, wait_until
from tests.e2e.person import Person

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def process_bot(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> AsyncIterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts `python -m bot` as its own process, the way an operator runs it."""
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        # The test person taps the next button as soon as the last answer arrives, as
        # no person does; the double-tap guard has tests of its own.
        "DOUBLE_TAP_SECONDS": "0",
    }

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / f"bot-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        started.append(process)
        return process

    yield start
    await emulator.release_polls()
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            # Wait without blocking the loop: the emulator must answer the bot's last calls.
            try:
                await wait_until(lambda p=process: p.poll() is not None, "a clean stop", 15)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    for process in started[1:]:
        if process.returncode == -signal.SIGKILL:
            continue  # (killed by the test)
        assert process.returncode == 0, "the bot did not stop cleanly on SIGINT"
    logs = "".join(p.read_text() for p in sorted(tmp_path.glob("bot-*.log")))
    assert TOKEN not in logs
    assert "Traceback" not in logs


async def test_sigkill_mid_session_loses_nothing(
    process_bot: Callable[[], subprocess.Popen[bytes]],
    emulator: BotApiEmulator,
    alex: Person,
    database_url: str,
) -> None:
    first = process_bot()
    await wait_until(lambda: "short_description" in emulator.bot_profile, "the bot to start")
    await onboard(alex)
    await alex.press_last("Start session")
    await alex.press_last("3")
    await alex.press_last("✅ Done")  # the bridge

    # The worst moment: the answer is stored and Telegram has the next message, but the
    # bot is killed before it hears back.
    emulator.hold.add("editMessageText")  # the tapped step becomes the next
    query = await emulator.press(alex.user_id, alex.last, "⏭ Skip")
    await wait_until(lambda: emulator.held_requests == 1, "the next exercise to be sent")
    first.send_signal(signal.SIGKILL)
    await wait_until(lambda: first.poll() is not None, "the kill")
    emulator.release_held()
    # Telegram gives up on a tap nobody answered; so does the emulator.
    emulator.callback_answers[query] = {"expired": True}
    assert "Prone Hip Extension (right side)" in alex.last.text

    emulator.bot_profile.clear()
    process_bot()
    await wait_until(lambda: "short_description" in emulator.bot_profile, "the restart")
    pressed = await alex.press_last("✅ Done")
    assert pressed.answer == "Saved"
    assert "Side Lying Hip Abduction (left side)" in alex.last.text

    engine: AsyncEngine = create_async_engine(database_url)
    try:
        results = await rows(
            engine, "SELECT step, side, outcome FROM exercise_results ORDER BY step"
        )
        assert results == [
            {"step": 1, "side": None, "outcome": "done"},
            {"step": 2, "side": "left", "outcome": "skipped"},
            {"step": 3, "side": "right", "outcome": "done"},
        ]
        (session,) = await rows(engine, "SELECT step, pain_before, status FROM sessions")
        assert session == {"step": 4, "pain_before": 3, "status": "open"}
    finally:
        await engine.dispose()


async def test_telegram_unreachable_at_start_is_waited_for(
    process_bot: Callable[[], subprocess.Popen[bytes]],
    emulator: BotApiEmulator,
    tmp_path: Path,
) -> None:
    # Two 502s: the start waits 1 s, then 2 s, and says so, once a try.
    emulator.fail_next("getMe", 502, "Bad Gateway", count=2)
    bot = process_bot()
    alex = Person(emulator, 1001, "Alex")
    (reply,) = await alex.say("/help")  # answered once Telegram is back
    assert "/session" in reply.text
    assert bot.poll() is None
    getme = [method for method, _ in emulator.requests if method == "getMe"]
    assert len(getme) == 3
    log = (tmp_path / "bot-0.log").read_text()
    assert "Telegram can't be reached (getMe: Bad Gateway): trying again in 1 s" in log
    assert "Telegram can't be reached (getMe: Bad Gateway): trying again in 2 s" in log
    assert log.count("Bad Gateway") == 2  # one line a try, from the bot's own logger


@pytest.mark.parametrize("mode", ["run", "webhook"])
async def test_a_refused_token_is_one_clear_line(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path, mode: str
) -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "999:WRONG",
           "TELEGRAM_API_BASE_URL": emulator.base_url, "DATABASE_URL": database_url,
           "WEBHOOK_URL": "https://coach.example.org/telegram",
           "WEBHOOK_SECRET": "s3cret-Token_1", "WEBHOOK_LISTEN": "127.0.0.1",
           "WEBHOOK_PORT": str(free_port())}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", mode, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    (line,) = stderr.decode().splitlines()  # exactly one line
    assert line.startswith("error: Telegram refused TELEGRAM_BOT_TOKEN")
    assert "Unclosed" not in stderr.decode()  # the HTTP sessions were closed
    assert "Traceback" not in stderr.decode()
    assert "999:WRONG" not in stderr.decode()


@pytest.mark.parametrize("mode", ["run", "webhook"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_offline_at_start_the_database_is_ready_and_a_signal_stops_it(
    tmp_path: Path, mode: str, signum: signal.Signals
) -> None:
    """No network at all (a port nobody listens on): the database is created and migrated
    first, each try says when the next comes, and a signal stops the bot in seconds."""
    database = tmp_path / "data" / "bot.db"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",
           "DATABASE_URL": f"sqlite+aiosqlite:///{database}", "LOG_LEVEL": "INFO",
           "WEBHOOK_URL": "https://coach.example.org/telegram",
           "WEBHOOK_SECRET": "s3cret-Token_1", "WEBHOOK_LISTEN": "127.0.0.1",
           "WEBHOOK_PORT": str(free_port())}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", mode, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await asyncio.sleep(4.5)  # tries at 0, 1 and 3 s
    assert database.exists()
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}")
    try:
        assert (await rows(engine, "SELECT version_num FROM alembic_version"))[0]["version_num"]
    finally:
        await engine.dispose()
    process.send_signal(signum)
    _, stderr = await asyncio.wait_for(process.communicate(), 10)  # the README's promise
    assert process.returncode == 0
    lines = stderr.decode().splitlines()
    tries = [line for line in lines if "Telegram can't be reached (getMe:" in line]
    pauses = [line.rsplit(" ", 2)[-2] for line in tries]
    assert len(pauses) >= 2 and pauses == ["1", "2", "4"][: len(pauses)]  # the real pauses
    assert all(" bot.lifecycle: " in line for line in tries)
    assert "Traceback" not in stderr.decode() and TOKEN not in stderr.decode()


async def test_three_kills_during_a_session_lose_nothing_and_repeat_nothing(
    process_bot: Callable[[], subprocess.Popen[bytes]],
    emulator: BotApiEmulator,
    alex: Person,
    database_url: str,
) -> None:
    """kill -9 at three moments of one session, each while Telegram has carried out the
    tap's reply but the bot has not heard back, and 5xx, a dropped edit, a hung answer, a
    hung edit and one carried out late on other taps; restarted each time, the person goes
    on from the newest message with the session's buttons."""
    kill_at = set(random.Random(13).sample(range(1, 12), 3))
    # And Telegram's other bad moments on the taps between (see test_chaos.py for them
    # all, an outage included, in one process).
    calm = [step for step in range(1, 12) if step not in kill_at]
    faults = {
        calm[0]: lambda: emulator.fail_next("editMessageText", 502, "Bad Gateway", count=2),
        calm[1]: lambda: emulator.drop_next("editMessageText"),
        calm[2]: lambda: emulator.hang_next("answerCallbackQuery", 6.0, carried_out="at once"),
        calm[3]: lambda: emulator.hang_next("editMessageText", 6.0, carried_out="at once"),
        calm[4]: lambda: emulator.hang_next("editMessageText", 8.0, carried_out="late"),
    }
    bot = process_bot()
    await wait_until(lambda: "short_description" in emulator.bot_profile, "the bot to start")
    await onboard(alex)
    await alex.press_last("Start session")
    taps = ["4", *["✅ Done"] * 11, "2"]
    for step, label in enumerate(taps):
        card = await card_for_step(alex, step)
        if step not in kill_at:
            faults.get(step, lambda: None)()
            await emulator.press(alex.user_id, card.snapshot(), label)
            continue
        held = emulator.held_requests
        emulator.hold_answers("editMessageText")
        query = await emulator.press(alex.user_id, card.snapshot(), label)
        await wait_until(lambda h=held: emulator.held_requests > h, "the reply to be carried out")
        bot.send_signal(signal.SIGKILL)
        await wait_until(lambda b=bot: b.poll() is not None, "the kill")
        emulator.release_held()
        emulator.callback_answers[query] = emulator.callback_answers[query] or {"expired": True}
        emulator.bot_profile.clear()
        bot = process_bot()
        await wait_until(lambda: "short_description" in emulator.bot_profile, "the restart")
    await wait_until(lambda: any("Session complete" in m.text for m in alex.messages), "the end")
    await emulator.settle(quiet=0.5, within=20)
    engine: AsyncEngine = create_async_engine(database_url)
    try:
        results = await rows(engine, "SELECT step, outcome FROM exercise_results ORDER BY step")
        assert [r["step"] for r in results] == list(range(1, 12))
        (session,) = await rows(engine, "SELECT status, pain_before, pain_after FROM sessions")
        assert session == {"status": "finished", "pain_before": 4, "pain_after": 2}
    finally:
        await engine.dispose()
    assert len([m for m in alex.messages if "Session complete" in m.text]) == 1
