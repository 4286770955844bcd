"""PTB's requests to Telegram over aiohttp instead of httpx.

A tap costs the bot two requests (answer the tap, edit its message into the next step).
Measured against the local emulator in another process (500 sendMessage calls in
a row), one request took 1.5 ms of CPU in a bare httpx client and 0.4 ms in aiohttp;
PTB's own work around it was 0.8 ms either way. At a hundred taps a second that
difference is a third of a core. aiohttp is already here for webhook mode.

PTB supports this by design: `BaseRequest` turns a method call into (status, body), and
PTB itself still encodes the parameters, maps status codes to its errors (RetryAfter,
Forbidden, BadRequest, ...) and parses the answer. This class only carries bytes and
turns transport failures into PTB's TimedOut and NetworkError, as PTB's own HTTPXRequest
(whose private helpers for the time-out arguments it also uses). One difference: a
request without a file goes as JSON, not as a form (both are the Bot API's).
"""

from __future__ import annotations

import json
import logging

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.metrics import Metrics, request_outcome

log = logging.getLogger(__name__)


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        metrics: Metrics | None = None,
    ) -> None:
        # (The defaults are HTTPXRequest's.)
        self.metrics = metrics
        self.connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        """An answer that is not JSON (a proxy's HTML page with a 502) is an error like any
        other, for the status code to explain: PTB's own version logs it as an ERROR with
        a traceback and the whole page, every time."""
        try:
            parsed = json.loads(payload.decode("utf-8", "replace"))
        except ValueError as error:
            log.debug("Telegram's answer is not JSON: %.200r", payload)
            raise TelegramError("Telegram's answer is not JSON") from error
        if not isinstance(parsed, dict):
            raise TelegramError("Telegram's answer is not a JSON object")
        return parsed

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connection_pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        # aiohttp has no write time-out and counts the wait for a pooled connection into
        # `connect`; the total bounds the whole exchange, writing included.
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (file_name, content, mime_type) in files.items():
                    form.add_field(name, content, filename=file_name, content_type=mime_type)
                body = form
            else:
                # JSON, which the Bot API takes for every method without a file: a form
                # cost aiohttp a multipart writer (and a random boundary) before it found
                # it had no file, then URL-encoding of every value already JSON-encoded.
                body = json.dumps(request_data.parameters).encode()
                headers = _JSON
        status: int | None = None
        outcome = "network"
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                payload = await response.read()
            # (The URL holds the token: the log filter in bot/logs.py replaces it.)
            log.debug("%s %s: %d", method, url, response.status)
            status = response.status
            outcome = request_outcome(status)
            return response.status, payload
        except TimeoutError as error:
            outcome = "timeout"
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error
        finally:
            if self.metrics is not None:
                # The method is the URL's last part (the token, before it, is not kept);
                # a file download's last part is a file's path, which is not a label.
                name = "file" if "/file/bot" in url else url.rsplit("/", 1)[-1]
                self.metrics.requests.labels(name, outcome).inc()
                if status == 429:
                    self.metrics.flood.inc()


_JSON = {"Content-Type": "application/json"}


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def describe(error: Exception) -> str:
    """An error for one log line: PTB appends a body it could not parse (a proxy's whole
    HTML page) to the status; the status says enough."""
    return str(error).split(". Parsing ", 1)[0]  # ("... the server response ... failed")
