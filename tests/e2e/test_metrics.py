"""The Prometheus metrics, scraped over HTTP and parsed as Prometheus would: in polling
mode on METRICS_PORT, after a session, a 429, a reminder and a chart."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import metrics_server
from bot.config import Settings
from bot.emulator import BotApiEmulator
from tests.conftest import FakeClock
from tests.e2e.helpers import free_port, onboard
from tests.e2e.history import do_session
from tests.e2e.person import Person
from tests.e2e.test_reminders import local_today, run_due


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, metrics_port=free_port())


async def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by name and labels."""
    url = f"http://127.0.0.1:{port}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_updates_sends_429s_reminders_and_charts(
    bot: Any, settings: Settings, alex: Person, emulator: BotApiEmulator, clock: FakeClock
) -> None:
    assert settings.metrics_port is not None
    clock.set(local_today(clock, 7).astimezone(UTC))
    async with metrics_server(bot):
        await onboard(alex)
        clock.set(local_today(clock, 8, 1).astimezone(UTC))
        await run_due(bot)  # the morning reminder
        clock.set(local_today(clock, 17, 30).astimezone(UTC))
        emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await do_session(alex, "5", "3")
        clock.set(local_today(clock, 18, 1).astimezone(UTC))
        await run_due(bot)  # the evening one: not sent, a session was done half an hour ago
        await alex.say("/progress", expect=2)
        samples = await scrape(settings.metrics_port)

    taps = samples[("coach_update_seconds_count", (("kind", "callback_query"),))]
    assert taps >= 14  # the set-up's buttons, 13 session taps
    assert samples[("coach_update_seconds_count", (("kind", "message"),))] >= 3
    sent = samples[
        ("coach_telegram_requests_total", (("method", "sendMessage"), ("outcome", "ok")))
    ]
    assert sent >= 5
    assert (
        samples[("coach_telegram_requests_total", (("method", "sendMessage"), ("outcome", "429")))]
        == 1
    )
    assert samples[("coach_telegram_429_total", ())] == 1
    assert samples[("coach_reminders_claimed_total", ())] == 2
    assert samples[("coach_reminders_sent_total", ())] == 1
    assert samples[("coach_reminders_skipped_total", (("reason", "recent_session"),))] == 1
    assert samples[("coach_reminders_waiting", ())] == 0
    assert samples[("coach_oldest_pending_reminder_lateness_seconds", ())] == 0
    assert samples[("coach_reminder_minutes_not_fitting", ())] == 0
    assert samples[("coach_send_queue", (("kind", "reply"),))] == 0
    assert samples[("coach_chart_seconds_count", ())] == 1
    assert samples[("coach_chart_seconds_sum", ())] > 0
    # Nothing about a person: no chat or user ids among the labels.
    labels = {name for _, pairs in samples for name, _ in pairs}
    assert labels <= {"kind", "method", "outcome", "reason", "le"}
