"""Every kind of update Telegram may send is answered or ignored, never an error.

The updates are built from the Bot API spec itself (the required fields of each type,
from private chats), so a kind added to the spec is tried without changing this test.
Button presses the bot cannot act on - on an inline message, a game's button, a message
from elsewhere - are answered politely and nothing else.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from bot.emulator import BotApiEmulator
from bot.emulator.spec import ApiSpec
from tests.e2e.helpers import onboard
from tests.e2e.person import Person

PERSON = 1001
_ids = itertools.count(1)


def minimal(spec: ApiSpec, kind: str, depth: int = 0) -> Any:
    """A value of `kind` with only its required fields, from a private chat with PERSON."""
    if kind.startswith("Array of "):
        return []
    simple: dict[str, Any] = {"Integer": 1, "Float": 1.0, "String": "x", "Boolean": True}
    if kind in simple:
        return simple[kind]
    if kind == "True":
        return True
    if kind in spec.subtypes:
        return minimal(spec, spec.subtypes[kind][0], depth)
    if kind == "User":
        return {"id": PERSON, "is_bot": False, "first_name": "Alex"}
    if kind == "Chat":
        return {"id": PERSON, "type": "private", "first_name": "Alex"}
    value: dict[str, Any] = {}
    for field in spec.types[kind].values():
        if field.required and depth < 6:
            value[field.name] = minimal(spec, field.types[0], depth + 1)
    if kind in ("Message", "InaccessibleMessage", "MaybeInaccessibleMessage"):
        value.update(message_id=next(_ids), date=1_780_000_000)
    if "id" in value and isinstance(value["id"], str):
        value["id"] = str(next(_ids))  # callback, inline and shipping query ids
    return value


def update_kinds(spec: ApiSpec) -> list[tuple[str, str]]:
    fields = spec.types["Update"].values()
    return [(f.name, f.types[0]) for f in fields if f.name != "update_id"]


@pytest.mark.parametrize("kind", [name for name, _ in update_kinds(ApiSpec())])
async def test_every_kind_of_update_is_answered_or_ignored(
    bot: object,
    emulator: BotApiEmulator,
    alex: Person,
    spec: ApiSpec,
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await onboard(alex)
    payload = minimal(spec, dict(update_kinds(spec))[kind])
    await emulator.push_update(kind, payload)
    await emulator.settle()
    assert "error while handling an update" not in caplog.text
    assert "Traceback" not in caplog.text
    # (The emulator's own checks: every request valid, every press answered.)
    # The bot still answers the person afterwards.
    (reply,) = await alex.say("/help")
    assert "/session" in reply.text


@pytest.mark.parametrize(
    "press",
    [
        {"inline_message_id": "AAE1"},  # a button on an inline message: no chat
        {"game_short_name": "g", "message": "private"},  # a game's button: no data
        {"data": "s:1:1:d", "message": "group"},  # pressed in a group
    ],
    ids=["inline message", "game", "group"],
)
async def test_presses_the_bot_cannot_act_on_are_answered_politely(
    bot: object,
    emulator: BotApiEmulator,
    alex: Person,
    press: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await onboard(alex)
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "from": {"id": PERSON, "is_bot": False, "first_name": "Alex"},
        "chat_instance": "1",
        **{k: v for k, v in press.items() if k != "message"},
    }
    if "message" in press:
        chat: dict[str, Any] = {"id": PERSON, "type": "private", "first_name": "Alex"}
        if press["message"] == "group":
            chat = {"id": -100, "type": "group", "title": "Friends"}
        payload["message"] = {"message_id": 1, "date": 1_780_000_000, "chat": chat}
    sent_before = len(emulator.requests)
    await emulator.push_update("callback_query", payload)
    await emulator.settle()
    answer = emulator.callback_answers[payload["id"]]
    assert answer is not None and "only works in your private chat" in answer["text"]
    after = [method for method, _ in emulator.requests[sent_before:]]
    assert set(after) <= {"getUpdates", "answerCallbackQuery"}  # nothing else happened
    assert "error while handling an update" not in caplog.text


async def test_an_edited_message_gets_asked_to_send_it_again(
    bot: object, emulator: BotApiEmulator, alex: Person
) -> None:
    await onboard(alex)
    chat = {"id": PERSON, "type": "private", "first_name": "Alex"}
    user = {"id": PERSON, "is_bot": False, "first_name": "Alex"}
    edited = {
        "message_id": 5,
        "date": 1_780_000_000,
        "edit_date": 1_780_000_060,
        "chat": chat,
        "from": user,
        "text": "3",
    }
    before = len(alex.messages)
    await emulator.push_update("edited_message", edited)
    await emulator.settle()
    (reply,) = alex.messages[before:]
    assert "send it again as a new message" in reply.text
