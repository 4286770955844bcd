from datetime import UTC, datetime, time

import pytest

from bot.coach.timezones import (
    ZoneFacts,
    find_time_zone,
    local_date,
    parse_clock_time,
    parse_two_times,
    zone_facts,
)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("new_york", "America/New_York"),
        ("  Los   Angeles ", "America/Los_Angeles"),
        ("Munich", "Europe/Berlin"),
        ("San Francisco", "America/Los_Angeles"),
        ("Mumbai", "Asia/Kolkata"),
        ("Tokyo", "Asia/Tokyo"),
        ("UTC", "Etc/UTC"),
        ("+2", "Etc/GMT-2"),
        ("UTC+2", "Etc/GMT-2"),
        ("gmt -5", "Etc/GMT+5"),
        ("+05:30", "Asia/Kolkata"),
        ("+5:45", "Asia/Kathmandu"),
        ("-03:30", "America/St_Johns"),
        ("+14", "Etc/GMT-14"),
        ("+0", "Etc/UTC"),
    ],
)
def test_zone_from_city_name_or_offset(typed: str, zone: str) -> None:
    assert find_time_zone(typed) == zone


@pytest.mark.parametrize("typed", ["Atlantis", "", "+15", "+05:17", "+2:75", "x" * 100, "🙂"])
def test_unknown_is_none(typed: str) -> None:
    assert find_time_zone(typed) is None


def test_zone_facts_give_offset_local_time_and_whether_it_is_fixed() -> None:
    winter = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
    assert zone_facts("Europe/Berlin", winter) == ZoneFacts(
        "Europe/Berlin", "+01:00", "13:00", False
    )
    assert zone_facts("Europe/Berlin", summer) == ZoneFacts(
        "Europe/Berlin", "+02:00", "14:00", False
    )
    assert zone_facts("America/St_Johns", winter).offset == "-03:30"
    # "+2" is the IANA zone Etc/GMT-2 (its sign the other way round): UTC+02:00, fixed.
    assert zone_facts("Etc/GMT-2", summer) == ZoneFacts("Etc/GMT-2", "+02:00", "14:00", True)


def test_local_date_crosses_the_date_line() -> None:
    moment = datetime(2026, 3, 1, 11, 30, tzinfo=UTC)
    assert local_date(moment, "Pacific/Kiritimati") == "2026-03-02"  # UTC+14
    assert local_date(moment, "Pacific/Pago_Pago") == "2026-03-01"  # UTC-11


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("07:30", time(7, 30)), ("7:05", time(7, 5)), ("19.00", time(19)), ("23:59", time(23, 59))],
)
def test_clock_time(typed: str, expected: time) -> None:
    assert parse_clock_time(typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "7.5", "noon?", "12:60", "", "1200"])
def test_bad_clock_time(typed: str) -> None:
    assert parse_clock_time(typed) is None


def test_two_times_in_any_order_and_separator() -> None:
    assert parse_two_times("07:30, 19:00") == (time(7, 30), time(19))
    assert parse_two_times("19:00 and 7:30") == (time(7, 30), time(19))
    assert parse_two_times("08:00 18:00") == (time(8), time(18))
    assert parse_two_times("08:00") is None
    assert parse_two_times("08:00, 08:00") is None
    assert parse_two_times("08:00, 25:00") is None
    assert parse_two_times("08:00, 12:00, 18:00") is None
