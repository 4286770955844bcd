"""PerChatUpdateProcessor: one chat's updates in order, different chats side by side."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from bot.telegram.updates import PerChatUpdateProcessor, chat_key


def message_update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    sender = User(chat_id, "Alex", is_bot=False)
    return Update(update_id, message=Message(update_id, datetime.now(UTC), chat, sender, text="x"))


class Recorder:
    """Coroutines that note when they start and end, and wait to be let go."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    async def work(self, name: str) -> None:
        self.events.append(f"start {name}")
        gate = self.gates.setdefault(name, asyncio.Event())
        await gate.wait()
        self.events.append(f"end {name}")

    def release(self, name: str) -> None:
        self.gates.setdefault(name, asyncio.Event()).set()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def run_all(
    processor: PerChatUpdateProcessor, recorder: Recorder, updates: list[tuple[str, Update]]
) -> list[asyncio.Task[None]]:
    # As PTB does: one task per update, created in the order the updates arrived.
    return [
        asyncio.create_task(processor.process_update(update, recorder.work(name)))
        for name, update in updates
    ]


async def test_one_chats_updates_run_one_at_a_time_in_order() -> None:
    processor, recorder = PerChatUpdateProcessor(8), Recorder()
    tasks = await run_all(
        processor,
        recorder,
        [(f"tap{i}", message_update(i, chat_id=42)) for i in range(1, 4)],
    )
    await settle()
    assert recorder.events == ["start tap1"]
    # Let them go in the reverse order: each still starts only after the one before ended.
    recorder.release("tap3")
    recorder.release("tap2")
    await settle()
    assert recorder.events == ["start tap1"]
    recorder.release("tap1")
    await asyncio.gather(*tasks)
    assert recorder.events == [
        "start tap1", "end tap1", "start tap2", "end tap2", "start tap3", "end tap3",
    ]  # fmt: skip


async def test_different_chats_overlap_up_to_the_slots() -> None:
    processor, recorder = PerChatUpdateProcessor(2), Recorder()
    tasks = await run_all(
        processor,
        recorder,
        [("a", message_update(1, chat_id=1)), ("b", message_update(2, chat_id=2)),
         ("c", message_update(3, chat_id=3))],
    )  # fmt: skip
    await settle()
    # Two slots: a and b run together, c waits for a slot.
    assert recorder.events == ["start a", "start b"]
    recorder.release("b")
    await settle()
    assert recorder.events == ["start a", "start b", "end b", "start c"]
    recorder.release("a")
    recorder.release("c")
    await asyncio.gather(*tasks)
    assert processor._turns == {}  # nothing kept once a chat's updates are done


async def test_a_busy_chat_does_not_hold_the_slots_of_others() -> None:
    processor, recorder = PerChatUpdateProcessor(2), Recorder()
    # Five taps from chat 1, then one message from chat 2.
    updates = [(f"tap{i}", message_update(i, chat_id=1)) for i in range(1, 6)]
    tasks = await run_all(processor, recorder, [*updates, ("other", message_update(9, 2))])
    await settle()
    # Chat 1's later taps wait for their turn without taking the second slot.
    assert recorder.events == ["start tap1", "start other"]
    for name in ["other", "tap1", "tap2", "tap3", "tap4", "tap5"]:
        recorder.release(name)
    await asyncio.gather(*tasks)


async def test_an_update_that_fails_lets_the_next_one_of_its_chat_run() -> None:
    processor = PerChatUpdateProcessor(2)
    ran: list[str] = []

    async def fails() -> None:
        raise RuntimeError("boom")

    async def works() -> None:
        ran.append("next")

    first = asyncio.create_task(processor.process_update(message_update(1, 7), fails()))
    second = asyncio.create_task(processor.process_update(message_update(2, 7), works()))
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert ran == ["next"]
    assert processor._turns == {}


def test_the_chat_of_an_update() -> None:
    assert chat_key(message_update(1, chat_id=5)) == 5
    assert chat_key(Update(2)) is None
    assert chat_key("not an update") is None
