"""`python -m bot demo`: the real bot in a terminal chat, with no token and no network.

The same Application, handlers and store as in production; only the Bot API base URL
points at the local emulator on 127.0.0.1, and the person is whoever types here.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bot.app import build_application, running
from bot.coach.reminders import RECENT_SESSION, BatchReport, DueReminder, Slot, next_reminder
from bot.coach.states import Onboarding
from bot.coach.timezones import is_valid_zone
from bot.config import load_settings
from bot.emulator import BotApiEmulator, SentMessage
from bot.logs import configure_logging
from bot.store.queries import Store
from bot.store.reminders import ReminderStore
from bot.telegram.reminders import reminder_times, schedule_for
from bot.telegram.sweep import ReminderSweep

DEMO_TOKEN = "1:DEMO"
DEMO_USER_ID = 424242
DEMO_DATABASE = Path("data") / "demo.db"
DEMO_FILES = Path("data") / "demo-files"

HELP = """\
This is the coach bot, running on your machine against a stand-in for Telegram.
Type messages and commands as you would in Telegram (start with /start).
Buttons under a message are numbered: type #1, #2, ... to press one (on the pain
scale, #4 presses 4).
/demo_remind (demo only, not a bot command) sends your next reminder now.
/quit or Ctrl-C ends the demo; run it again to continue where you were.
"""


def demo_command(*flags: str) -> str:
    """How to start the demo again from here, with the Python that runs it now (a bare
    `python -m bot` fails outside an activated virtual environment)."""
    python = Path(sys.executable)
    with contextlib.suppress(ValueError):
        python = python.relative_to(Path.cwd())
    return " ".join([str(python), "-m", "bot", "demo", *flags])


def machine_zone() -> str:
    """This machine's IANA time zone, or UTC if it cannot be told."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(os.readlink("/etc/localtime").split("zoneinfo/", 1)[-1])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if name and "/" in name and is_valid_zone(name):
            return name
    return "UTC"


class Terminal:
    """Shows the chat as text: bold and italic marked when the output is a terminal."""

    def __init__(self, out: TextIO, save_file: Callable[[SentMessage], str | None]) -> None:
        self.out = out
        self.save_file = save_file
        self.ansi = out.isatty()
        self.buttons: list[tuple[SentMessage, str]] = []
        self.numbered = False

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def render_html(self, markup: str) -> str:
        bold, italic, reset = ("\033[1m", "\033[3m", "\033[0m") if self.ansi else ("", "", "")
        markup = re.sub(
            r"</?(b|strong)>", lambda m: reset if m.group(0)[1] == "/" else bold, markup
        )
        markup = re.sub(r"</?(i|em)>", lambda m: reset if m.group(0)[1] == "/" else italic, markup)
        markup = re.sub(r"<a href=\"([^\"]*)\">(.*?)</a>", r"\2 (\1)", markup)
        return html.unescape(re.sub(r"<[^>]+>", "", markup))

    def show(self, message: SentMessage, edited: bool) -> None:
        body = self.render_html(message.html) if message.html else message.text
        if edited:
            self.write(f"\n  (earlier message changed to: {body.strip()})")
        else:
            self.write("\ncoach> " + body.replace("\n", "\n       "))
        upload = None if edited else self.save_file(message)
        if upload:
            self.write(f"       [file saved: {upload}]")
        links = [b for b in message.buttons() if "url" in b]
        for link in links:
            self.write(f"       [link: {link['text']} -> {link['url']}]")
        pressable = [b["text"] for b in message.buttons() if "callback_data" in b]
        if pressable:
            self.buttons = [(message, label) for label in pressable]
            # A keyboard of numbers (the pain scale) is pressed by the number itself:
            # "#4" is the button 4, not the fourth button.
            self.numbered = all(label.isdigit() for label in pressable)
            labels = "  ".join(
                f"#{label if self.numbered else i} [{label}]"
                for i, label in enumerate(pressable, 1)
            )
            self.write(f"       {labels}")
        elif edited and self.buttons and self.buttons[0][0].message_id == message.message_id:
            self.buttons = []

    def toast(self, params: dict[str, Any]) -> None:
        if params.get("text"):
            self.write(f"  ({params['text']})")


def save_upload(emulator: BotApiEmulator, folder: Path, message: SentMessage) -> str | None:
    """Write a photo or document the bot sent to `folder`; its path, or None if none."""
    upload = emulator.files.get((message.chat_id, message.message_id))
    if upload is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    # The time first: message ids start again in every run, and a later run must not
    # overwrite what an earlier one saved.
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
    name = Path(upload.filename).name
    path = folder / f"{stamp}-{message.message_id}-{name}"
    copy = 1
    while path.exists():  # two runs within the same second
        copy += 1
        path = folder / f"{stamp}-{message.message_id}-{copy}-{name}"
    path.write_bytes(upload.data)
    return str(path.resolve())


@dataclass
class DemoOptions:
    fresh: bool = False
    database: Path = DEMO_DATABASE
    files_dir: Path = DEMO_FILES


