"""A simulated person chatting with the bot through the emulator, for end-to-end tests."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bot.emulator import BotApiEmulator, SentMessage

WAIT = 10.0  # seconds; generous, the machines are shared


@dataclass
class Pressed:
    answer: str | None  # the toast the bot showed for the tap
    messages: list[SentMessage]


class Person:
    def __init__(
        self,
        emulator: BotApiEmulator,
        user_id: int,
        name: str = "Alex",
        language_code: str | None = None,
    ) -> None:
        self.emulator = emulator
        self.user_id = user_id
        self.name = name
        emulator.add_private_chat(user_id, name, language_code)

    @property
    def messages(self) -> list[SentMessage]:
        return self.emulator.bot_messages(self.user_id)

    @property
    def last(self) -> SentMessage:
        return self.messages[-1]

    def _newest_id(self) -> int:
        messages = self.emulator.chat(self.user_id)
        return messages[-1].message_id if messages else 0

    async def _new_messages(self, after: int, expect: int) -> list[SentMessage]:
        deadline = time.monotonic() + WAIT
        while len([m for m in self.messages if m.message_id > after]) < expect:
            if time.monotonic() > deadline:
                texts = [m.text[:80] for m in self.messages if m.message_id > after]
                raise AssertionError(f"expected {expect} new message(s), got {texts}")
            await asyncio.sleep(0.01)
        await self.emulator.settle(quiet=0.05)
        return [m for m in self.messages if m.message_id > after]

    async def say(self, text: str, expect: int = 1) -> list[SentMessage]:
        after = self._newest_id()
        await self.emulator.send_text(self.user_id, text)
        return await self._new_messages(after, expect)

    async def send_sticker(self, expect: int = 1) -> list[SentMessage]:
        after = self._newest_id()
        await self.emulator.send_sticker(self.user_id)
        return await self._new_messages(after, expect)

    async def send_photo(self, expect: int = 1) -> list[SentMessage]:
        after = self._newest_id()
        await self.emulator.send_photo(self.user_id)
        return await self._new_messages(after, expect)

    def _texts(self) -> dict[int, str]:
        return {m.message_id: m.html for m in self.messages}

    async def press(self, message: SentMessage, label: str, expect: int = 1) -> Pressed:
        """Tap a button; `messages` are the new messages it brought or, if none, the ones
        whose text the bot edited (a session's step is edited into the next one)."""
        after = self._newest_id()
        before = self._texts()
        query_id = await self.emulator.press(self.user_id, message, label)
        deadline = time.monotonic() + WAIT
        while self.emulator.callback_answers[query_id] is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot never answered the tap on {label!r}")
            await asyncio.sleep(0.01)
        messages = await self._changed(after, before, expect)
        answer = self.emulator.callback_answers[query_id] or {}
        return Pressed(answer.get("text"), messages)

    async def _changed(self, after: int, before: dict[int, str], expect: int) -> list[SentMessage]:
        """New messages; or, when a tap brought none, the messages it edited."""

        def new() -> list[SentMessage]:
            return [m for m in self.messages if m.message_id > after]

        def edited() -> list[SentMessage]:
            return [m for m in self.messages if m.html != before.get(m.message_id, m.html)]

        deadline = time.monotonic() + WAIT
        while len(new()) < expect and len(edited()) < expect:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {expect} changed message(s), got {new()}")
            await asyncio.sleep(0.01)
        await self.emulator.settle(quiet=0.05)
        if len(new()) < expect and not self.emulator.bot_idle:
            # Only edits so far, from a bot whose end of handling the emulator cannot see:
            # a tap may edit its message and then send one (after a database write, slower
            # on PostgreSQL); give the send time to show.
            await self.emulator.settle(quiet=0.25)
        return new() or edited()

    async def press_last(self, label: str, expect: int = 1) -> Pressed:
        return await self.press(self.last, label, expect)
