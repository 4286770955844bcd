"""What the /progress chart shows: from the first day (a week at least) to today, each
session's pair of ratings in its own place, stopped sessions marked and not counted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.catalog import Catalog
from bot.coach.progress import SessionRecord, progress
from bot.coach.timezones import zone_facts
from bot.programme import Programme
from bot.telegram.charts import draw_progress
from bot.telegram.records import chart_data
from bot.telegram.render import zone_label

TODAY = date(2026, 12, 1)


def session(n: int, day: date, before: int, after: int | None, done: int = 11) -> SessionRecord:
    return SessionRecord(n, day, before, after, done, 11, finished=True)


def test_a_first_session_is_a_week_ending_today(catalog: Catalog, programme: Programme) -> None:
    records = [session(1, TODAY, 4, 3)]
    figures = progress(records, TODAY, first_day=TODAY)
    data = chart_data(catalog.texts(), programme, "Europe/Berlin", records, figures, TODAY)
    assert len(data.sessions_per_day) == 7 and data.sessions_per_day[-1] == 1
    assert data.labels.days[-1] == "Today" and len(data.labels.days) == 7
    (point,) = data.points
    assert (point.day, point.nth, point.of, point.counted) == (6, 0, 1, True)
    assert draw_progress(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_two_sessions_a_day_sit_side_by_side_and_a_stopped_one_is_not_counted(
    catalog: Catalog, programme: Programme
) -> None:
    start = TODAY - timedelta(days=40)
    records = [
        session(1, TODAY - timedelta(days=1), 5, 4),
        session(2, TODAY - timedelta(days=1), 4, 3),
        session(3, TODAY, 8, None, done=0),  # stopped for pain
    ]
    figures = progress(records, TODAY, first_day=start)
    data = chart_data(catalog.texts(), programme, "Europe/Berlin", records, figures, start)
    assert len(data.sessions_per_day) == 28  # the whole window once past four weeks
    assert data.sessions_per_day[-2:] == (2, 0)
    assert [(p.day, p.nth, p.of, p.counted) for p in data.points] == [
        (26, 0, 2, True),
        (26, 1, 2, True),
        (27, 0, 1, False),
    ]


def test_the_title_names_a_fixed_offset_as_people_write_it(catalog: Catalog) -> None:
    # "+2" is stored as Etc/GMT-2, whose sign reads the wrong way round to a person.
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert zone_label(catalog.texts(), zone_facts("Etc/GMT-2", now)) == "UTC+02:00"
    assert zone_label(catalog.texts(), zone_facts("Europe/Berlin", now)) == "Europe/Berlin"
