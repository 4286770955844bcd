"""Telegram answering 429, 403 or 5xx, and the token staying out of the logs."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.emulator import BotApiEmulator
from bot.logs import configure_logging
from tests.conftest import TOKEN
from tests.e2e.helpers import onboard, rows, session_card, wait_until
from tests.e2e.person import Person


def _sends(emulator: BotApiEmulator) -> int:
    return sum(1 for method, _ in emulator.requests if method == "sendMessage")


async def test_429_is_waited_out_and_the_message_still_arrives(
    bot: object, emulator: BotApiEmulator, alex: Person
) -> None:
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    before = _sends(emulator)
    (reply,) = await alex.say("/help")
    assert "/session" in reply.text
    assert _sends(emulator) - before == 2  # refused once, then sent after retry_after


async def test_a_5xx_is_tried_again_and_the_reply_arrives(
    bot: object, emulator: BotApiEmulator, alex: Person, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.fail_next("sendMessage", 502, "Bad Gateway")
    before = _sends(emulator)
    (reply,) = await alex.say("/help")
    assert "/session" in reply.text
    assert _sends(emulator) - before == 2
    assert "trying again in 0.5 s" in caplog.text
    assert "error while handling an update" not in caplog.text


async def test_5xx_that_persists_gets_an_apology(
    bot: object, emulator: BotApiEmulator, alex: Person, caplog: pytest.LogCaptureFixture
) -> None:
    # The first try and both retries fail; the apology (a fourth send) gets through.
    emulator.fail_next("sendMessage", 502, "Bad Gateway", count=3)
    before = _sends(emulator)
    (reply,) = await alex.say("/help")
    assert "something went wrong on my side" in reply.text
    # Telegram's fault, not ours: one warning line for the operator, no traceback.
    (line,) = [r for r in caplog.records if "could not answer an update" in r.getMessage()]
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert "Bad Gateway" in line.getMessage()
    assert "error while handling an update" not in caplog.text
    assert _sends(emulator) - before == 4


async def test_a_proxy_page_instead_of_json_is_one_line_and_tried_again(
    bot: object, emulator: BotApiEmulator, alex: Person, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram's front answers a 502 with an HTML page: PTB would log the whole page
    with a traceback as an ERROR; here it is a 5xx like any other, tried again."""
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    emulator.fail_next("sendMessage", 502, "Bad Gateway", page=page)
    (reply,) = await alex.say("/help")
    assert "/session" in reply.text
    assert "nginx" not in caplog.text and "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "sendMessage failed (Bad Gateway" in caplog.text


async def test_blocked_user_is_marked_inactive_and_others_are_still_served(
    bot: object,
    emulator: BotApiEmulator,
    alex: Person,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await onboard(alex)
    emulator.blocked_chats.add(alex.user_id)
    before = len(alex.messages)
    await emulator.send_text(alex.user_id, "/help")
    await emulator.settle()
    assert "bot was blocked by the user" in caplog.text
    assert len(alex.messages) == before
    assert (await rows(engine, "SELECT active FROM users"))[0]["active"] in (0, False)
    sam = Person(emulator, 1002, "Sam")
    (reply,) = await sam.say("/help")
    assert "/session" in reply.text
    # Unblocked: their next message makes them reachable again.
    emulator.blocked_chats.discard(alex.user_id)
    await alex.say("/help")
    assert (await rows(engine, "SELECT active FROM users WHERE telegram_user_id = 1001"))[0][
        "active"
    ] in (1, True)


@pytest.fixture
def bot_log() -> Iterator[io.StringIO]:
    """The bot's own log set-up, writing to a buffer, with httpx's URL lines switched on."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("DEBUG", TOKEN, stream)
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    yield stream
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def test_token_never_reaches_the_log(
    bot_log: io.StringIO, bot: object, emulator: BotApiEmulator, alex: Person
) -> None:
    await onboard(alex)
    emulator.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    await alex.say("/help")  # an error with a traceback, too
    output = bot_log.getvalue()
    assert "/bot<token>/sendMessage" in output  # the URLs were logged, redacted
    assert "Traceback" in output
    assert TOKEN not in output


async def test_an_edit_telegram_carries_out_late_never_puts_an_old_step_back(
    bot: object,
    emulator: BotApiEmulator,
    alex: Person,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram is slower than PTB's 5 s read time-out with the edit that shows the next
    step, and carries it out after the bot has given up. Tried again, that edit could
    land after a newer one and put an old step back: the bot sends the step anew."""
    await onboard(alex)
    await alex.press_last("Start session")
    rating = alex.last
    emulator.hang_next("editMessageText", 6.0, carried_out="late")
    await emulator.press(alex.user_id, rating.snapshot(), "4")
    await wait_until(lambda: session_card(alex, 1) is not None, "the first exercise")
    card = session_card(alex, 1)
    assert card is not None and card.message_id > rating.message_id  # a new message
    assert "Exercise 1 of 6" in card.text
    assert "sending the step anew" in caplog.text
    assert not any("something went wrong" in m.text for m in alex.messages)
    # The late edit lands on the old message: it shows the same step, with buttons.
    await wait_until(lambda: "Exercise 1 of 6" in rating.text, "the late edit")
    assert session_card(alex, 1) is card
    # Either message answers the step once; the other then catches up when pressed.
    await alex.press(rating, "✅ Done")
    assert "Exercise 2 of 6" in rating.text
    caught_up = await alex.press(card, "✅ Done", expect=0)
    assert caught_up.answer == "Already recorded. This message now shows where you are."
    assert "Exercise 2 of 6" in card.text
    results = await rows(engine, "SELECT step, outcome FROM exercise_results")
    assert results == [{"step": 1, "outcome": "done"}]
    (session,) = await rows(engine, "SELECT step, pain_before FROM sessions")
    assert (session["step"], session["pain_before"]) == (2, 4)  # each answer stored once


async def test_a_lost_answer_to_a_press_does_not_stop_the_next_step(
    bot: object,
    emulator: BotApiEmulator,
    alex: Person,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram carries out the answer but is slower than the bot's 5 s read time-out:
    the answer is lost, and must not be tried again (Telegram refuses a second answer to
    the same press) nor stop the handler: the press is stored, the next step shows."""
    await onboard(alex)
    await alex.press_last("Start session")
    emulator.delays["answerCallbackQuery"] = [6.0]
    query_id = await emulator.press(alex.user_id, alex.last, "4")
    await _until_shown(alex, "Exercise 1 of 6")
    await asyncio.sleep(1.5)  # the slow answer lands meanwhile
    answers = [
        p
        for method, p in emulator.requests
        if method == "answerCallbackQuery" and p["callback_query_id"] == query_id
    ]
    assert len(answers) == 1  # not tried again
    assert not any("something went wrong" in m.text for m in alex.messages)
    warnings = [r for r in caplog.records if "answerCallbackQuery failed" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert warnings[0].exc_info is None  # one line, no traceback
    (session,) = await rows(engine, "SELECT step, pain_before FROM sessions")
    assert (session["step"], session["pain_before"]) == (1, 4)


async def test_a_refused_answer_to_a_press_does_not_stop_the_next_step(
    bot: object, emulator: BotApiEmulator, alex: Person, caplog: pytest.LogCaptureFixture
) -> None:
    await onboard(alex)
    await alex.press_last("Start session")
    emulator.fail_next(
        "answerCallbackQuery",
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    await emulator.press(alex.user_id, alex.last, "4")
    await _until_shown(alex, "Exercise 1 of 6")
    await emulator.settle()
    assert "error while handling an update" not in caplog.text
    assert not any("something went wrong" in m.text for m in alex.messages)
    assert "query is too old" in caplog.text.lower()


async def _until_shown(person: Person, text: str, within: float = 15.0) -> None:
    """Wait for a message (new or edited) with `text` in the person's chat."""

    def shown() -> bool:
        return any(text in m.text for m in person.messages)

    await wait_until(shown, f"{text!r} to be shown", within)


async def test_a_reply_lost_to_an_outage_arrives_once_telegram_is_back(
    bot: object, emulator: BotApiEmulator, alex: Person, engine: AsyncEngine
) -> None:
    """Telegram fails every request for 3 s while a tap is handled: the answer is stored,
    the step could not be shown; once Telegram answers again the person gets it, with
    its buttons, once - without having to guess /session."""
    await onboard(alex)
    await alex.press_last("Start session")
    question = alex.last.snapshot()
    emulator.fail_for(3.0)
    await emulator.press(alex.user_id, question, "4")
    await _until_shown(alex, "Exercise 1 of 6", within=20)
    await emulator.settle(quiet=1.0, within=20)
    shown = [m for m in alex.messages if "Exercise 1 of 6" in m.text]
    assert len(shown) == 1  # once, not twice
    (step,) = shown
    assert "Telegram would not let me answer" in step.text
    assert "✅ Done" in step.button_texts()
    (session,) = await rows(engine, "SELECT step, pain_before FROM sessions")
    assert (session["step"], session["pain_before"]) == (1, 4)  # stored once, at the tap
    assert await rows(engine, "SELECT * FROM pending_replies") == []
    # And the session goes on from it.
    (nxt,) = (await alex.press(step, "✅ Done")).messages
    assert "Exercise 2 of 6" in nxt.text


async def test_an_owed_reply_is_tried_again_until_telegram_is_back(
    bot: object, emulator: BotApiEmulator, alex: Person, engine: AsyncEngine
) -> None:
    """The outage outlasts the first try to send the owed reply: it is tried again later
    (3 s, then 6 s), still once."""
    await onboard(alex)
    await alex.press_last("Start session")
    question = alex.last.snapshot()
    emulator.fail_for(7.0)
    await emulator.press(alex.user_id, question, "4")
    await _until_shown(alex, "Exercise 1 of 6", within=30)
    await emulator.settle(quiet=1.0, within=20)
    assert len([m for m in alex.messages if "Exercise 1 of 6" in m.text]) == 1
    assert await rows(engine, "SELECT * FROM pending_replies") == []
