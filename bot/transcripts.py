"""Every word reviewable: the main journeys, played by the real bot against the emulator,
written as one Markdown file (docs/conversation.md) that a clinician can read.

`python -m bot transcripts` rewrites the file; a test fails when what the bot says has
changed and the file was not rewritten. The clock is fixed (a Monday morning in Berlin),
so the same code always writes the same file.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import re
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build_application, running
from bot.config import load_settings
from bot.demo import send_next_reminder_now
from bot.emulator import BotApiEmulator, SentMessage
from bot.telegram.sweep import ReminderSweep

TRANSCRIPT = Path(__file__).resolve().parent.parent / "docs" / "conversation.md"
TOKEN = "1:TRANSCRIPT"
START = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # Monday 07:30 in Berlin

HEADER = """\
# What the bot says

Written by `python -m bot transcripts` from the real bot talking to a stand-in for
Telegram; a test fails when the bot's words change and this file was not rewritten.
**You** is the person, **Coach** the bot. Buttons are shown in brackets under a message;
*(pressed)* marks the one the person taps. When the bot edits a message in place (a
tap turns the step into the next one), the new text is shown as *edited*. The clock is
fixed: Monday 2 March 2026, from 07:30 in Berlin.
"""


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Recorder:
    """One journey: a person, what they do, and the chat as Markdown."""

    def __init__(self, emulator: BotApiEmulator, user_id: int, name: str) -> None:
        self.emulator = emulator
        self.user_id = user_id
        self.lines: list[str] = []
        self.shown: dict[int, str] = {}  # the text last written of each message
        self.recording = True
        self.changes = 0  # messages sent or edited in this chat so far
        emulator.add_private_chat(user_id, name)

    def show(self, message: SentMessage, edited: bool) -> None:
        if message.chat_id == self.user_id:
            self.changes += 1
        if message.chat_id != self.user_id or not self.recording:
            self.shown[message.message_id] = _markdown(message.html or message.text)
            return
        body = _markdown(message.html or message.text)
        if edited and self.shown.get(message.message_id) == body:
            return  # only its buttons were taken away
        self.shown[message.message_id] = body
        label = "Coach *(edited)*" if edited else "Coach"
        buttons = message.button_texts()
        end = "  " if buttons else ""
        self.lines.append(f"**{label}:** " + body.replace("\n", "  \n") + end)
        if "photo" in message.extra:
            self.lines.append("*(a picture: the progress chart)*")
        if "document" in message.extra:
            self.lines.append("*(a file)*")
        if buttons:
            self.lines.append(" ".join(f"`[{label}]`" for label in buttons))
        self.lines.append("")

    async def say(self, text: str, expect: int = 1) -> None:
        """Send `text` and wait for `expect` new messages (a chart or a file takes a
        while, and the next command must not overtake it in the transcript)."""
        if self.recording:
            self.lines += [f"**You:** {text}", ""]
        before = len(self.emulator.bot_messages(self.user_id))
        await self.emulator.send_text(self.user_id, text)
        for _ in range(1000):
            if len(self.emulator.bot_messages(self.user_id)) - before >= expect:
                break
            await asyncio.sleep(0.02)
        await self.emulator.settle(quiet=0.2)

    async def press(self, label: str) -> None:
        message = next(
            m for m in reversed(self.emulator.bot_messages(self.user_id))
            if label in m.button_texts()
        )  # fmt: skip
        if self.recording:
            self.lines += [f"*(pressed `[{label}]`)*", ""]
        before = self.changes
        await self.emulator.press(self.user_id, message, label)
        # Every press in these journeys changes the chat. Quiet alone is not enough: on a
        # busy machine the bot can be silent for longer than `quiet` while it asks the
        # database, and the next press would then look for a button not yet sent.
        for _ in range(1000):
            if self.changes > before:
                break
            await asyncio.sleep(0.02)
        else:
            raise RuntimeError(f"the bot did not answer the press on {label!r}")
        await self.emulator.settle(quiet=0.2)


def _markdown(markup: str) -> str:
    text = re.sub(r"</?(b|strong)>", "**", markup)
    text = re.sub(r"</?(i|em)>", "*", text)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


async def _set_up(person: Recorder, *, shown: bool = False) -> None:
    """Set-up as in the first journey; written out only there."""
    person.recording = shown
    await person.say("/start", expect=2)
    await person.press("None of these")
    await person.say("Berlin")
    await person.press("Keep these")
    if not shown:
        person.lines += ["*(Set up as in journey 1: no red flags, Berlin, 08:00 and 18:00.)*", ""]
    person.recording = True


async def _finish_timers(application: Any) -> None:
    """Run the holds' end now rather than after 30 real seconds (the same job, early)."""
    for job in application.job_queue.jobs():
        if job.name.startswith("timer:"):
            await job.run(application)
            job.schedule_removal()


