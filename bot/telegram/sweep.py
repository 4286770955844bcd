"""Sending the twice-daily reminders: one scheduler job for everyone, rather than a job
per person, so that the database stays the only record of what is due.

Every minute the sweep counts the people due in the next half hour by minute, and
claims those whose minute's batch is released before the next sweep (coach/planning.py:
a crowd starts up to half an hour early, so that lateness is spread around its time) -
each person's next reminder is a column, so these are indexed queries. A sender drains
the released ones, earliest chosen time first, at a steady pace under Telegram's limit,
replies to people first (see ratelimit.py), and waits for the next release. A reminder
waiting in this queue is never dropped as late; one that fell due an hour or more
before the bot started is (coach.reminders.decide). The
database is the only record: a restart rebuilds nothing, and the unique (person, slot,
local date) row means a reminder can be claimed only once.

Delivery is at least once: a reminder whose send was under way when the process died
is still "pending" and goes out again after the restart, so a kill at the worst moment
can duplicate as many reminders as were in flight (at most SENDERS at the free rate),
never lose one. Paid broadcasts are written down a tenth of a second at a time
(RECORD_EVERY), so there it can be those in flight and those sent in the last tenth of a
second: up to about 200 at 1000 a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time as clock_time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes, ExtBot, JobQueue

from bot.catalog import Catalog
from bot.coach.planning import EARLIEST, BatchForecast, claim_until, forecast
from bot.coach.reminders import (
    LATE_GRACE,
    BatchReport,
    Decision,
    DueReminder,
    decide,
    plan_claim,
)
from bot.coach.states import DeliveryReason, DeliveryStatus
from bot.metrics import Metrics
from bot.programme import Programme
from bot.store.reminders import Claim, PendingReminder, ReminderStore, SentBook, SentReminder
from bot.telegram.ratelimit import BULK, PAID_BULK
from bot.telegram.reminders import reminder_screen, reminder_times, schedule_for

Clock = Callable[[], datetime]

log = logging.getLogger(__name__)

SWEEP_EVERY = 60.0  # seconds
CLAIM_CHUNK = 1000
SEND_CHUNK = 200
# Sends in flight at once (the rate limiter paces them): at least SENDERS, and enough to
# keep up the rate over Telegram's round trip of about a tenth of a second (100 at 1000
# paid broadcasts a second).
SENDERS = 4
ROUND_TRIP = 0.1  # seconds
# Paid broadcasts: sent reminders are written down together, this long after the first
# of them was sent (a commit each held them to about 90 a second on SQLite). At the free
# rate each is written as it is sent.
RECORD_EVERY = 0.1  # seconds
# On SIGTERM, how long the sends in flight may take to finish: within the 10 s that
# process managers (systemd, Heroku, Docker) give before they kill.
STOP_GRACE = 7.0


def senders_for(rate: float) -> int:
    return max(SENDERS, math.ceil(rate * ROUND_TRIP))


class ReminderSweep:
    def __init__(
        self,
        reminders: ReminderStore,
        catalog: Catalog,
        programme: Programme,
        clock: Clock,
        rate: float = 29.0,
        paid: bool = False,
        metrics: Metrics | None = None,
    ) -> None:
        self.reminders = reminders
        self.catalog = catalog
        self.programme = programme
        self.clock = clock
        # Reminders a second (Telegram's limit, or the paid broadcast rate): what each
        # minute's batch is planned with.
        self.rate = rate
        # Sent as paid broadcasts (see config.paid_broadcast_rate).
        self.paid = paid
        self.metrics = metrics or Metrics()
        self.senders = senders_for(rate)
        self.send_chunk = max(SEND_CHUNK, 4 * self.senders)
        self._sent = SentBook(reminders, RECORD_EVERY if paid else 0.0)
        # A reminder is dropped as late only if it was overdue by an hour at this moment.
        self.up_since = clock()
        self._sender: asyncio.Task[BatchReport] | None = None
        self._stopping = False
        # Set when new reminders are claimed or the bot stops: a sender waiting for the
        # next release looks again (a newly claimed one may be released sooner).
        self._woken = asyncio.Event()
        self._warned: set[datetime] = set()
        self.last_report: BatchReport | None = None
        self.forecasts: list[BatchForecast] = []

    def start(self, job_queue: JobQueue[Any]) -> None:
        job_queue.run_repeating(self._job, interval=SWEEP_EVERY, first=1.0, name="reminders")

    async def _job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.sweep(context.bot)

    async def sweep(self, bot: ExtBot[Any]) -> asyncio.Task[BatchReport]:
        """Claim what is due; make sure a sender is draining the claimed reminders.

        Returns the sender, which runs on after the job returns: a batch of thousands
        takes minutes at Telegram's pace, and the next sweeps must not wait for it.
        """
        await self._schedule_unscheduled()
        claimed = await self.claim_planned()
        if claimed:
            self._woken.set()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self.drain(bot, claimed), name="reminder-sender")
        return self._sender

    async def _schedule_unscheduled(self) -> None:
        now = self.clock()
        for user in await self.reminders.unscheduled():
            await self.reminders.schedule(user.id or 0, schedule_for(user, now))

    async def claim_planned(self) -> int:
        """Claim every reminder whose minute's batch is released before the next sweep
        (see coach/planning.py), each row with its batch's release; warn about a minute
        that cannot be sent within its window."""
        now = self.clock()
        sweep = timedelta(seconds=SWEEP_EVERY)
        counts = await self.reminders.due_counts(now + EARLIEST + sweep)
        waiting = await self._watch_waiting()
        self.forecasts = forecast(counts, self.rate, now, backlog=waiting)
        self._warn_unfit(self.forecasts)
        self.metrics.minutes_not_fitting.set(sum(not f.fits for f in self.forecasts))
        latest = max((f.latest.total_seconds() for f in self.forecasts), default=0.0)
        self.metrics.forecast_latest.set(latest)
        until = claim_until(counts, self.rate, now + sweep)
        if until is None:
            return 0
        releases = {f.due: f.release for f in self.forecasts}
        claimed = await self.claim_due(until, releases)
        self.metrics.reminders_claimed.inc(claimed)
        return claimed

    async def _watch_waiting(self) -> int:
        """Claimed reminders not sent yet, also for the metrics."""
        waiting = await self.reminders.waiting()
        self.metrics.reminders_waiting.set(waiting.count)
        oldest = (self.clock() - waiting.oldest_due).total_seconds() if waiting.oldest_due else 0
        self.metrics.oldest_reminder_lateness.set(max(0.0, oldest))
        return waiting.count

    def _warn_unfit(self, forecasts: list[BatchForecast]) -> None:
        self._warned = {due for due in self._warned if due >= self.clock() - LATE_GRACE}
        for batch in forecasts:
            if batch.fits or batch.due in self._warned:
                continue
            self._warned.add(batch.due)
            log.warning(batch.warning(self.rate))

    async def claim_due(self, until: datetime, releases: dict[datetime, datetime]) -> int:
        """Claim the reminders due by `until`; each row may go out at its minute's
        release (its time if `releases` has none)."""
        now = self.clock()
        total = 0
        while True:
            users = await self.reminders.due_users(until, CLAIM_CHUNK)
            if not users:
                return total
            claims = []
            for user in users:
                assert user.id is not None and user.next_reminder_at is not None
                seen = DueReminder(
                    "evening" if user.next_reminder_slot == "evening" else "morning",
                    user.next_reminder_date or "",
                    user.next_reminder_at,
                )
                deliver, following = plan_claim(now, seen, user.time_zone, *reminder_times(user))
                # (A reminder caught up after downtime goes now: it is not its minute's.)
                send_at = releases.get(seen.due_at) if deliver == seen else now
                claims.append(Claim(user.id, user.next_reminder_at, following, deliver, send_at))
            total += await self.reminders.claim(claims)

    async def drain(self, bot: ExtBot[Any], claimed: int = 0) -> BatchReport:
        """Send every claimed reminder if this instance is the sender (see
        ReminderStore.sender_turn); otherwise leave them to the one that is."""
        async with self.reminders.sender_turn() as mine:
            if not mine:
                log.debug("another instance is sending reminders")
                return BatchReport(claimed=claimed)
            return await self._drain(bot, claimed)

    async def _drain(self, bot: ExtBot[Any], claimed: int) -> BatchReport:
        """Send every claimed reminder, a few at a time; one log line for the batch."""
        started = clock_time.monotonic()
        report = BatchReport(claimed=claimed)
        retry_later: set[int] = set()
        while not self._stopping:
            batch = await self.reminders.pending(self.clock(), self.send_chunk, retry_later)
            await self._watch_waiting()
            if not batch:
                if await self._wait_for_release(retry_later):
                    continue
                break
            queue: asyncio.Queue[PendingReminder] = asyncio.Queue()
            for reminder in batch:
                queue.put_nowait(reminder)
            await asyncio.gather(
                *(self._send_from(queue, bot, report, retry_later) for _ in range(self.senders))
            )
            # (Before the next look for pending ones: unwritten, they would be sent again.)
            await self._sent.write()
        if report.outcomes:
            log.info("%s in %.1fs", report, clock_time.monotonic() - started)
        self.last_report = report
        return report

    def _count(self, outcome: str) -> None:
        if outcome == "sent":
            self.metrics.reminders_sent.inc()
        elif outcome in ("blocked", "retry"):
            self.metrics.reminders_failed.labels(outcome).inc()
        else:
            self.metrics.reminders_skipped.labels(outcome).inc()

    async def _wait_for_release(self, retry_later: set[int]) -> bool:
        """Wait for the next claimed batch if it is released before the next sweep;
        False if there is none (or the bot is stopping)."""
        self._woken.clear()  # (before looking: a claim from now on wakes the wait)
        if self._stopping:
            return False
        first = (await self.reminders.waiting(retry_later)).first_release
        if first is None:
            return False
        delay = (first - self.clock()).total_seconds()
        if delay > SWEEP_EVERY:
            return False
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), delay)
        return not self._stopping

    async def _send_from(
        self,
        queue: asyncio.Queue[PendingReminder],
        bot: ExtBot[Any],
        report: BatchReport,
        retry_later: set[int],
    ) -> None:
        while not queue.empty() and not self._stopping:
            reminder = queue.get_nowait()
            outcome = await self._send_one(bot, reminder)
            report.outcomes[outcome] += 1
            self._count(outcome)
            if outcome == "retry":
                retry_later.add(reminder.delivery_id)

    async def _send_one(self, bot: ExtBot[Any], reminder: PendingReminder) -> str:
        now = self.clock()
        decision = decide(
            reminder.due_at, now, reminder.last_finished, reminder.last_answer, self.up_since
        )
        if decision is not Decision.SEND:
            await self.reminders.finish(
                reminder.delivery_id, DeliveryStatus.SKIPPED, reason=DeliveryReason(decision.value)
            )
            return decision.value
        t = self.catalog.texts(reminder.language)
        screen = reminder_screen(t, self.programme, reminder.delivery_id, reminder.slot)
        try:
            message = await bot.send_message(
                reminder.chat_id,
                screen.text,
                parse_mode=ParseMode.HTML,
                reply_markup=screen.keyboard,
                allow_paid_broadcast=True if self.paid else None,
                rate_limit_args=PAID_BULK if self.paid else BULK,
            )
        except (Forbidden, BadRequest) as error:
            # Blocked, or the chat is gone: no retries and no more reminders until they
            # write again (or unblock). Logged once, when they turn inactive.
            await self.reminders.finish(
                reminder.delivery_id, DeliveryStatus.FAILED, reason=DeliveryReason.BLOCKED
            )
            if await self.reminders.set_active(reminder.user_id, False):
                log.info("user %d can't be reached (%s): reminders stop", reminder.user_id, error)
            return "blocked"
        except (NetworkError, TelegramError) as error:
            # Timed out or Telegram had a problem: it stays pending for the next sweep
            # (and is dropped as late after an hour).
            log.debug("reminder %d not sent yet: %s", reminder.delivery_id, error)
            return "retry"
        sent = SentReminder(reminder.delivery_id, message.message_id, self.clock())
        await self._sent.add(sent, [delivery for delivery, _ in reminder.unanswered])
        await self._retire(bot, reminder)
        return "sent"

    async def _retire(self, bot: ExtBot[Any], reminder: PendingReminder) -> None:
        """At most one unanswered reminder in the chat: older ones lose their buttons (and
        are recorded as missed with this one's sending)."""
        if not reminder.unanswered or self.paid:
            # (Paid: edits are not broadcasts; at the paid rate they would hold every send
            # back to the free 29 a second. The old one keeps its buttons; a press on them
            # says it was answered or starts a session, which is harmless.)
            return
        for _, message_id in reminder.unanswered:
            try:
                await bot.edit_message_reply_markup(
                    reminder.chat_id, message_id, reply_markup=None, rate_limit_args=BULK
                )
            except TelegramError as error:
                log.debug("could not retire an old reminder: %s", error)

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Take no new reminder, let the sends in flight finish and be recorded (so a
        stop, unlike a crash, duplicates nothing), then end the sender. A send still
        hanging after `grace` seconds is cancelled: it stays pending for the next start."""
        self._stopping = True
        self._woken.set()
        if self._sender is not None and not self._sender.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._sender), grace)
            except TimeoutError:
                log.warning("reminder sends still hanging after %.0f s: cancelled", grace)
                self._sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._sender
        await self._sent.close()
