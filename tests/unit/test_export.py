"""The CSV and FHIR files /export produces, from plain rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from fhirclient.models.bundle import Bundle
from fhirclient.models.fhirabstractbase import FHIRValidationError
from fhirclient.models.observation import Observation

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


def test_the_fhir_bundle_is_valid_fhir_r4() -> None:
    """Read by a FHIR library's R4 (4.0.1) models, strictly: every field known, of its
    type, and every required one there - as a physiotherapist's software would read it."""
    pains = [PainRow("before", 5, START, 3), PainRow("after", 3, LATER, 3)]
    pains.append(PainRow("check-in", 0, LATER))
    bundle = Bundle(fhir_bundle(pains, "Europe/Berlin", 1001, LATER), strict=True)
    assert bundle.type == "collection" and bundle.entry is not None
    observations = [entry.resource for entry in bundle.entry]
    assert all(isinstance(o, Observation) for o in observations)
    assert [o.valueInteger for o in observations] == [5, 3, 0]
    assert observations[0].effectiveDateTime.isostring == "2026-03-29T01:30:00+01:00"


def test_the_fhir_check_finds_a_broken_bundle() -> None:
    """(The check above can fail.)"""
    broken = fhir_bundle([PainRow("before", 5, START, 3)], "UTC", 1001, LATER)
    del broken["entry"][0]["resource"]["status"]
    with pytest.raises(FHIRValidationError, match="status"):
        Bundle(broken, strict=True)


def test_csv_values_with_commas_quotes_and_new_lines_come_back_whole() -> None:
    awkward = 'clams, "slow"\nand steady'
    results = [ResultRow(1, awkward, "left", "done", START)]
    text = export_csv(results, [PainRow("before", 4, START, 1)], "UTC")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    (result,) = [row for row in rows if row["record"] == "exercise_result"]
    assert result["exercise"] == awkward
    assert [row["record"] for row in rows] == ["exercise_result", "pain_rating"]