async def first_session(person: Recorder, application: Any, clock: Clock) -> None:
    await _set_up(person, shown=True)
    await person.press("Start session")
    await person.press("3")
    for _ in range(7):  # the bridge, then both sides of three exercises
        await person.press("✅ Done")
    for _ in range(2):  # the two stretches, each side held with the timer
        for side in ("left", "right"):
            await person.press(f"⏱ Start 30 s timer ({side} side)")
            clock.now += timedelta(seconds=30)
            await _finish_timers(application)
            await person.emulator.settle(quiet=0.2)
            await person.press("✅ Done")
    await person.press("2")


async def too_painful(person: Recorder, application: Any, clock: Clock) -> None:
    await _set_up(person)
    await person.press("Start session")
    await person.press("4")
    await person.press("✋ Too painful")
    await person.press("Go on to the next one")
    await person.press("⏭ Skip")
    await person.say("/cancel")


async def severe_pain(person: Recorder, application: Any, clock: Clock) -> None:
    await _set_up(person)
    await person.press("Start session")
    await person.press("9")
    await person.press("Stop for today")


async def red_flag(person: Recorder, application: Any, clock: Clock) -> None:
    await person.say("/start", expect=2)
    await person.press("Yes, I have one of these")
    await person.say("/session")


async def check_ins(person: Recorder, application: Any, clock: Clock) -> None:
    await _set_up(person)
    await person.say("3")
    await person.say("7")
    await person.say("9")
    await person.say("eleven")


async def reminders(person: Recorder, application: Any, clock: Clock) -> None:
    await _set_up(person)
    await _remind_now(person, application)
    await person.press("Snooze 1 hour")
    clock.now += timedelta(hours=1)
    await _sweep(application)
    await person.emulator.settle(quiet=0.2)
    await person.press("Skip this one")
    await person.say("/reminders")
    await person.say("/pause")
    await person.say("/resume")


async def records(person: Recorder, application: Any, clock: Clock) -> None:
    await _set_up(person)
    await person.press("Start session")
    await person.press("4")
    for _ in range(11):
        await person.press("⏭ Skip" if _ in (2, 3) else "✅ Done")
    await person.press("3")
    await person.say("/progress", expect=2)
    await person.say("/history")
    await person.say("/export", expect=2)
    await person.say("/delete")
    await person.press("Yes, delete everything")


async def _remind_now(person: Recorder, application: Any) -> None:
    await send_next_reminder_now(application, person.user_id)
    await person.emulator.settle(quiet=0.2)


async def _sweep(application: Any) -> None:
    sweep: ReminderSweep = application.bot_data["reminders"]
    await (await sweep.sweep(application.bot))


Journey = Callable[[Recorder, Any, Clock], Awaitable[None]]
JOURNEYS: tuple[tuple[str, Journey], ...] = (
    ("First /start to a finished session, with the hold timers", first_session),
    ("An exercise is too painful; leaving with /cancel", too_painful),
    ("Severe pain before a session", severe_pain),
    ("A red flag at the safety question", red_flag),
    ("Pain check-ins outside a session", check_ins),
    ("A reminder: snooze, then skip; pausing reminders", reminders),
    ("Progress, history, export and delete", records),
)


async def record_transcript() -> str:
    sections = [HEADER]
    with tempfile.TemporaryDirectory() as folder:
        for number, (title, journey) in enumerate(JOURNEYS, 1):
            clock = Clock()
            emulator = BotApiEmulator(TOKEN)
            await emulator.start()
            settings = load_settings(
                {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_BASE_URL": emulator.base_url,
                    "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/journey{number}.db",
                    "DEFAULT_TIMEZONE": "Europe/Berlin",
                    "LOG_LEVEL": "WARNING",
                }
            )
            # The clock stands still here, so every tap would look like a double tap.
            settings = dataclasses.replace(settings, double_tap_seconds=0.0)
            person = Recorder(emulator, 1000 + number, "Sam")
            emulator.on_message = person.show
            application = build_application(settings, clock=clock)
            try:
                async with running(application):
                    await emulator.settle(quiet=0.2)
                    await journey(person, application, clock)
                    await emulator.release_polls()
            finally:
                await emulator.stop()
            if emulator.violations:
                raise RuntimeError(f"requests Telegram would reject: {emulator.violations}")
            sections.append(f"## {number}. {title}\n\n" + "\n".join(person.lines).rstrip() + "\n")
    return "\n".join(sections)


def main() -> int:
    text = asyncio.run(record_transcript())
    TRANSCRIPT.parent.mkdir(exist_ok=True)
    TRANSCRIPT.write_text(text, encoding="utf-8")
    print(f"wrote {TRANSCRIPT}")
    return 0
