"""/progress, /history, /export, /delete and /safety: a person's own record, in their hands."""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, timedelta
from multiprocessing import get_context

from telegram import InputFile, Update

from bot.coach.export import export_csv, fhir_bundle
from bot.coach.progress import WINDOW_DAYS, progress, window
from bot.coach.timezones import local_date
from bot.programme import Programme, Safety
from bot.store.queries import Store
from bot.store.records import RecordStore
from bot.telegram import callbacks
from bot.telegram.charts import ChartData, ChartPoint, draw_progress
from bot.telegram.handlers import Clock, Context, close_buttons, read_person, reply
from bot.telegram.render import Renderer
from bot.telegram.render_records import RecordsRenderer

log = logging.getLogger(__name__)

HISTORY_SESSIONS = 10


class Records:
    def __init__(
        self,
        store: Store,
        records: RecordStore,
        programme: Programme,
        safety: Safety,
        clock: Clock,
    ) -> None:
        self.store = store
        self.records = records
        self.programme = programme
        self.clock = clock
        self.render = RecordsRenderer(programme, safety)
        self.coach_render = Renderer(programme, safety)
        self._charts: ProcessPoolExecutor | None = None

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
            self._charts = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._charts, draw_progress, data
            )
        except BrokenProcessPool:
            # The worker died (killed, out of memory): start a new one for the next chart.
            self._charts = None
            raise

    async def progress(self, update: Update, context: Context) -> None:
        assert update.effective_user is not None and update.effective_chat is not None
        user = await read_person(self.store, update, context)
        if user is None or user.id is None:
            await reply(update, "Send /start to begin; then I can show your progress.")
            return
        now = self.clock()
        days = window(date.fromisoformat(local_date(now, user.time_zone)))
        # A day's margin: local dates are filtered exactly below, UTC start times roughly.
        records = await self.records.sessions(user.id, since=now - timedelta(days=WINDOW_DAYS + 1))
        records = [r for r in records if r.local_date >= days[0]]  # (the chart's points too)
        figures = progress(records, days[-1])
        if not any(count for _, count in figures.sessions_per_day) and not any(
            r.pain_before is not None for r in records
        ):
            screen = self.render.no_progress()
            await reply(update, screen.text, screen.keyboard)
            return
        data = ChartData(
            points=tuple(ChartPoint(r.local_date, r.pain_before, r.pain_after) for r in records),
            sessions_per_day=figures.sessions_per_day,
            target_min=self.programme.sessions_per_day_min,
            target_max=self.programme.sessions_per_day_max,
            time_zone=user.time_zone,
        )
        png = await self._draw(data)
        await update.get_bot().send_photo(
            update.effective_chat.id,
            InputFile(png, filename="progress.png"),
            caption=self.render.progress_caption(),
        )
        await reply(update, self.render.progress(figures))

    async def history(self, update: Update, context: Context) -> None:
        assert update.effective_user is not None
        user = await read_person(self.store, update, context)
        if user is None or user.id is None:
            await reply(update, "Send /start to begin.")
            return
        records = await self.records.sessions(user.id, limit=HISTORY_SESSIONS)
        results = await self.records.results_of([r.session_id for r in records])
        await reply(update, self.render.history(records, results))

    async def export(self, update: Update, context: Context) -> None:
        assert update.effective_user is not None and update.effective_chat is not None
        user = await read_person(self.store, update, context)
        if user is None or user.id is None:
            await reply(update, "I hold nothing about you: you haven't started yet.")
            return
        results, pains = await self.records.everything(user.id)
        now = self.clock()
        stamp = local_date(now, user.time_zone)
        table = export_csv(results, pains, user.time_zone)
        bundle = fhir_bundle(pains, user.time_zone, user.telegram_user_id, now)
        bot, chat = update.get_bot(), update.effective_chat.id
        await bot.send_document(
            chat,
            InputFile(table.encode(), filename=f"glute-coach-{stamp}.csv"),
            caption=self.render.export_caption("csv"),
        )
        await bot.send_document(
            chat,
            InputFile(
                json.dumps(bundle, indent=2).encode(), filename=f"glute-coach-{stamp}.fhir.json"
            ),
            caption=self.render.export_caption("fhir"),
        )

    async def delete(self, update: Update, context: Context) -> None:
        assert update.effective_user is not None
        user = await read_person(self.store, update, context)
        if user is None or user.id is None:
            await reply(update, "I hold nothing about you, so there is nothing to delete.")
            return
        screen = self.render.delete_confirm(user.id)
        await reply(update, screen.text, screen.keyboard)

    async def delete_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None and update.effective_user is not None
        if query.data == callbacks.DELETE_KEEP:
            await query.answer("Kept.")
            await close_buttons(query, "Nothing was deleted.")
            return
        user = await read_person(self.store, update, context)
        row_id = callbacks.parse_delete_button(query.data)
        if user is None or user.id is None or user.id != row_id:
            await query.answer("There's nothing to delete with this button.")
            return
        counts, session_ids = await self.records.delete_person(user.id)
        left = await self.records.remaining(user.id, user.telegram_user_id, session_ids)
        if left:
            log.error("deleting a person left %d rows behind", left)
            raise RuntimeError("rows left after deleting a person")
        log.info("deleted a person's data: %s", counts)
        await query.answer("Deleted.")
        await close_buttons(query, "Deleted.")
        await reply(update, self.render.deleted())

    async def safety(self, update: Update, context: Context) -> None:
        await reply(update, self.render.safety_overview())
        screen = self.coach_render.red_flags_question()
        await reply(update, screen.text, screen.keyboard)
