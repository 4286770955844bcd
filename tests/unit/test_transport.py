"""AiohttpRequest: bytes to and from Telegram, failures as PTB's errors."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.telegram.transport import AiohttpRequest


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for Telegram that records what it got; /slow answers after 2 s."""
    received: list[dict[str, Any]] = []

    async def method(request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            received.append({"path": request.path, "json": await request.json()})
            return web.json_response({"ok": True, "result": True})
        form = await request.post()
        fields: dict[str, Any] = {}
        for name, value in form.items():
            if isinstance(value, web.FileField):
                fields[name] = (value.filename, value.file.read(), value.content_type)
            else:
                fields[name] = value
        received.append({"path": request.path, "fields": fields})
        return web.json_response({"ok": True, "result": True})

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/slow", slow)
    app.router.add_post("/{name}", method)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", received
    await runner.cleanup()


async def test_parameters_arrive_as_json_and_files_as_a_form(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = server
    request = AiohttpRequest()
    await request.initialize()
    try:
        param = RequestParameter.from_input
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="d")]])
        plain = RequestData(
            [param("chat_id", 7), param("text", "Hi ✅"), param("reply_markup", markup)]
        )
        status, body = await request.do_request(f"{url}/sendMessage", "POST", plain)
        assert status == 200 and json.loads(body) == {"ok": True, "result": True}
        document = InputFile(b"day,pain\n1,4\n", filename="pain.csv")
        upload = RequestData([param("chat_id", 7), param("document", document)])
        await request.do_request(f"{url}/sendDocument", "POST", upload)
    finally:
        await request.shutdown()
    # Without a file, JSON (nested objects as objects); with one, a multipart form.
    keyboard = {"inline_keyboard": [[{"text": "Done", "callback_data": "d"}]]}
    assert received[0] == {
        "path": "/sendMessage",
        "json": {"chat_id": 7, "text": "Hi ✅", "reply_markup": keyboard},
    }
    assert received[1]["path"] == "/sendDocument"
    assert received[1]["fields"]["chat_id"] == "7"
    file_name, content, content_type = received[1]["fields"]["document"]
    assert (file_name, content) == ("pain.csv", b"day,pain\n1,4\n")
    assert content_type == "text/csv"


async def test_a_slow_answer_is_a_time_out(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = server
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"{url}/slow", "POST", None)
        # A time-out given for one call wins over the default.
        with pytest.raises(TimedOut):
            await request.do_request(f"{url}/slow", "POST", None, read_timeout=0.1)
    finally:
        await request.shutdown()


async def test_nobody_listening_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.do_request(f"http://127.0.0.1:{port}/getMe", "POST", None)
        assert not isinstance(raised.value, TimedOut)
        assert "aiohttp." in str(raised.value)
    finally:
        await request.shutdown()


async def test_it_must_be_initialised_and_can_be_again_after_shutdown(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, _ = server
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request(f"{url}/getMe", "POST", None)
    await request.initialize()
    await request.shutdown()
    await request.initialize()
    try:
        status, _ = await request.do_request(f"{url}/getMe", "POST", None)
        assert status == 200
    finally:
        await request.shutdown()
