"""`python -m bot demo`, driven through its terminal as a person would."""

from __future__ import annotations

import asyncio
import functools
import io
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from telegram import Bot

from bot.config import Settings
from bot.demo import Terminal, machine_zone, save_upload
from bot.emulator import BotApiEmulator
from tests.e2e.test_restart import ROOT

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)


class DemoProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output = ""

    async def expect(self, text: str, within: float = 20.0) -> str:
        """Read what the demo prints until `text` appears; return what was new."""
        start = len(self.output)
        assert self.process.stdout is not None
        async with asyncio.timeout(within):
            while text not in self.output[start:]:
                chunk = await self.process.stdout.read(4096)
                if not chunk:
                    raise AssertionError(f"demo ended before {text!r}:\n{self.output[start:]}")
                self.output += chunk.decode()
        return self.output[start:]

    async def type(self, line: str, then: str, within: float = 20.0) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()
        return await self.expect(then, within)

    async def finish(self) -> int:
        async with asyncio.timeout(20):
            rest = await self.process.communicate()
        self.output += rest[0].decode()
        return self.process.returncode or 0


async def start_demo(folder: Path, *args: str) -> DemoProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo", *args,
        cwd=folder, env={**env, "PYTHONPATH": str(ROOT), "USER": "sam"},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        # A process group of its own, as a terminal gives it: Ctrl-C reaches the group.
        start_new_session=True,
    )  # fmt: skip
    demo = DemoProcess(process)
    await demo.expect("Type messages")
    return demo


DOUBLE_TAP = Settings.double_tap_seconds + 0.05


def _rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


async def test_a_whole_session_in_the_demo_terminal(tmp_path: Path) -> None:
    demo = await start_demo(tmp_path, "--fresh")
    shown = await demo.type("/start", "#1 [None of these]")
    assert "Hello Sam!" in shown and "Safety first" in shown
    await demo.type("#1", "Which time zone are you in?")
    await demo.type("Tokyo", "#1 [Keep these]")
    await demo.type("#1", "#1 [Start session]")
    await demo.type("#1", "How much pain do you have right now?")
    shown = await demo.type("#4", "#1 [✅ Done]")  # on the pain scale, #4 presses "4"
    assert "Pain before: 4/10" in shown and "Exercise 1 of 6: Glute Hip Bridge" in shown
    for _ in range(10):
        # A person takes a while per exercise; within a second, a second "#1" would be
        # taken for a double tap and not counted (tested below).
        await asyncio.sleep(DOUBLE_TAP)
        await demo.type("#1", "#1 [✅ Done]")
    await asyncio.sleep(DOUBLE_TAP)
    await demo.type("#1", "And now, how much pain do you have?")
    summary = await demo.type("3", "(down 1).")
    assert "Session complete. 6 of 6 exercises done." in summary
    assert "Pain: 4/10 before, 3/10 after" in summary
    assert "(there is no button" not in demo.output
    # Right after a session, /demo_remind says why no reminder comes.
    await demo.type("/demo_remind", "no reminder: you were in a session less than 3 hours ago")
    await demo.type("/quit", "Bye.")
    assert await demo.finish() == 0
    # The way back in names the Python that ran the demo, not a bare `python`.
    assert f"Bye. Run `{sys.executable} -m bot demo` again to continue." in demo.output

    database = tmp_path / "data" / "demo.db"
    assert _rows(database, "SELECT status, pain_before, pain_after FROM sessions") == [
        ("finished", 4, 3)
    ]
    assert _rows(database, "SELECT count(*) FROM exercise_results WHERE outcome = 'done'") == [
        (11,)
    ]
    assert _rows(database, "SELECT time_zone, first_name FROM users") == [("Asia/Tokyo", "Sam")]

    # Again: the same history. Then --fresh: a new person.
    demo = await start_demo(tmp_path)
    await demo.type("/start", "Welcome back, Sam!")
    await demo.type("/quit", "Bye.")
    assert await demo.finish() == 0
    demo = await start_demo(tmp_path, "--fresh")
    await demo.type("/start", "#1 [None of these]")
    await demo.type("/quit", "Bye.")
    assert await demo.finish() == 0
    assert _rows(database, "SELECT count(*) FROM sessions") == [(0,)]


async def test_ctrl_c_ends_the_demo_cleanly(tmp_path: Path) -> None:
    demo = await start_demo(tmp_path, "--fresh")
    await demo.type("/help", "/session")
    demo.process.send_signal(signal.SIGINT)
    assert await demo.finish() == 0
    assert "Bye." in demo.output
    assert "Traceback" not in demo.output


