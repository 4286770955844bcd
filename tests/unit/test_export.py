"""The CSV and FHIR files /export produces, from plain rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from bot.coach.export import (
    CSV_COLUMNS,
    LOINC_PAIN_SEVERITY,
    PainRow,
    ResultRow,
    export_csv,
    fhir_bundle,
)

START = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 in Berlin, before the clock change
LATER = datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 in Berlin, summer time


def test_csv_has_one_row_per_result_and_rating_in_time_order() -> None:
    results = [
        ResultRow(7, "bridge", None, "done", LATER),
        ResultRow(7, "clam", "left", "skipped", START),
    ]
    pains = [PainRow("after", 2, LATER, 7), PainRow("check-in", 6, START)]
    table = list(csv.DictReader(io.StringIO(export_csv(results, pains, "Europe/Berlin"))))
    assert tuple(table[0].keys()) == CSV_COLUMNS
    assert len(table) == 4
    assert [row["time_utc"] for row in table] == [
        "2026-03-29T00:30:00+00:00",
        "2026-03-29T00:30:00+00:00",
        "2026-03-29T07:00:00+00:00",
        "2026-03-29T07:00:00+00:00",
    ]
    clam = next(row for row in table if row["exercise"] == "clam")
    assert clam == {
        "record": "exercise_result",
        "session_id": "7",
        "time_utc": "2026-03-29T00:30:00+00:00",
        "time_local": "2026-03-29T01:30:00+01:00",
        "exercise": "clam",
        "side": "left",
        "outcome": "skipped",
        "pain_moment": "",
        "pain_score": "",
    }
    checkin = next(row for row in table if row["pain_moment"] == "check-in")
    assert (checkin["session_id"], checkin["pain_score"]) == ("", "6")
    after = next(row for row in table if row["pain_moment"] == "after")
    assert after["time_local"] == "2026-03-29T09:00:00+02:00"  # summer time


def test_csv_of_nothing_is_just_the_header() -> None:
    assert export_csv([], [], "UTC") == ",".join(CSV_COLUMNS) + "\n"


def test_fhir_bundle_has_one_pain_observation_per_rating() -> None:
    pains = [PainRow("before", 5, START, 3), PainRow("check-in", 4, LATER)]
    bundle = fhir_bundle(pains, "Europe/Berlin", 1001, LATER)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert "total" not in bundle  # only search and history bundles may carry it
    observations = [entry["resource"] for entry in bundle["entry"]]
    assert [o["valueInteger"] for o in observations] == [5, 4]
    for entry, observation in zip(bundle["entry"], observations, strict=True):
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert observation["resourceType"] == "Observation"
        assert observation["status"] == "final"
        (coding,) = observation["code"]["coding"]
        assert (coding["system"], coding["code"]) == ("http://loinc.org", LOINC_PAIN_SEVERITY)
        assert observation["subject"]["identifier"]["value"] == "1001"
    assert observations[0]["effectiveDateTime"] == "2026-03-29T01:30:00+01:00"
    assert "session 3" in observations[0]["note"][0]["text"]
    # Exporting again names the same resources.
    again = fhir_bundle(pains, "Europe/Berlin", 1001, LATER)
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in bundle["entry"]]
