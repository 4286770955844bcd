"""A local stand-in for the Telegram Bot API, on 127.0.0.1, for tests and the demo.

The bot talks to it over real HTTP exactly as it talks to Telegram. Every request is
checked against the official spec (see spec.py); a request Telegram would reject is
answered with Telegram's error and recorded in `violations`, which tests assert empty.
People are simulated through plain methods: `send_text`, `press`, and so on.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web

from bot.emulator.spec import ApiSpec, html_to_text

log = logging.getLogger(__name__)

# When Telegram carries out a request whose answer the bot never gets (hang_next).
CarriedOut = Literal["at once", "late", "never"]

BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "Coach", "username": "coach_test_bot"}


@dataclass
class Fault:
    """An error the emulator answers instead of handling the request, `count` times."""

    status: int
    description: str
    retry_after: int | None = None
    count: int = 1
    page: str | None = None  # an HTML page instead of JSON, as a proxy in front answers


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes

    def png_size(self) -> tuple[int, int]:
        """Width and height from a PNG header (0, 0 for anything else)."""
        if self.data[:8] == b"\x89PNG\r\n\x1a\n" and len(self.data) >= 24:
            return int.from_bytes(self.data[16:20], "big"), int.from_bytes(self.data[20:24], "big")
        return 0, 0


@dataclass
class SentMessage:
    """A message in a chat, as the user's phone would show it."""

    message_id: int
    chat_id: int
    from_bot: bool
    text: str  # visible text, after entity parsing
    html: str  # what the bot sent, markup included
    reply_markup: dict[str, Any] | None = None
    edits: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup:
            return []
        return [b for row in self.reply_markup.get("inline_keyboard", []) for b in row]

    def button_texts(self) -> list[str]:
        return [button["text"] for button in self.buttons()]

    def snapshot(self) -> SentMessage:
        return SentMessage(
            self.message_id, self.chat_id, self.from_bot, self.text, self.html,
            json.loads(json.dumps(self.reply_markup)), self.edits, dict(self.extra),
        )  # fmt: skip


