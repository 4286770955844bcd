"""Benchmark: the bot's own time per update, against a bare python-telegram-bot echo bot.

    python -m bench.overhead [--users 100] [--prefill 10000] [--days 30] [--seconds 30]
                             [--pause 1.0] [--database-url postgresql+asyncpg://...]

A database is pre-filled with `--prefill` people and `--days` days of history each (one
finished session a day, every exercise done). Then `--users` simulated people go through
sessions at once - /session, a pain rating, Done after Done, `--pause` seconds between
taps - for `--seconds`. The
emulator times each update from the moment getUpdates hands it to the bot to the bot's
first request about it (the reply, an edit or the answer to a tap): the bot-side time,
queueing inside the bot included. Then the same load against a bare PTB echo bot (reply
with the text, answer a tap) on the same emulator. Rate limiting is off for both: this
measures the bot's work, not Telegram's pace.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, MessageHandler
from telegram.ext import filters as ptb_filters

from bench.reminders import percentile
from bot.app import build_application, running
from bot.config import load_settings
from bot.emulator import BotApiEmulator, SentMessage
from bot.store.engine import create_engine, migrate
from bot.store.models import ExerciseResult, ExerciseSession, User

TOKEN = "1:BENCH"
ACTIVE_FIRST = 900_000
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def prefill(database_url: str, people: int, days: int) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(
            insert(User),
            [{"telegram_user_id": 1_000_000 + i, "chat_id": 1_000_000 + i, "first_name": "P",
              "time_zone": "Europe/Berlin", "morning_reminder": "08:00",
              "evening_reminder": "18:00", "onboarding": "done", "awaiting_text": "",
              "red_flags": "none", "created_at": now - timedelta(days=days), "active": True,
              "reminders_on": False} for i in range(people)],
        )  # fmt: skip
    session_id = 0
    for day in range(days, 0, -1):
        started = now - timedelta(days=day)
        sessions, results = [], []
        for user in range(1, people + 1):
            session_id += 1
            sessions.append({"id": session_id, "user_id": user, "local_date":
                             started.date().isoformat(), "status": "finished", "step": 13,
                             "paused_for_pain": False, "pain_before": 4, "pain_after": 3,
                             "started_at": started, "finished_at": started})  # fmt: skip
            results.extend({"session_id": session_id, "step": step, "exercise_key": f"e{step}",
                            "side": None, "outcome": "done", "recorded_at": started}
                           for step in range(1, 12))  # fmt: skip
        async with engine.begin() as connection:
            await connection.execute(insert(ExerciseSession), sessions)
            for start in range(0, len(results), 20_000):
                await connection.execute(insert(ExerciseResult), results[start : start + 20_000])
    if engine.dialect.name == "postgresql":
        # The ids above were given, so PostgreSQL's sequence must be told where they end.
        async with engine.begin() as connection:
            await connection.execute(
                text("SELECT setval(pg_get_serial_sequence('sessions', 'id'), :last)"),
                {"last": session_id},
            )
    await engine.dispose()


class Timer:
    """Update handed out -> the bot's first request about it."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.waiting_chat: dict[int, float] = {}
        self.waiting_query: dict[str, tuple[int, float]] = {}
        self.seen: set[int] = set()
        self.latencies: list[float] = []
        emulator.on_handout = self.handed
        emulator.on_request = self.request

    def handed(self, update: dict[str, Any]) -> None:
        if update["update_id"] in self.seen:
            return
        self.seen.add(update["update_id"])
        now = time.monotonic()
        if "callback_query" in update:
            query = update["callback_query"]
            self.waiting_query[query["id"]] = (query["message"]["chat"]["id"], now)
        elif "message" in update:
            self.waiting_chat[update["message"]["chat"]["id"]] = now

    def request(self, method: str, params: dict[str, Any]) -> None:
        now = time.monotonic()
        if method == "answerCallbackQuery":
            found = self.waiting_query.pop(str(params.get("callback_query_id")), None)
            if found:
                self.latencies.append(now - found[1])
            return
        chat = params.get("chat_id")
        if chat is None:
            return
        chat = int(chat)
        started = self.waiting_chat.pop(chat, None)
        if started is not None:
            self.latencies.append(now - started)
        for query_id, (query_chat, _) in list(self.waiting_query.items()):
            if query_chat == chat:  # (a reply sent before the tap was answered)
                self.latencies.append(now - self.waiting_query.pop(query_id)[1])


