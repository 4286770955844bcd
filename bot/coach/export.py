"""A person's data as files they can keep or hand to their physiotherapist.

CSV: one row per exercise result and per pain rating. FHIR R4: a Bundle of Observations,
one per pain rating, coded LOINC 72514-3 (pain severity, 0-10 numeric rating).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

LOINC_PAIN_SEVERITY = "72514-3"
LOINC_PAIN_DISPLAY = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"

CSV_COLUMNS = (
    "record",
    "session_id",
    "time_utc",
    "time_local",
    "exercise",
    "side",
    "outcome",
    "pain_moment",
    "pain_score",
)


@dataclass(frozen=True)
class ResultRow:
    session_id: int
    exercise_key: str
    side: str | None
    outcome: str
    recorded_at: datetime


@dataclass(frozen=True)
class PainRow:
    # "before" / "after" a session (session_id set), or "check-in" (a number sent
    # outside a session). A session's ratings carry its start and finish times.
    moment: str
    score: int
    recorded_at: datetime
    session_id: int | None = None


def _times(moment: datetime, zone: ZoneInfo) -> tuple[str, str]:
    return moment.isoformat(timespec="seconds"), moment.astimezone(zone).isoformat(
        timespec="seconds"
    )


def export_csv(results: Sequence[ResultRow], pains: Sequence[PainRow], time_zone: str) -> str:
    """All rows, oldest first; times in UTC and in the person's zone (ISO 8601)."""
    zone = ZoneInfo(time_zone)
    rows: list[tuple[datetime, list[str]]] = []
    for result in results:
        rows.append(
            (
                result.recorded_at,
                [
                    "exercise_result",
                    str(result.session_id),
                    *_times(result.recorded_at, zone),
                    result.exercise_key,
                    result.side or "",
                    result.outcome,
                    "",
                    "",
                ],
            )
        )
    for pain in pains:
        rows.append(
            (
                pain.recorded_at,
                [
                    "pain_rating",
                    "" if pain.session_id is None else str(pain.session_id),
                    *_times(pain.recorded_at, zone),
                    "",
                    "",
                    "",
                    pain.moment,
                    str(pain.score),
                ],
            )
        )
    rows.sort(key=lambda row: row[0])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(row for _, row in rows)
    return out.getvalue()


def fhir_bundle(
    pains: Sequence[PainRow], time_zone: str, telegram_user_id: int, now: datetime
) -> dict[str, Any]:
    """A FHIR R4 collection Bundle: one pain-severity Observation per rating. (`total` is
    left out: FHIR allows it only on search and history bundles.)"""
    zone = ZoneInfo(time_zone)
    subject = {
        "identifier": {"system": "https://telegram.org/user-id", "value": str(telegram_user_id)}
    }
    entries = []
    for index, pain in enumerate(sorted(pains, key=lambda p: p.recorded_at), start=1):
        note = (
            f"Rated {pain.moment} exercise session {pain.session_id}"
            if pain.session_id is not None
            else "Rated outside an exercise session"
        )
        observation_id = f"pain-{index}"
        entries.append(
            {
                "fullUrl": f"urn:uuid:{_uuid_for(telegram_user_id, index)}",
                "resource": {
                    "resourceType": "Observation",
                    "id": observation_id,
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "observation-category",
                                    "code": "survey",
                                    "display": "Survey",
                                }
                            ]
                        }
                    ],
                    "code": {
                        "coding": [
                            {
                                "system": "http://loinc.org",
                                "code": LOINC_PAIN_SEVERITY,
                                "display": LOINC_PAIN_DISPLAY,
                            }
                        ],
                        "text": "Pain severity (0-10)",
                    },
                    "subject": subject,
                    "effectiveDateTime": pain.recorded_at.astimezone(zone).isoformat(
                        timespec="seconds"
                    ),
                    "valueInteger": pain.score,
                    "note": [{"text": note}],
                },
            }
        )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.isoformat(timespec="seconds"),
        "entry": entries,
    }


def _uuid_for(telegram_user_id: int, index: int) -> str:
    """A stable UUID per (person, rating) so that a re-export names the same resources."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"glute-coach:{telegram_user_id}:pain:{index}"))