async def run_demo(
    read_line: Callable[[], Awaitable[str | None]],
    out: TextIO,
    options: DemoOptions,
) -> int:
    emulator = BotApiEmulator(DEMO_TOKEN)
    await emulator.start()
    name = os.environ.get("USER", "").capitalize() or "Friend"
    emulator.add_private_chat(DEMO_USER_ID, name)
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": DEMO_TOKEN,
            "TELEGRAM_API_BASE_URL": emulator.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{options.database}",
            "DEFAULT_TIMEZONE": machine_zone(),
            "LOG_LEVEL": "WARNING",
        }
    )
    configure_logging(settings.log_level, settings.telegram_bot_token)
    terminal = Terminal(out, functools.partial(save_upload, emulator, options.files_dir))
    emulator.on_message = terminal.show
    emulator.on_answer = terminal.toast
    application = build_application(settings)
    terminal.write(HELP)
    terminal.write(
        f"(history is kept in {options.database.resolve()}; "
        f"`{demo_command('--fresh')}` starts over)"
    )
    try:
        async with running(application):
            while True:
                line = await read_line()
                if line is None or line.strip() == "/quit":
                    break
                if line.strip() == "/demo_remind":
                    await remind_now(application, terminal)
                    continue
                await _handle_line(line.strip(), emulator, terminal)
            await emulator.release_polls()
    finally:
        await emulator.stop()
    terminal.write(f"\nBye. Run `{demo_command()}` again to continue.")
    if emulator.violations:
        terminal.write(f"warning: requests Telegram would reject: {emulator.violations}")
        return 1
    return 0


async def _handle_line(line: str, emulator: BotApiEmulator, terminal: Terminal) -> None:
    if not line:
        return
    button = re.fullmatch(r"#(\d+)", line)
    if button:
        number = int(button.group(1))
        if terminal.numbered:
            chosen = [pair for pair in terminal.buttons if pair[1] == str(number)]
        else:
            chosen = terminal.buttons[number - 1 : number] if number > 0 else []
        if not chosen:
            terminal.write(f"  (there is no button #{number} under the last message)")
            return
        message, label = chosen[0]
        await emulator.press(DEMO_USER_ID, message, label)
    else:
        await emulator.send_text(DEMO_USER_ID, line)
    # Let the bot answer before the next line is read, so a pasted or piped script of
    # lines plays out in order, as if typed after each reply.
    await emulator.settle(quiet=0.2)


async def send_next_reminder_now(application: Any, telegram_user_id: int) -> BatchReport:
    """Demo and transcripts only: bring the person's next reminder forward to now and run
    the reminder sweep, so that a newcomer sees one without waiting half a day. It is the
    reminder the bot has scheduled next, so never one already sent."""
    sweep: ReminderSweep = application.bot_data["reminders"]
    store: Store = application.bot_data["store"]
    reminders: ReminderStore = application.bot_data["reminder_store"]
    user = await store.user(telegram_user_id)
    assert user is not None and user.id is not None
    now = sweep.clock()
    due = schedule_for(user, now)
    stored = user.next_reminder_slot, user.next_reminder_date, user.next_reminder_at
    if stored[0] in ("morning", "evening") and stored[1] and stored[2]:
        slot: Slot = "morning" if stored[0] == "morning" else "evening"
        due = DueReminder(slot, stored[1], stored[2])
    await reminders.schedule(user.id, DueReminder(due.slot, due.local_date, now))
    report = await (await sweep.sweep(application.bot))
    # The sweep planned the reminder after this one from the moment it went out (now),
    # which would be this same one again: plan it from this one's real time instead.
    after = next_reminder(due.due_at, user.time_zone, *reminder_times(user))
    await reminders.schedule(user.id, after)
    return report


async def remind_now(application: Any, terminal: Terminal) -> None:
    """/demo_remind: the next reminder now, or why none came."""
    store: Store = application.bot_data["store"]
    user = await store.user(DEMO_USER_ID)
    if user is None or user.id is None or user.onboarding is not Onboarding.DONE:
        terminal.write("  (finish /start first: reminders begin once you are set up)")
        return
    if not user.reminders_on:
        terminal.write("  (your reminders are paused: /resume turns them on)")
        return
    report = await send_next_reminder_now(application, DEMO_USER_ID)
    await asyncio.sleep(0.3)
    if report.outcomes["recent_session"]:
        hours = int(RECENT_SESSION.total_seconds() // 3600)
        terminal.write(
            f"  (no reminder: you were in a session less than {hours} hours ago, and a "
            "reminder then would only nag; it is skipped, and the next one comes as usual)"
        )
    elif not report.sent:
        terminal.write("  (no reminder went out; see /reminders)")


def stdin_lines() -> Callable[[], Awaitable[str | None]]:
    """Read standard input on a thread, so the bot keeps running while the person types."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="demo-stdin", daemon=True).start()
    return queue.get


def forget_history(options: DemoOptions) -> None:
    """--fresh: remove the demo's database (never the real bot's, which lives elsewhere)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{options.database}{suffix}").unlink(missing_ok=True)


async def main(options: DemoOptions) -> int:
    if options.fresh:
        forget_history(options)
    return await run_demo(stdin_lines(), sys.stdout, options)