class BotApiEmulator:
    def __init__(self, token: str, spec: ApiSpec | None = None) -> None:
        self.token = token
        self.spec = spec or ApiSpec()
        self.violations: list[str] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[tuple[int, int], SentMessage] = {}
        # The same messages by chat, in order (ids only grow): tests and benchmarks read a
        # chat many times a second, and sorting every message each time would make the
        # emulator, not the bot, the bottleneck of a 10,000-person run.
        self._by_chat: dict[int, list[SentMessage]] = collections.defaultdict(list)
        self.callback_answers: dict[str, dict[str, Any] | None] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.delays: dict[str, list[float]] = {}
        self.blocked_chats: set[int] = set()
        self.bot_profile: dict[str, Any] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        # Set while the bot shuts down: long polls return at once instead of holding it up.
        self.polls_released = False
        # Updates below this id have been handed to the bot at least once.
        self._handed_out_below = 0
        self._updates: list[dict[str, Any]] = []
        # Set by setWebhook: updates are then posted there instead of kept for getUpdates.
        self.webhook: dict[str, str] | None = None
        # Called with each update getUpdates hands out (benchmarks time the bot's answer).
        self.on_handout: Callable[[dict[str, Any]], None] | None = None
        # Waits until a bot under test has handled every update it took in (its update
        # queue's `join`): `settle` then knows a tap's whole answer has been sent, however
        # slow the database, instead of guessing from a pause in requests.
        self.bot_idle: list[Callable[[], Awaitable[object]]] = []
        self.webhook_targets: list[str] = []
        self.webhook_answers: list[int] = []  # each post's status (0: no answer)
        self.webhook_retry_pause = 0.3
        self._failing_until = 0.0
        self.drops: dict[str, int] = {}
        self.hangs: dict[str, list[tuple[float, CarriedOut]]] = {}
        self._failing_status = 500
        self._deliveries: set[asyncio.Future[None]] = set()
        self._last_delivery: dict[int, asyncio.Future[None]] = {}
        self._next_target = 0
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._last_request_at = time.monotonic()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.on_request: Callable[[str, dict[str, Any]], None] | None = None
        # For a live view of the chat (the demo): a bot message sent or edited, a tap answered.
        self.on_message: Callable[[SentMessage, bool], None] | None = None
        self.on_answer: Callable[[dict[str, Any]], None] | None = None
        self.files: dict[tuple[int, int], UploadedFile] = {}
        # Telegram's bot-wide flood limit, when set: more than this many requests aimed at
        # chats within one second are answered 429, as Telegram does.
        self.flood_limit: int | None = None
        self.flood_429s = 0
        self._chat_requests: collections.deque[float] = collections.deque()
        self.flood_refusals: list[list[float]] = []
        # Methods whose requests are carried out but not answered until `release_held`:
        # the moment a crash is worst, when Telegram has acted and the bot doesn't know.
        self.hold: set[str] = set()
        self._held = asyncio.Event()

    # Serving

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    held_requests = 0

    def hold_answers(self, method: str) -> None:
        """Carry out `method` but keep its answer back until `release_held` (a crash
        while Telegram has the request: the bot never hears back)."""
        self.hold.add(method)
        self._held.clear()

    def release_held(self) -> None:
        self.hold.clear()
        self._held.set()

    async def release_polls(self) -> None:
        """Answer waiting and future long polls at once (before stopping a bot quickly)."""
        self.polls_released = True
        async with self._changed:
            self._changed.notify_all()

    async def stop(self) -> None:
        for delivery in list(self._deliveries):
            delivery.cancel()
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        requested = request.match_info["method"]
        method = self.spec.method_name(requested)
        if method is None:
            self.violations.append(f"{requested}: no such method in Bot API {self.spec.version}")
            return _error(404, "Not Found: method not found")
        raw = await _parameters(request)
        params, problems = self.spec.check_request(method, raw)
        if method != "getUpdates":
            # Long polls come every second whatever the bot is doing; they are not activity.
            self._last_request_at = time.monotonic()
        self.requests.append((method, params))
        if self.on_request:
            self.on_request(method, params)
        if problems:
            self.violations.extend(problems)
            log.error("rejected %s: %s", method, problems)
            return _error(400, "Bad Request: " + "; ".join(problems))
        if self.flood_limit is not None and "chat_id" in params and self._flooded():
            self.flood_429s += 1
            return _error(429, "Too Many Requests: retry after 1", retry_after=1)
        if time.monotonic() < self._failing_until:
            # Telegram failing as a whole (fail_for): every method, getUpdates too.
            query_id = params.get("callback_query_id")
            if method == "answerCallbackQuery" and query_id:
                self.callback_answers[str(query_id)] = {"failed": "Telegram was down"}
            return _error(self._failing_status, "Internal Server Error")
        if self.drops.get(method):
            # The request is lost on the way: not carried out, and no answer ever comes.
            self.drops[method] -= 1
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=504)
        hung = self.hangs.get(method)
        answer_after = 0.0
        if hung:
            seconds, carried_out = hung.pop(0)
            if carried_out == "late":
                # In a task of its own, so that it happens even though the bot has hung up.
                late = asyncio.ensure_future(self._carry_out_late(method, params, seconds))
                self._deliveries.add(late)
                late.add_done_callback(self._deliveries.discard)
            if carried_out != "at once":
                await asyncio.sleep(seconds)
                return _error(504, "Gateway Timeout")
            # Carried out now, answered too late: the bot gives up first.
            answer_after = seconds
        faults = self.faults.get(method)
        if faults:
            fault = faults[0]
            fault.count -= 1
            if fault.count <= 0:
                faults.pop(0)
            query_id = params.get("callback_query_id")
            if method == "answerCallbackQuery" and fault.status == 400 and query_id:
                # Refused as too old: that press can no longer be answered at all.
                self.callback_answers[str(query_id)] = {"refused": fault.description}
            if fault.page is not None:
                return web.Response(status=fault.status, text=fault.page, content_type="text/html")
            return _error(fault.status, fault.description, fault.retry_after)
        delays = self.delays.get(method)
        if delays:
            # Slower than the bot waits: it times out, though the request is carried out.
            await asyncio.sleep(delays.pop(0))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            self.violations.append(f"{method}: valid, but this emulator does not implement it")
            return _error(501, f"Not Implemented: {method}")
        try:
            if method == "getUpdates":
                result = await handler(params)
            else:
                result = handler(params)
                async with self._changed:
                    self._changed.notify_all()
        except _ApiError as error:
            return _error(error.status, error.description)
        if method in self.hold:
            self.held_requests += 1
            await self._held.wait()
        if answer_after:
            await asyncio.sleep(answer_after)
        return web.json_response({"ok": True, "result": result})

    def _flooded(self) -> bool:
        now = time.monotonic()
        window = self._chat_requests
        while window and now - window[0] >= 1.0:
            window.popleft()
        if self.flood_limit is not None and len(window) >= self.flood_limit:
            # (Kept so that a test or benchmark meeting a 429 can say how the second
            # before it looked: seconds before the refused request.)
            self.flood_refusals.append([now - at for at in window])
            return True
        window.append(now)
        return False

    # Bot API methods

    def _api_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}  # fmt: skip

    def _api_deleteWebhook(self, _params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": params["url"], "secret": params.get("secret_token", "")}
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.bot_profile["commands"] = params["commands"]
        return True

    def _api_setMyDescription(self, params: dict[str, Any]) -> bool:
        self.bot_profile["description"] = params.get("description", "")
        return True

    def _api_setMyShortDescription(self, params: dict[str, Any]) -> bool:
        self.bot_profile["short_description"] = params.get("short_description", "")
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active;"
                            " use deleteWebhook to delete the webhook first")  # fmt: skip
        offset = params.get("offset")
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        if offset is not None:
            # As Telegram does: asking from `offset` confirms every update before it.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not self._updates and time.monotonic() < deadline and not self.polls_released:
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        handed = self._updates[:limit]
        if self.on_handout:
            for update in handed:
                self.on_handout(update)
        if handed:
            # Handing out updates is activity: `settle` waits for the bot's answer to them.
            self._last_request_at = time.monotonic()
            self._handed_out_below = max(self._handed_out_below, handed[-1]["update_id"] + 1)
        return handed

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params["chat_id"])
        html = params["text"]
        text = html_to_text(html)[0] if params.get("parse_mode") == "HTML" else html
        message = SentMessage(
            message_id=next(self._message_ids),
            chat_id=chat_id,
            from_bot=True,
            text=text,
            html=html,
            reply_markup=params.get("reply_markup"),
        )
        self._store_message(message)
        self._notify(message, edited=False)
        return self._message_object(message)

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to_edit(params)
        html = params["text"]
        text = html_to_text(html)[0] if params.get("parse_mode") == "HTML" else html
        markup = params.get("reply_markup")
        if text == message.text and markup == message.reply_markup:
            raise _ApiError(400, "Bad Request: message is not modified")
        message.text, message.html, message.reply_markup = text, html, markup
        message.edits += 1
        self._notify(message, edited=True)
        return self._message_object(message)

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to_edit(params)
        markup = params.get("reply_markup")
        if markup == message.reply_markup:
            raise _ApiError(400, "Bad Request: message is not modified")
        message.reply_markup = markup
        message.edits += 1
        self._notify(message, edited=True)
        return self._message_object(message)

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self.callback_answers:
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired")
        if self.callback_answers[query_id] is not None:
            self.violations.append(f"answerCallbackQuery: query {query_id} answered twice")
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired")
        self.callback_answers[query_id] = params
        if self.on_answer is not None:
            self.on_answer(params)
        return True

    def _chat_id(self, raw: Any) -> int:
        chat_id = int(raw)
        if chat_id in self.blocked_chats:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if not self._knows_chat(chat_id):
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _knows_chat(self, chat_id: int) -> bool:
        # (The set of chats first: looking through every message for each request made
        # the emulator slower with each message, 0.2 ms a request at 5,000.)
        return chat_id in self._chats or any(chat == chat_id for chat, _ in self.messages)

    def _message_to_edit(self, params: dict[str, Any]) -> SentMessage:
        if "inline_message_id" in params:
            raise _ApiError(400, "Bad Request: inline messages are not emulated")
        if "chat_id" not in params or "message_id" not in params:
            self.violations.append("edit without chat_id and message_id")
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        message = self.messages.get((self._chat_id(params["chat_id"]), params["message_id"]))
        if message is None or not message.from_bot:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    def _message_object(self, message: SentMessage) -> dict[str, Any]:
        chat = self._chats.get(message.chat_id, {"id": message.chat_id, "type": "private"})
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": chat,
            **message.extra,
        }
        if message.from_bot:
            result["from"] = BOT_USER
            media = "photo" in message.extra or "document" in message.extra
            if not media:
                result["text"] = message.text
            elif message.text:
                result["caption"] = message.text
        else:
            result["from"] = self._users.get(message.chat_id, chat)
        if message.reply_markup:
            result["reply_markup"] = message.reply_markup
        return result

    def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        upload = params["photo"]
        if not isinstance(upload, UploadedFile):
            raise _ApiError(400, "Bad Request: the emulator accepts uploaded photos only")
        width, height = upload.png_size()
        number = len(self.files) + 1
        photo = [{"file_id": f"photo-{number}", "file_unique_id": f"p{number}",
                  "width": width, "height": height, "file_size": len(upload.data)}]  # fmt: skip
        return self._send_media(params, upload, {"photo": photo})

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        upload = params["document"]
        if not isinstance(upload, UploadedFile):
            raise _ApiError(400, "Bad Request: the emulator accepts uploaded documents only")
        number = len(self.files) + 1
        document = {"file_id": f"doc-{number}", "file_unique_id": f"d{number}",
                    "file_name": upload.filename, "mime_type": upload.content_type,
                    "file_size": len(upload.data)}  # fmt: skip
        return self._send_media(params, upload, {"document": document})

    def _send_media(
        self, params: dict[str, Any], upload: UploadedFile, media: dict[str, Any]
    ) -> dict[str, Any]:
        chat_id = self._chat_id(params["chat_id"])
        html = params.get("caption", "")
        text = html_to_text(html)[0] if params.get("parse_mode") == "HTML" else html
        message = SentMessage(
            message_id=next(self._message_ids), chat_id=chat_id, from_bot=True, text=text,
            html=html, reply_markup=params.get("reply_markup"), extra=media,
        )  # fmt: skip
        self._store_message(message)
        self.files[(chat_id, message.message_id)] = upload
        self._notify(message, edited=False)
        return self._message_object(message)

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat_id(params["chat_id"])
        return True

    def _notify(self, message: SentMessage, *, edited: bool) -> None:
        if self.on_message is not None:
            self.on_message(message, edited)

    # Simulated people

    def add_private_chat(
        self, user_id: int, first_name: str = "Alex", language_code: str | None = None
    ) -> None:
        self._users[user_id] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            self._users[user_id]["language_code"] = language_code
        self._chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}

    def add_group_chat(self, chat_id: int, title: str = "Friends") -> None:
        self._chats[chat_id] = {"id": chat_id, "type": "group", "title": title}

    async def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Any kind of update, as given (`kind` is its field in Update). A callback query's
        id is noted, so that the check for unanswered presses covers it too."""
        if kind == "callback_query":
            self.callback_answers[str(payload["id"])] = None
        return await self._push({kind: payload})

    async def _push(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update["update_id"] = update_id
        if self.webhook is not None:
            self._deliver(update)
            return update_id
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update_id

    def _deliver(self, update: dict[str, Any]) -> None:
        """Post an update in the background, as Telegram does: each chat's updates one
        after another (the next once the last was answered), chats side by side."""
        chat = _update_chat(update)
        before = self._last_delivery.get(chat)

        async def deliver() -> None:
            if before is not None:
                with suppress(Exception):
                    await before
            await self._post_to_webhook(update)

        task = asyncio.ensure_future(deliver())
        self._last_delivery[chat] = task
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _post_to_webhook(self, update: dict[str, Any]) -> None:
        """Deliver as Telegram does to a webhook, again and again until it is answered
        with a 2xx (Telegram keeps an update for a day; here a minute); with
        `webhook_targets` set (a stand-in for a load balancer), to each target in turn."""
        deadline = time.monotonic() + 60
        while self.webhook is not None and time.monotonic() < deadline:
            targets = self.webhook_targets or [self.webhook["url"]]
            target = targets[self._next_target % len(targets)]
            self._next_target += 1
            headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret"]}
            try:
                async with (
                    aiohttp.ClientSession() as session,
                    session.post(target, json=update, headers=headers) as response,
                ):
                    self.webhook_answers.append(response.status)
                    if response.status < 300:
                        return
            except aiohttp.ClientError:
                self.webhook_answers.append(0)  # (no answer: the instance is down)
            await asyncio.sleep(self.webhook_retry_pause)

    def _user_message(self, user_id: int, chat_id: int, **content: Any) -> dict[str, Any]:
        message_id = next(self._message_ids)
        message = SentMessage(
            message_id, chat_id, False, content.get("text", ""), "", None, extra=content
        )
        self._store_message(message)
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chats[chat_id],
            "from": self._users[user_id],
            **content,
        }

    async def send_text(self, user_id: int, text: str, chat_id: int | None = None) -> int:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = self._user_message(user_id, chat_id or user_id, **content)
        return await self._push({"message": message})

    async def send_sticker(self, user_id: int) -> int:
        sticker = {
            "file_id": "sticker-1", "file_unique_id": "s1", "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False,
        }  # fmt: skip
        return await self._push({"message": self._user_message(user_id, user_id, sticker=sticker)})

    async def send_photo(self, user_id: int) -> int:
        photo = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 90, "height": 90}]
        return await self._push({"message": self._user_message(user_id, user_id, photo=photo)})

    async def send_chat_member(self, user_id: int, *, old: str, new: str) -> int:
        """The person blocked ("kicked") or unblocked ("member") the bot."""

        def member(status: str) -> dict[str, Any]:
            return {
                "status": status,
                "user": BOT_USER,
                **({"until_date": 0} if status == "kicked" else {}),
            }

        change = {
            "chat": self._chats[user_id],
            "from": self._users[user_id],
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return await self._push({"my_chat_member": change})

    async def press(self, user_id: int, message: SentMessage, button_text: str) -> str:
        """Tap a button of `message` as the user saw it (a snapshot can be tapped twice)."""
        for button in message.buttons():
            if button["text"] == button_text and "callback_data" in button:
                break
        else:
            raise AssertionError(f"no button {button_text!r} in {message.button_texts()}")
        query_id = str(next(self._callback_ids))
        self.callback_answers[query_id] = None
        current = self.messages[(message.chat_id, message.message_id)]
        await self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._users[user_id],
                    "message": self._message_object(current),
                    "chat_instance": f"ci-{message.chat_id}",
                    "data": button["callback_data"],
                }
            }
        )
        return query_id

    # Reading the conversation

    def _store_message(self, message: SentMessage) -> None:
        self.messages[(message.chat_id, message.message_id)] = message
        self._by_chat[message.chat_id].append(message)

    def chat(self, chat_id: int) -> list[SentMessage]:
        return list(self._by_chat.get(chat_id, ()))

    def bot_messages(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.chat(chat_id) if m.from_bot]

    def pending_updates(self) -> int:
        return len(self._updates)

    def unanswered_callbacks(self) -> list[str]:
        return [query for query, answer in self.callback_answers.items() if answer is None]

    async def settle(self, quiet: float = 0.15, within: float = 10.0) -> None:
        """Wait until the bot has fetched every update, handled it (where `bot_idle` can
        tell) and then made no request for `quiet`s."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            fetched = all(u["update_id"] < self._handed_out_below for u in self._updates)
            fetched = fetched and not self._deliveries
            idle = time.monotonic() - self._last_request_at >= quiet
            if fetched and idle:
                for wait in self.bot_idle:
                    with suppress(TimeoutError):
                        await asyncio.wait_for(wait(), max(deadline - time.monotonic(), 0.0))
                # (The last updates' handlers may have made requests meanwhile.)
                if time.monotonic() - self._last_request_at >= quiet:
                    return
            await asyncio.sleep(0.02)
        unfetched = sum(1 for u in self._updates if u["update_id"] >= self._handed_out_below)
        raise TimeoutError(
            f"the bot did not go quiet within {within:.0f} s: {unfetched} updates not fetched, "
            f"{len(self._deliveries)} webhook posts in flight, last request "
            f"{time.monotonic() - self._last_request_at:.2f} s ago (or an update not handled)"
        )

    def drop_next(self, method: str, count: int = 1) -> None:
        """Lose the next `count` requests of `method`: never carried out, never answered
        (the connection closes), as when the network drops them."""
        self.drops[method] = self.drops.get(method, 0) + count

    def hang_next(
        self, method: str, seconds: float, *, carried_out: CarriedOut = "at once"
    ) -> None:
        """The next request of `method` gets no answer for `seconds` (longer than the
        bot's time-out, so it gives up). Telegram carries it out all the same: "at once"
        (only the answer is lost), "late" (when the `seconds` are up, after whatever the
        bot did meanwhile: a retry, a newer edit), or "never"."""
        self.hangs.setdefault(method, []).append((seconds, carried_out))

    async def _carry_out_late(self, method: str, params: dict[str, Any], seconds: float) -> None:
        await asyncio.sleep(seconds)
        try:
            getattr(self, f"_api_{method}")(params)
        except _ApiError as error:
            log.info("a late %s was refused: %s", method, error.description)
            return
        async with self._changed:
            self._changed.notify_all()

    def fail_for(self, seconds: float, status: int = 500) -> None:
        """Answer every request with `status` for the next `seconds` (an outage)."""
        self._failing_until = time.monotonic() + seconds
        self._failing_status = status

    def fail_next(
        self, method: str, status: int, description: str, *, retry_after: int | None = None,
        count: int = 1, page: str | None = None,
    ) -> None:  # fmt: skip
        fault = Fault(status, description, retry_after, count, page)
        self.faults.setdefault(method, []).append(fault)


def _update_chat(update: dict[str, Any]) -> int:
    """The chat an update belongs to (0 for kinds without one), for delivery order."""
    for value in update.values():
        if isinstance(value, dict):
            message = value.get("message", value)
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
            sender = value.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return 0


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


async def _parameters(request: web.Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    form = await request.post()
    values: dict[str, Any] = {}
    for name, value in form.items():
        if isinstance(value, str):
            values[name] = value
        elif isinstance(value, web.FileField):
            values[name] = UploadedFile(value.filename, value.content_type, value.file.read())
    return values
