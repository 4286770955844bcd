"""A person's own record, to look back on: /progress and /history (/export and /delete
are in privacy.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, timedelta
from multiprocessing import get_context
from zoneinfo import ZoneInfo

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.catalog import Html, Texts
from bot.coach.progress import (
    MEANINGFUL_DROP_FRACTION,
    MEANINGFUL_DROP_POINTS,
    WEEK_DAYS,
    WINDOW_DAYS,
    Progress,
    SessionRecord,
    progress,
    window,
)
from bot.coach.session import Outcome, exercises_done, summarise
from bot.coach.timezones import local_date, zone_facts
from bot.programme import Programme
from bot.store.models import ExerciseResult, User
from bot.store.records import RecordStore
from bot.telegram.charts import (
    ChartData,
    ChartLabels,
    ChartPoint,
    draw_progress,
    worker_started,
)
from bot.telegram.kernel import (
    PRIVATE_MESSAGE,
    Context,
    Feature,
    Kernel,
    reply,
)
from bot.telegram.render import (
    exercise_entries,
    outcome_label,
    start_session_keyboard,
    zone_label,
)

log = logging.getLogger(__name__)

HISTORY_SESSIONS = 10
WINDOW_WEEKS = WINDOW_DAYS // WEEK_DAYS


class Records(Feature):
    def __init__(self, kernel: Kernel, records: RecordStore) -> None:
        self.kernel = kernel
        self.records = records
        self._charts: ProcessPoolExecutor | None = None

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        guard = self.kernel.for_person
        return [
            # Charts take a few hundred milliseconds and only read: they run
            # beside the updates that follow (block=False) instead of holding up everyone's
            # replies.
            CommandHandler("progress", guard(self.progress), filters=PRIVATE_MESSAGE, block=False),
            CommandHandler("history", guard(self.history), filters=PRIVATE_MESSAGE),
        ]

    def close(self) -> None:
        if self._charts is not None:
            self._charts.shutdown(wait=True, cancel_futures=True)

    async def _draw(self, data: ChartData) -> bytes:
        """Draw a chart in a worker process, started on the first chart.

        Drawing takes a few hundred milliseconds of pure-Python CPU. In a worker thread it
        would hold the interpreter lock against the event loop (measured: other people's
        p99 reply time +80% with a chart a second; see bench/progress.py); a process runs
        on another core and takes nothing from the loop. One worker: charts queue rather
        than multiply. "spawn", because forking a process with running threads is unsafe.
        """
        if self._charts is None:
            self._charts = ProcessPoolExecutor(
                max_workers=1, mp_context=get_context("spawn"), initializer=worker_started
            )
        started = time.perf_counter()
        try:
            chart = await asyncio.get_running_loop().run_in_executor(
                self._charts, draw_progress, data
            )
            self.kernel.metrics.chart_seconds.observe(time.perf_counter() - started)
            return chart
        except BrokenProcessPool:
            # The worker died (killed, out of memory): start a new one for the next chart.
            self._charts = None
            raise

    # /progress

    async def progress(self, update: Update, context: Context, person: User) -> None:
        assert person.id is not None and update.effective_chat is not None
        t = self.kernel.texts(context)
        now = self.kernel.clock()
        days = window(date.fromisoformat(local_date(now, person.time_zone)))
        # A day's margin: local dates are filtered exactly below, UTC start times roughly.
        records = await self.records.sessions(
            person.id, since=now - timedelta(days=WINDOW_DAYS + 1)
        )
        records = [r for r in records if r.local_date >= days[0]]  # (the chart's points too)
        joined_on = date.fromisoformat(local_date(person.created_at, person.time_zone))
        started = min([joined_on, *(r.local_date for r in records)])
        figures = progress(records, days[-1], first_day=started)
        if not any(count for _, count in figures.sessions_per_day) and not any(
            r.pain_before is not None for r in records
        ):
            await reply(update, t("no-progress", weeks=WINDOW_WEEKS), start_session_keyboard(t))
            return
        zone = zone_label(t, zone_facts(person.time_zone, now))
        data = chart_data(t, self.kernel.programme, zone, records, figures, started)
        png = await self._draw(data)
        await update.get_bot().send_photo(
            update.effective_chat.id,
            InputFile(png, filename="progress.png"),
            caption=t("progress-caption", days=len(data.sessions_per_day)),
        )
        await reply(update, self._figures(t, figures))

    def _figures(self, t: Texts, figures: Progress) -> str:
        programme = self.kernel.programme
        lines = [
            t("progress-title"),
            t(
                "progress-week" if figures.week_days == WEEK_DAYS else "progress-first-week",
                sessions=figures.sessions_this_week,
                days=figures.days_this_week,
                week_days=figures.week_days,
                share=figures.adherence,
                min=programme.sessions_per_day_min,
                max=programme.sessions_per_day_max,
            ),
        ]
        if figures.stopped_this_week:
            lines.append(t("progress-stopped", sessions=figures.stopped_this_week))
        if figures.streak:
            lines.append(t("progress-streak", days=figures.streak))
        change = figures.average_change
        if change is not None:
            key = "progress-change-down" if change < 0 else "progress-change-up"
            lines.append(t(key if change else "progress-change-none", points=abs(change)))
        trend = figures.trend
        if trend is None:
            lines.append(t("progress-no-trend"))
        else:
            key = (
                "progress-meaningful"
                if trend.meaningful
                else "progress-some-drop"
                if trend.drop > 0
                else "progress-no-drop"
            )
            lines.append(
                t(
                    key,
                    baseline=trend.baseline,
                    recent=trend.recent,
                    points=MEANINGFUL_DROP_POINTS,
                    fraction=MEANINGFUL_DROP_FRACTION,
                )
            )
        return "\n".join(lines)

    # /history

    async def history(self, update: Update, context: Context, person: User) -> None:
        assert person.id is not None
        records = await self.records.sessions(person.id, limit=HISTORY_SESSIONS)
        results = await self.records.results_of([r.session_id for r in records])
        text = self._history(self.kernel.texts(context), person.time_zone, records, results)
        await reply(update, text)

    def _history(
        self,
        t: Texts,
        time_zone: str,
        records: Sequence[SessionRecord],
        results: dict[int, list[ExerciseResult]],
    ) -> str:
        if not records:
            return t("history-none")
        zone = ZoneInfo(time_zone)

        def rating(score: int | None) -> Html:
            return t.html(
                "history-no-rating" if score is None else "history-rating", score=score or 0
            )

        entries = []
        for record in reversed(records):
            outcomes = {r.step: r.outcome for r in results.get(record.session_id, [])}
            summary = summarise(self.kernel.steps, outcomes, record.pain_before, record.pain_after)
            groups: dict[Outcome | None, list[str]] = {}
            for outcome, title in exercise_entries(t, summary):
                groups.setdefault(outcome, []).append(title)
            details = [
                t("history-group", outcome=outcome_label(t, outcome), names=Html(", ".join(names)))
                for outcome, names in groups.items()
            ]
            started = record.started_at.astimezone(zone) if record.started_at else None
            when = {"day": t.day(record.local_date), "time": f"{started:%H:%M}" if started else ""}
            if record.stopped_for_pain:
                entries.append(
                    t("history-entry-stopped", before=rating(record.pain_before), **when)
                )
                continue
            entries.append(
                t(
                    "history-entry",
                    **when,
                    state=t(
                        "history-not-finished"
                        if not record.finished
                        else "history-ended-early"
                        if summary.count(None)
                        else "history-finished"
                    ),
                    before=rating(record.pain_before),
                    after=rating(record.pain_after),
                    done=exercises_done(summary),
                    total=len(self.kernel.programme.exercises),
                    details=Html("\n".join(details)),
                )
            )
        return t("history-title") + "\n\n" + "\n\n".join(entries)


def chart_data(
    t: Texts,
    programme: Programme,
    zone: str,  # as the title shows it (render.zone_label)
    records: Sequence[SessionRecord],
    figures: Progress,
    started: date,
) -> ChartData:
    """The chart's days: from the person's first day (a week at least) to today."""
    window_days = [day for day, _ in figures.sessions_per_day]
    span = max(WEEK_DAYS, min(len(window_days), (window_days[-1] - started).days + 1))
    shown = list(window_days[-span:])
    index = {day: i for i, day in enumerate(shown)}
    per_day: dict[date, int] = {}
    points = []
    for record in records:
        if record.local_date not in index:
            continue
        nth = per_day.get(record.local_date, 0)
        per_day[record.local_date] = nth + 1
        points.append((record, nth))
    counts = dict(figures.sessions_per_day)
    low, high = programme.sessions_per_day_min, programme.sessions_per_day_max
    day_labels = (*tuple(t.short_day(day) for day in shown[:-1]), t("chart-today"))
    return ChartData(
        points=tuple(
            ChartPoint(
                index[r.local_date],
                nth,
                per_day[r.local_date],
                r.pain_before,
                r.pain_after,
                r.counts,
            )
            for r, nth in points
        ),
        sessions_per_day=tuple(counts.get(day, 0) for day in shown),
        target_min=low,
        target_max=high,
        labels=ChartLabels(
            title=t("chart-title", days=len(shown), zone=zone),
            pain_before=t("chart-pain-before"),
            pain_after=t("chart-pain-after"),
            not_counted=t("chart-not-counted"),
            pain_axis=t("chart-pain-axis"),
            sessions=t("chart-sessions"),
            target=t("chart-target", min=low, max=high),
            days=day_labels,
        ),
    )
