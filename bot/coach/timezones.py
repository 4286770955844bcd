"""Find an IANA time zone from what a person typed: a zone name, a city, or a UTC offset."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Large cities that are not themselves the name of an IANA zone. Zone names cover most
# capitals ("Berlin", "Tokyo", "New York"); these are the ones people type that do not.
CITY_ALIASES: dict[str, str] = {
    "washington": "America/New_York",
    "boston": "America/New_York",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "philadelphia": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "austin": "America/Chicago",
    "montreal": "America/Toronto",
    "ottawa": "America/Toronto",
    "munich": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "manchester": "Europe/London",
    "edinburgh": "Europe/London",
    "milan": "Europe/Rome",
    "barcelona": "Europe/Madrid",
    "geneva": "Europe/Zurich",
    "krakow": "Europe/Warsaw",
    "st petersburg": "Europe/Moscow",
    "saint petersburg": "Europe/Moscow",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
    "hong kong": "Asia/Hong_Kong",
    "osaka": "Asia/Tokyo",
    "abu dhabi": "Asia/Dubai",
    "canberra": "Australia/Sydney",
    "rio de janeiro": "America/Sao_Paulo",
    "rio": "America/Sao_Paulo",
    "wellington": "Pacific/Auckland",
    "cape town": "Africa/Johannesburg",
}

# Offsets that are not whole hours have no Etc/GMT zone; these are the places that use them.
_PARTIAL_HOUR_ZONES: dict[timedelta, str] = {
    timedelta(hours=-9, minutes=-30): "Pacific/Marquesas",
    timedelta(hours=-3, minutes=-30): "America/St_Johns",
    timedelta(hours=3, minutes=30): "Asia/Tehran",
    timedelta(hours=4, minutes=30): "Asia/Kabul",
    timedelta(hours=5, minutes=30): "Asia/Kolkata",
    timedelta(hours=5, minutes=45): "Asia/Kathmandu",
    timedelta(hours=6, minutes=30): "Asia/Yangon",
    timedelta(hours=8, minutes=45): "Australia/Eucla",
    timedelta(hours=9, minutes=30): "Australia/Darwin",
    timedelta(hours=10, minutes=30): "Australia/Lord_Howe",
    timedelta(hours=12, minutes=45): "Pacific/Chatham",
}

_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?:[:.h]?(\d{2}))?$")


@cache
def _zones_by_lower_name() -> dict[str, str]:
    """Every zone by its full name and by its last part ("berlin", "new york")."""
    zones: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if name.startswith(("Etc/", "SystemV/")) or "/" not in name:
            continue
        zones[name.lower()] = name
        city = name.rsplit("/", 1)[-1].replace("_", " ").lower()
        # First one wins: "America/..." zones sort before "US/..." links.
        zones.setdefault(city, name)
    return zones


def is_valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_from_offset(text: str) -> str | None:
    """ "+2", "UTC-5", "+05:30" to a zone with that offset (fixed, without summer time)."""
    match = _OFFSET.match(text.strip().lower())
    if not match:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
    if minutes:
        return _PARTIAL_HOUR_ZONES.get(offset)
    if not -12 <= offset.total_seconds() / 3600 <= 14:
        return None
    if hours == 0:
        return "Etc/UTC"
    # POSIX-style names invert the sign: Etc/GMT-2 is two hours ahead of UTC.
    return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"


def find_time_zone(text: str) -> str | None:
    """The IANA zone a person means by a zone name, a city or an offset; None if unknown."""
    cleaned = " ".join(text.strip().split())
    if not cleaned or len(cleaned) > 64:
        return None
    if cleaned.upper() in ("UTC", "GMT", "Z"):
        return "Etc/UTC"
    by_offset = zone_from_offset(cleaned)
    if by_offset:
        return by_offset
    key = cleaned.lower().replace("_", " ")
    if key in CITY_ALIASES:
        return CITY_ALIASES[key]
    zones = _zones_by_lower_name()
    return zones.get(cleaned.lower()) or zones.get(key) or zones.get(key.replace(" ", "_"))


@dataclass(frozen=True)
class ZoneFacts:
    """What to tell a person about their zone when confirming it."""

    name: str
    offset: str  # "+01:00", "-03:30"
    local_time: str  # "14:05"
    # A fixed offset ("+2" becomes Etc/GMT-2: the IANA name's sign is the other way
    # round) never changes for daylight saving; the person should be told so, and never
    # shown the confusing name.
    fixed: bool


def zone_facts(name: str, now: datetime) -> ZoneFacts:
    local = now.astimezone(ZoneInfo(name))
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    fixed = name.startswith("Etc/") or name in ("UTC", "GMT")
    return ZoneFacts(name, f"{sign}{minutes // 60:02d}:{minutes % 60:02d}", f"{local:%H:%M}", fixed)


_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")


def parse_clock_time(text: str) -> time | None:
    """ "07:30", "7:30", "19.00" to a time of day; None for anything else."""
    match = _TIME.match(text.strip().lower())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_two_times(text: str) -> tuple[time, time] | None:
    """Two times of day separated by a comma, "and" or spaces, earlier first."""
    parts = [part for part in re.split(r"\s*(?:,|;|\band\b|\s)\s*", text.strip()) if part]
    if len(parts) != 2:
        return None
    first, second = parse_clock_time(parts[0]), parse_clock_time(parts[1])
    if first is None or second is None or first == second:
        return None
    return (first, second) if first < second else (second, first)


def local_date(now: datetime, zone: str) -> str:
    """The calendar date (ISO) at `now` in `zone`."""
    return now.astimezone(ZoneInfo(zone)).date().isoformat()


def utc_now() -> datetime:
    return datetime.now(UTC)
