"""A fast double tap on an exercise's Done: the first counts; the second lands on the next
step's button (the tapped message has turned into that step) and must not count."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from tests.conftest import FakeClock
from tests.e2e.helpers import onboard, rows
from tests.e2e.person import Person


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The real double-tap window (the other tests switch it off: their people tap the
    next button milliseconds after the last answer)."""
    return dataclasses.replace(settings, double_tap_seconds=Settings.double_tap_seconds)


async def test_a_second_tap_right_after_the_first_records_nothing(
    bot: object, engine: AsyncEngine, alex: Person, clock: FakeClock
) -> None:
    await onboard(alex)
    await alex.press_last("Start session")
    await alex.press_last("4")
    clock.advance(timedelta(seconds=20))  # the bridge takes a while
    first = await alex.press_last("✅ Done")
    assert "Prone Hip Extension" in first.messages[0].text
    second = await alex.press_last("✅ Done", expect=0)  # at once, on the same spot
    assert second.answer is not None and "didn't count it" in second.answer
    results = await rows(engine, "SELECT exercise_key FROM exercise_results")
    assert results == [{"exercise_key": "glute_hip_bridge"}]
    # A real answer a little later counts as usual.
    clock.advance(timedelta(seconds=20))
    third = await alex.press_last("✅ Done")
    assert "right side" in third.messages[0].text
    assert len(await rows(engine, "SELECT * FROM exercise_results")) == 2


async def test_a_pain_rating_is_never_taken_for_a_double_tap(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    await onboard(alex)
    await alex.press_last("Start session")
    (first,) = (await alex.press_last("4")).messages  # right after opening
    assert "Exercise 1 of 6" in first.text
