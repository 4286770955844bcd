"""What an operator can watch: Prometheus metrics, with prometheus-client.

`/metrics` on the webhook server, and in polling mode on a port of its own when
METRICS_PORT is set (README, Metrics). Each Application has its own registry, so that
tests and benchmarks running several bots in one process keep their figures apart.
No metric carries anything about a person: no ids, no chats, no answers.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# Seconds: a reply within a tenth of a second feels instant; past a few, people tap again.
UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CHART_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.updates = Histogram(
            "coach_update_seconds",
            "Updates handled, by kind, and the time from receiving one to its end",
            ["kind"],
            buckets=UPDATE_BUCKETS,
            registry=registry,
        )
        self.requests = Counter(
            "coach_telegram_requests",
            "Requests to the Bot API, by method and outcome (ok, 429, 4xx, 5xx, timeout, network)",
            ["method", "outcome"],
            registry=registry,
        )
        self.flood = Counter(
            "coach_telegram_429", "429 Too Many Requests answers from Telegram", registry=registry
        )
        self.send_queue = Gauge(
            "coach_send_queue",
            "Requests waiting for a slot under Telegram's limit (reply or reminder)",
            ["kind"],
            registry=registry,
        )
        self.reminders_claimed = Counter(
            "coach_reminders_claimed", "Reminders claimed to be sent", registry=registry
        )
        self.reminders_sent = Counter("coach_reminders_sent", "Reminders sent", registry=registry)
        self.reminders_skipped = Counter(
            "coach_reminders_skipped",
            (
                "Reminders not sent, by reason (late: fell due while the bot was down;"
                " recent_session; changed: taken back after a change of times or a pause)"
            ),
            ["reason"],
            registry=registry,
        )
        self.reminders_failed = Counter(
            "coach_reminders_failed",
            "Reminder sends that failed, by reason (blocked; retry: tried again later)",
            ["reason"],
            registry=registry,
        )
        self.reminders_waiting = Gauge(
            "coach_reminders_waiting", "Claimed reminders not sent yet", registry=registry
        )
        self.oldest_reminder_lateness = Gauge(
            "coach_oldest_pending_reminder_lateness_seconds",
            "How far past its time the oldest claimed, unsent reminder is (0 if none is)",
            registry=registry,
        )
        self.minutes_not_fitting = Gauge(
            "coach_reminder_minutes_not_fitting",
            "Minutes in the next half hour whose reminders are forecast to go out more "
            "than an hour late",
            registry=registry,
        )
        self.forecast_latest = Gauge(
            "coach_reminder_forecast_latest_seconds",
            "How late the last reminder of the coming batches is forecast to go out",
            registry=registry,
        )
        self.chart_seconds = Histogram(
            "coach_chart_seconds",
            "Time the chart worker took to draw one /progress chart",
            buckets=CHART_BUCKETS,
            registry=registry,
        )

    def watch_queue(self, replies: Callable[[], float], reminders: Callable[[], float]) -> None:
        self.send_queue.labels("reply").set_function(replies)
        self.send_queue.labels("reminder").set_function(reminders)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    async def serve(self, _request: web.Request) -> web.Response:
        """GET /metrics (aiohttp handler)."""
        return web.Response(body=self.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def request_outcome(status: int | None) -> str:
    """A Bot API answer's status as a metric label (None: no answer came)."""
    if status is None:
        return "timeout"
    if 200 <= status < 300:
        return "ok"
    if status == 429:
        return "429"
    return "4xx" if status < 500 else "5xx"