async def person(emulator: BotApiEmulator, user_id: int, until: float, pause: float) -> None:
    def latest() -> SentMessage | None:
        mine = emulator.bot_messages(user_id)
        return mine[-1] if mine else None

    async def wait_beyond(before: SentMessage | None) -> None:
        while True:
            now_latest = latest()
            if now_latest is not None and (
                before is None or now_latest.message_id > before.message_id
            ):
                await asyncio.sleep(0.05)  # let the rest of the answer arrive
                return
            await asyncio.sleep(0.02)

    while time.monotonic() < until:
        shown = latest()
        labels = shown.button_texts() if shown else []
        before = shown
        if "✅ Done" in labels and shown is not None:
            await emulator.press(user_id, shown, "✅ Done")
        elif "4" in labels and shown is not None:
            await emulator.press(user_id, shown, "4")
        else:
            await emulator.send_text(user_id, "/session")
        await asyncio.wait_for(wait_beyond(before), 60)
        await asyncio.sleep(pause)  # a person reads before tapping again


def echo_application(emulator: BotApiEmulator) -> AnyApplication:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Done", callback_data="d")]])

    async def echo(update: Update, _context: Any) -> None:
        assert update.effective_message is not None and update.effective_chat is not None
        await update.get_bot().send_message(
            update.effective_chat.id, update.effective_message.text or "?", reply_markup=keyboard
        )

    async def pressed(update: Update, _context: Any) -> None:
        assert update.callback_query is not None and update.effective_chat is not None
        await update.callback_query.answer()
        await update.get_bot().send_message(update.effective_chat.id, "Done", reply_markup=keyboard)

    application = ApplicationBuilder().token(TOKEN).base_url(emulator.base_url).build()
    application.add_handler(MessageHandler(ptb_filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    return application


async def measure(
    emulator: BotApiEmulator,
    application: AnyApplication,
    users: int,
    seconds: float,
    pause: float,
) -> list[float]:
    async with running(application):
        # Set-up (not timed): everyone onboarded enough to start sessions.
        timer = Timer(emulator)
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(person(emulator, ACTIVE_FIRST + i, until, pause) for i in range(users))
        )
        await emulator.release_polls()
    emulator.on_handout = None
    emulator.on_request = None
    return timer.latencies


async def main(
    users: int, people: int, days: int, seconds: float, pause: float, database_url: str | None
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-overhead-"))
    database_url = database_url or f"sqlite+aiosqlite:///{folder / 'bot.db'}"
    started = time.monotonic()
    await prefill(database_url, people, days)
    prefill_seconds = time.monotonic() - started
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    for i in range(users):
        emulator.add_private_chat(ACTIVE_FIRST + i, "Active")
    # The simulated people are set up already: straight into sessions.
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            insert(User),
            [{"telegram_user_id": ACTIVE_FIRST + i, "chat_id": ACTIVE_FIRST + i,
              "first_name": "Active", "time_zone": "Europe/Berlin", "morning_reminder": "08:00",
              "evening_reminder": "18:00", "onboarding": "done", "awaiting_text": "",
              "red_flags": "none", "created_at": datetime.now(UTC), "active": True,
              "reminders_on": False} for i in range(users)],
        )  # fmt: skip
    await engine.dispose()
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url,
         "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "TELEGRAM_RATE_LIMIT": "1000"}
    )  # fmt: skip
    application = build_application(settings)
    bot_latencies = await measure(emulator, application, users, seconds, pause)
    echo_latencies = await measure(emulator, echo_application(emulator), users, seconds, pause)
    await emulator.stop()
    return {"bot": bot_latencies, "echo": echo_latencies, "prefill": prefill_seconds,
            "violations": len(emulator.violations), "today": date.today()}  # fmt: skip


def figures(values: list[float]) -> str:
    return (
        f"n={len(values)} p50={statistics.median(values) * 1000:.1f} ms "
        f"p99={percentile(values, 0.99) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--prefill", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between taps")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    result = asyncio.run(
        main(args.users, args.prefill, args.days, args.seconds, args.pause, args.database_url)
    )
    engine_name = "SQLite" if not args.database_url else args.database_url.split(":")[0]
    prefilled = f"{args.prefill} people x {args.days} days"
    print(f"database: {engine_name}, {prefilled} pre-filled in {result['prefill']:.0f} s")
    print(f"glute coach, update to first reply: {figures(result['bot'])}")
    print(f"bare PTB echo bot, same load:       {figures(result['echo'])}")
    ratio = percentile(result["bot"], 0.99) / percentile(result["echo"], 0.99)
    print(f"p99 ratio bot/echo: {ratio:.2f} (target <= 2)")
    print(f"spec violations: {result['violations']}")
