"""The chart worker leaves Ctrl-C to the bot (no traceback from it when the demo stops)."""

from __future__ import annotations

import signal
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from bot.telegram.charts import interrupt_handler, worker_started


def test_the_chart_worker_ignores_ctrl_c() -> None:
    with ProcessPoolExecutor(1, get_context("spawn"), initializer=worker_started) as pool:
        assert pool.submit(interrupt_handler).result(timeout=60) == signal.SIG_IGN
    with ProcessPoolExecutor(1, get_context("spawn")) as plain:  # without it: Python's own
        assert plain.submit(interrupt_handler).result(timeout=60) == signal.default_int_handler