async def test_ctrl_c_after_a_chart_ends_the_demo_cleanly(tmp_path: Path) -> None:
    """The chart worker shares the terminal's process group; Ctrl-C is the bot's."""
    demo = await start_demo(tmp_path, "--fresh")
    await demo.type("/start", "#1 [None of these]")
    await demo.type("#1", "Which time zone are you in?")
    await demo.type("Berlin", "#1 [Keep these]")
    await demo.type("#1", "#1 [Start session]")
    await demo.type("#1", "How much pain do you have right now?")
    await demo.type("4", "Exercise 1 of 6")
    shown = await demo.type("/progress", "Your progress", within=60)  # after the chart
    assert "[file saved:" in shown
    os.killpg(demo.process.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole group
    assert await demo.finish() == 0
    assert "Bye." in demo.output
    assert "Traceback" not in demo.output and "KeyboardInterrupt" not in demo.output


async def test_a_bad_button_number_is_explained(tmp_path: Path) -> None:
    demo = await start_demo(tmp_path, "--fresh")
    await demo.type("#3", "there is no button #3")
    await demo.type("/quit", "Bye.")
    assert await demo.finish() == 0


async def test_files_the_bot_sends_are_saved_and_shown(tmp_path: Path) -> None:
    emulator = BotApiEmulator("5:FILES")
    await emulator.start()
    emulator.add_private_chat(9, "Sam")
    out = io.StringIO()
    terminal = Terminal(out, functools.partial(save_upload, emulator, tmp_path / "files"))
    emulator.on_message = terminal.show
    try:
        async with Bot("5:FILES", base_url=emulator.base_url) as bot:
            await bot.send_photo(9, PNG, caption="<b>Your week</b>", parse_mode="HTML")
    finally:
        await emulator.stop()
    assert emulator.violations == []
    (saved,) = (tmp_path / "files").iterdir()
    assert saved.read_bytes() == PNG
    assert "coach> Your week" in out.getvalue()
    assert f"[file saved: {saved}]" in out.getvalue()
    # The next run numbers its messages from 1 again: it must not overwrite this file.
    again = save_upload(emulator, tmp_path / "files", emulator.chat(9)[-1])
    assert again is not None and Path(again) != saved and saved.read_bytes() == PNG


def test_machine_zone_is_a_real_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/Toronto")
    assert machine_zone() == "America/Toronto"
    monkeypatch.setenv("TZ", "Nowhere/Special")
    assert "/" in machine_zone() or machine_zone() == "UTC"


async def test_demo_remind_shows_a_reminder_now(tmp_path: Path) -> None:
    demo = await start_demo(tmp_path, "--fresh")
    await demo.type("/demo_remind", "finish /start first")
    await demo.type("/start", "#1 [None of these]")
    await demo.type("#1", "Which time zone are you in?")
    await demo.type("Berlin", "#1 [Keep these]")
    await demo.type("#1", "#1 [Start session]")
    shown = await demo.type("/demo_remind", "#1 [Start session]  #2 [Snooze 1 hour]")
    assert "Time for your" in shown
    await demo.type("#2", "Snoozed: I'll remind you again at")
    # Again: the reminder the bot has scheduled next comes, not "no reminder went out".
    again = await demo.type("/demo_remind", "#1 [Start session]  #2 [Snooze 1 hour]")
    assert "Time for your" in again and "no reminder" not in again
    await demo.type("#3", "Skipped this one")
    await demo.type("/quit", "Bye.")
    assert await demo.finish() == 0
    statuses = _rows(tmp_path / "data" / "demo.db", "SELECT status FROM reminder_deliveries")
    assert sorted(statuses) == [("skipped",), ("snoozed",)] or statuses == [("skipped",)]


async def test_a_double_typed_button_counts_once(tmp_path: Path) -> None:
    demo = await start_demo(tmp_path, "--fresh")
    await demo.type("/start", "#1 [None of these]")
    await demo.type("#1", "Which time zone are you in?")
    await demo.type("Tokyo", "#1 [Keep these]")
    await demo.type("#1", "#1 [Start session]")
    await demo.type("#1", "How much pain do you have right now?")
    await demo.type("#4", "#1 [✅ Done]")
    await asyncio.sleep(DOUBLE_TAP)
    await demo.type("#1", "Prone Hip Extension")
    shown = await demo.type("#1", "didn't count it")  # at once: a double tap
    assert "didn't count it" in shown
    await demo.type("/quit", "Bye.")
    assert await demo.finish() == 0
    database = tmp_path / "data" / "demo.db"
    assert _rows(database, "SELECT exercise_key FROM exercise_results") == [("glute_hip_bridge",)]
