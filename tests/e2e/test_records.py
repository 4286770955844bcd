"""/progress, /history, /export and /delete against the emulator and a real database."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import re

from fhirclient.models.bundle import Bundle
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.coach.export import LOINC_PAIN_SEVERITY
from bot.emulator import BotApiEmulator
from bot.programme import Programme
from tests.e2e.helpers import onboard, rows
from tests.e2e.history import PastSession, add_history, do_session
from tests.e2e.person import Person

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PERSONAL = {
    "users": "SELECT COUNT(*) AS n FROM users WHERE id = :u",
    "sessions": "SELECT COUNT(*) AS n FROM sessions WHERE user_id = :u",
    "exercise_results": "SELECT COUNT(*) AS n FROM exercise_results WHERE session_id IN "
    "(SELECT id FROM sessions WHERE user_id = :u)",
    "pain_checkins": "SELECT COUNT(*) AS n FROM pain_checkins WHERE user_id = :u",
    "reminder_deliveries": "SELECT COUNT(*) AS n FROM reminder_deliveries WHERE user_id = :u",
}


async def counts(engine: AsyncEngine, user_row_id: int) -> dict[str, int]:
    return {
        table: (await rows(engine, sql, u=user_row_id))[0]["n"] for table, sql in PERSONAL.items()
    }


async def user_row(engine: AsyncEngine, person: Person) -> int:
    (user,) = await rows(
        engine, "SELECT id FROM users WHERE telegram_user_id = :t", t=person.user_id
    )
    return int(user["id"])


async def test_progress_is_a_png_chart_and_figures_for_four_weeks_of_data(
    bot: object,
    engine: AsyncEngine,
    alex: Person,
    programme: Programme,
    emulator: BotApiEmulator,
) -> None:
    await onboard(alex)
    # Four weeks, pain falling from 6 to 2; twice a day on even days.
    history = [
        PastSession(days_ago=d, pain_before=2 + d // 7, pain_after=1 + d // 7)
        for d in range(27, 0, -1)
    ] + [PastSession(days_ago=d, pain_before=3, pain_after=2) for d in range(26, 0, -2)]
    await add_history(engine, programme, alex.user_id, history)

    chart, figures = await alex.say("/progress", expect=2)

    assert "photo" in chart.extra
    upload = emulator.files[(alex.user_id, chart.message_id)]
    assert upload.data[:8] == PNG_SIGNATURE
    assert upload.png_size() == (800, 600)
    assert 10_000 < len(upload.data) < 1_000_000
    assert "sessions per day" in chart.text
    # The last 7 days (today has none yet): days 1..6 ago, 3 of them even.
    assert "This week: 9 sessions on 6 of 7 days (86% of days" in figures.text
    assert "Streak: 27 days in a row." in figures.text
    assert "meaningful improvement" in figures.text


async def test_progress_without_data_is_a_friendly_text(
    bot: object, alex: Person, emulator: BotApiEmulator
) -> None:
    await onboard(alex)
    (reply,) = await alex.say("/progress")
    assert "nothing to chart" in reply.text
    assert "photo" not in reply.extra
    assert reply.button_texts() == ["Start session"]
    assert not emulator.files


async def test_history_lists_the_last_sessions(
    bot: object, engine: AsyncEngine, alex: Person, programme: Programme
) -> None:
    await onboard(alex)
    await add_history(engine, programme, alex.user_id, [PastSession(2, 5, 3)])
    await do_session(alex, "4", "2", answer="⏭ Skip")
    (reply,) = await alex.say("/history")
    entries = reply.text.split("\n\n")[1:]
    assert len(entries) == 2
    assert "pain 4/10 → 2/10; 0 of 6 exercises done in full." in entries[0]  # newest first
    assert "⏭ Skipped: Glute Hip Bridge, Prone Hip Extension" in entries[0]
    assert "pain 5/10 → 3/10; 6 of 6 exercises done in full." in entries[1]
    assert "✅ Done: Glute Hip Bridge" in entries[1]


async def test_export_csv_and_fhir_match_the_rows(
    bot: object, engine: AsyncEngine, alex: Person, emulator: BotApiEmulator
) -> None:
    await onboard(alex)
    await do_session(alex, "5", "3")
    await alex.say("6")  # a check-in
    csv_message, fhir_message = await alex.say("/export", expect=2)

    assert csv_message.extra["document"]["file_name"].endswith(".csv")
    table = list(
        csv.DictReader(io.StringIO(emulator.files[(alex.user_id, csv_message.message_id)]
                                   .data.decode()))
    )  # fmt: skip
    results = await rows(engine, "SELECT * FROM exercise_results ORDER BY step")
    exported = [r for r in table if r["record"] == "exercise_result"]
    assert [(r["exercise"], r["side"] or None, r["outcome"]) for r in exported] == [
        (r["exercise_key"], r["side"], r["outcome"]) for r in results
    ]
    (session,) = await rows(engine, "SELECT * FROM sessions")
    assert {r["session_id"] for r in exported} == {str(session["id"])}
    pains = [(r["pain_moment"], r["pain_score"]) for r in table if r["record"] == "pain_rating"]
    assert pains == [("before", "5"), ("after", "3"), ("check-in", "6")]
    assert all(r["time_utc"].endswith("+00:00") for r in table)
    assert all(r["time_local"][-6:] in ("+01:00", "+02:00") for r in table)  # Berlin

    assert fhir_message.extra["document"]["file_name"].endswith(".fhir.json")
    bundle = json.loads(emulator.files[(alex.user_id, fhir_message.message_id)].data)
    Bundle(bundle, strict=True)  # valid FHIR R4, as read by a FHIR library's models
    observations = [entry["resource"] for entry in bundle["entry"]]
    assert [o["valueInteger"] for o in observations] == [5, 3, 6]
    # Each row of the CSV once, each field whole (the csv module's own reading).
    assert len(table) == len(results) + 3
    assert {o["code"]["coding"][0]["code"] for o in observations} == {LOINC_PAIN_SEVERITY}


async def test_delete_removes_every_row_of_that_person_and_no_one_else(
    bot: object, engine: AsyncEngine, alex: Person, emulator: BotApiEmulator
) -> None:
    sam = Person(emulator, 1002, "Sam")
    for person in (alex, sam):
        await onboard(person)
        await do_session(person, "4", "3")
        await person.say("5")
    alex_id, sam_id = await user_row(engine, alex), await user_row(engine, sam)
    sam_before = await counts(engine, sam_id)
    assert sam_before == {**sam_before, "users": 1, "sessions": 1, "exercise_results": 11,
                          "pain_checkins": 1}  # fmt: skip

    (confirm,) = await alex.say("/delete")
    assert "cannot be undone" in confirm.text
    question = confirm.snapshot()
    pressed = await alex.press(question, "Yes, delete everything")
    assert pressed.answer == "Deleted."
    assert "everything I held about you is deleted" in pressed.messages[-1].text

    assert await counts(engine, alex_id) == dict.fromkeys(PERSONAL, 0)
    assert (
        await rows(engine, "SELECT id FROM users WHERE telegram_user_id = :t", t=alex.user_id) == []
    )
    assert await counts(engine, sam_id) == sam_before

    # The old confirmation does nothing now, not even after Alex comes back.
    again = await alex.press(question, "Yes, delete everything", expect=0)
    assert again.answer == "There's nothing to delete with this button."
    welcome, _question = await alex.say("/start", expect=2)
    assert welcome.text.startswith("Hello Alex!")
    again = await alex.press(question, "Yes, delete everything", expect=0)
    assert again.answer == "There's nothing to delete with this button."
    assert len(await rows(engine, "SELECT id FROM users")) == 2


async def test_delete_can_be_declined(bot: object, engine: AsyncEngine, alex: Person) -> None:
    await onboard(alex)
    await alex.say("3")
    await alex.say("/delete")
    pressed = await alex.press_last("No, keep it", expect=0)
    assert pressed.answer == "Kept."
    assert alex.last.text == "Nothing was deleted."
    assert (await counts(engine, await user_row(engine, alex)))["pain_checkins"] == 1


async def test_delete_and_export_for_someone_unknown(bot: object, alex: Person) -> None:
    (reply,) = await alex.say("/delete")
    assert "nothing to delete" in reply.text
    (reply,) = await alex.say("/export")
    assert "I hold nothing about you" in reply.text


async def test_a_dead_chart_worker_costs_one_chart_and_is_replaced(
    bot: object, engine: AsyncEngine, alex: Person, programme: Programme
) -> None:
    await onboard(alex)
    await add_history(engine, programme, alex.user_id, [PastSession(1, 4, 3)])
    chart, _ = await alex.say("/progress", expect=2)
    assert "photo" in chart.extra
    (worker,) = multiprocessing.active_children()
    worker.kill()
    worker.join(5)
    (apology,) = await alex.say("/progress")
    assert "something went wrong" in apology.text
    _chart, figures = await alex.say("/progress", expect=2)
    assert "photo" in chart.extra
    assert "Your progress" in figures.text


async def test_counts_and_words_a_new_person_meets(bot: object, alex: Person) -> None:
    """First day: "1 session", "1 of 1 day", not "1 sessions" or "14% of days"; the
    summary counts the six exercises the person was told about; a fixed offset says so;
    /history shows the time and what was skipped."""
    await alex.say("/start", expect=2)
    await alex.press_last("None of these")
    (zone,) = await alex.say("+2")
    assert "UTC+02:00, a fixed offset" in zone.text and "Etc/GMT" not in zone.text
    await alex.press_last("Keep these")
    summary = await do_session(alex, "3", "2")
    assert "Session complete. 6 of 6 exercises done." in summary
    assert "Do the following" not in summary  # nothing follows it here
    assert "The handout asks for 1-2 sessions a day." in summary
    _chart, figures = await alex.say("/progress", expect=2)
    assert "Since you started: 1 session on 1 of 1 day" in figures.text
    assert "%" not in figures.text.split("\n")[1]
    assert "Streak: 1 day." in figures.text
    # Said once at set-up; after that the zone is short.
    settings = (await alex.say("/reminders"))[0].text
    assert "UTC+02:00 (a fixed offset" in settings and "daylight saving" not in settings
    (history,) = await alex.say("/history")
    assert re.search(r"<b>\w+, \w+ \d+, \d\d:\d\d</b>", history.html or "")


async def test_a_third_session_in_a_day_is_asked_about(
    bot: object, engine: AsyncEngine, alex: Person
) -> None:
    await onboard(alex)
    await do_session(alex, "2", "2")
    summary = await do_session(alex, "2", "1")
    assert "More isn't better" in summary  # told to rest after the second
    (ask,) = await alex.say("/session")
    assert "2 sessions today already" in ask.text
    assert ask.button_texts() == ["Rest until tomorrow", "Start another session anyway"]
    rest = await alex.press(ask.snapshot(), "Rest until tomorrow", expect=0)
    assert (
        rest.answer is None
        and "Resting until tomorrow" in alex.emulator.messages[(alex.user_id, ask.message_id)].text
    )
    assert len(await rows(engine, "SELECT id FROM sessions")) == 2
    (ask,) = await alex.say("/session")
    (first,) = (await alex.press(ask, "Start another session anyway")).messages
    assert "How much pain do you have right now?" in first.text
    assert len(await rows(engine, "SELECT id FROM sessions")) == 3
