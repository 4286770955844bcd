"""Reminders, as the person sees them: the reminder's own buttons (Start session, Snooze,
Skip), /reminders to see and change the times, /pause and /resume, and Telegram's word
that the person blocked or unblocked the bot. (Sending them is `sweep.py`.)"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot.catalog import Html, Texts
from bot.coach.reminders import SNOOZE, DueReminder, next_reminder
from bot.coach.states import AwaitingText, DeliveryReason, DeliveryStatus, Onboarding
from bot.coach.timezones import parse_clock_time, zone_facts
from bot.programme import Programme
from bot.store.models import User
from bot.store.queries import UserChanges
from bot.store.reminders import ReminderStore
from bot.telegram import callbacks
from bot.telegram.kernel import (
    PRIVATE_MESSAGE,
    Context,
    Feature,
    Handler,
    Kernel,
    PersonHandler,
    Screen,
    button,
    close_buttons,
    keyboard,
    reply,
)
from bot.telegram.render import per_day, zone_text
from bot.telegram.session import Session

log = logging.getLogger(__name__)

_SNOOZE_HOURS = int(SNOOZE / timedelta(hours=1))


def reminder_times(person: User) -> tuple[time, time]:
    return time.fromisoformat(person.morning_reminder), time.fromisoformat(person.evening_reminder)


def schedule_for(person: User, now: datetime) -> DueReminder:
    """The next reminder for a person whose reminders are on, from `now` on."""
    return next_reminder(now, person.time_zone, *reminder_times(person))


def reminder_screen(t: Texts, programme: Programme, delivery_id: int, slot: str) -> Screen:
    """The reminder itself, with its three buttons."""
    return Screen(
        t(
            "reminder-morning" if slot == "morning" else "reminder-evening",
            programme=programme.title,
            per_day=per_day(t, programme),
        ),
        keyboard(
            [button(t("reminder-start-button"), callbacks.reminder_button(delivery_id, "go"))],
            [
                button(
                    t("reminder-snooze-button", hours=_SNOOZE_HOURS),
                    callbacks.reminder_button(delivery_id, "snooze"),
                ),
                button(t("reminder-skip-button"), callbacks.reminder_button(delivery_id, "skip")),
            ],
        ),
    )


def _when(t: Texts, moment: datetime, now: datetime, zone: str) -> str:
    """ "today 18:00", "tomorrow 08:00" or "Mon, Mar 2 08:00", in the person's zone."""
    local, today = moment.astimezone(ZoneInfo(zone)), now.astimezone(ZoneInfo(zone)).date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        return t("when-today", time=clock)
    if local.date() == today + timedelta(days=1):
        return t("when-tomorrow", time=clock)
    return t("when-later", day=t.day(local.date()), time=clock)


class Reminders(Feature):
    def __init__(self, kernel: Kernel, reminders: ReminderStore, session: Session) -> None:
        self.kernel = kernel
        self.store = kernel.store
        self.reminders = reminders
        self.session = session

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        set_up = self._set_up
        return [
            CommandHandler("reminders", set_up(self.show_settings), filters=PRIVATE_MESSAGE),
            CommandHandler("pause", set_up(self.pause), filters=PRIVATE_MESSAGE),
            CommandHandler("resume", set_up(self.resume), filters=PRIVATE_MESSAGE),
            CallbackQueryHandler(
                self.kernel.for_person(self.settings_button),
                pattern=callbacks.REMINDER_SETTINGS_PATTERN,
            ),
            CallbackQueryHandler(self.reminder_button, pattern=callbacks.REMINDER_PATTERN),
            ChatMemberHandler(self.chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        ]

    def _set_up(self, handler: PersonHandler) -> Handler:
        return self.kernel.for_person(handler, set_up=True)

    async def reschedule(self, person: User) -> None:
        """After set-up, or a change of times, zone or on/off: when is the next one?"""
        assert person.id is not None
        now = self.kernel.clock()
        due = None
        if person.reminders_on and person.onboarding is Onboarding.DONE:
            due = schedule_for(person, now)
        withdrawn = await self.reminders.schedule(person.id, due, changed_at=now)
        if withdrawn:
            # Claimed and counted, never to be sent: counted as skipped, so that claimed
            # = sent + skipped + failed holds for an operator.
            self.kernel.metrics.reminders_skipped.labels("changed").inc(withdrawn)
            log.info("user %d: %d reminder(s) claimed early taken back", person.id, withdrawn)

    # /reminders, /pause, /resume

    async def show_settings(
        self, update: Update, context: Context, person: User, note: str = ""
    ) -> None:
        t = self.kernel.texts(context)
        now = self.kernel.clock()
        fresh = await self.store.user(person.telegram_user_id) or person
        zone = Html(zone_text(t, zone_facts(fresh.time_zone, now)))
        times = {"morning": fresh.morning_reminder, "evening": fresh.evening_reminder, "zone": zone}
        if fresh.reminders_on:
            state = t("reminders-on", **times)
            if fresh.next_reminder_at is not None:
                next_due = _when(t, fresh.next_reminder_at, now, fresh.time_zone)
                state += "\n" + t("reminders-next", when=next_due)
            toggle = button(t("reminders-off-button"), callbacks.REMINDERS_OFF)
        else:
            state = t("reminders-off", **times)
            toggle = button(t("reminders-on-button"), callbacks.REMINDERS_ON)
        markup = keyboard(
            [
                button(t("reminders-change-morning-button"), callbacks.REMINDERS_MORNING),
                button(t("reminders-change-evening-button"), callbacks.REMINDERS_EVENING),
            ],
            [button(t("time-zone-change-button"), callbacks.ZONE_CHANGE)],
            [toggle],
        )
        await reply(update, f"{note}\n\n{state}" if note else state, markup)

    async def pause(self, update: Update, context: Context, person: User) -> None:
        await self._switch(update, context, person, on=False)

    async def resume(self, update: Update, context: Context, person: User) -> None:
        await self._switch(update, context, person, on=True)

    async def _switch(self, update: Update, context: Context, person: User, *, on: bool) -> None:
        assert person.id is not None
        await self.store.update_user(person.id, UserChanges(reminders_on=on))
        person.reminders_on = on
        await self.reschedule(person)
        await self.show_settings(update, context, person)  # its first line says on or paused

    async def settings_button(self, update: Update, context: Context, person: User) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None and person.id is not None
        t = self.kernel.texts(context)
        await query.answer()
        if query.data in (callbacks.REMINDERS_OFF, callbacks.REMINDERS_ON):
            await close_buttons(query, t("reminders-changing"))
            await self._switch(update, context, person, on=query.data == callbacks.REMINDERS_ON)
            return
        slot = "morning" if query.data == callbacks.REMINDERS_MORNING else "evening"
        awaiting = AwaitingText.MORNING_TIME if slot == "morning" else AwaitingText.EVENING_TIME
        await self.store.update_user(person.id, UserChanges(awaiting_text=awaiting))
        await close_buttons(query, t(f"reminders-changing-{slot}"))
        await reply(update, t(f"reminders-send-{slot}"))

    async def typed_time(self, update: Update, context: Context, person: User) -> None:
        """A morning or evening time typed after "Change morning time" (or evening)."""
        message = update.effective_message
        assert message is not None and message.text is not None and person.id is not None
        t = self.kernel.texts(context)
        slot = "morning" if person.awaiting_text is AwaitingText.MORNING_TIME else "evening"
        value = parse_clock_time(message.text)
        if value is None:
            await reply(update, t(f"reminders-unreadable-{slot}"))
            return
        morning, evening = reminder_times(person)
        morning, evening = (value, evening) if slot == "morning" else (morning, value)
        if morning >= evening:
            await reply(update, t(f"reminders-morning-first-{slot}", evening=f"{evening:%H:%M}"))
            return
        person.morning_reminder, person.evening_reminder = f"{morning:%H:%M}", f"{evening:%H:%M}"
        person.awaiting_text = AwaitingText.NOTHING
        await self.store.update_user(
            person.id,
            UserChanges(
                morning_reminder=person.morning_reminder,
                evening_reminder=person.evening_reminder,
                awaiting_text=AwaitingText.NOTHING,
            ),
        )
        await self.reschedule(person)
        await self.show_settings(update, context, person, note=t("saved"))

    # The reminder's buttons

    async def reminder_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None and query.message is not None
        t = self.kernel.texts(context)
        press = callbacks.parse_reminder_press(query.data)
        person = await self.kernel.read_person(update, context)
        delivery = await self.reminders.delivery(press[0]) if press else None
        if press is None or person is None or delivery is None or delivery.user_id != person.id:
            await query.answer(t("reminder-gone"))
            return
        assert delivery.id is not None
        action = press[1]
        now = self.kernel.clock()
        message_id = query.message.message_id
        if action == "snooze":
            until = now + SNOOZE
            done = await self.reminders.answer(
                delivery.id, message_id, now, status=DeliveryStatus.SNOOZED, due_at=until
            )
            local = until.astimezone(ZoneInfo(person.time_zone))
            note = t("reminder-snoozed", time=f"{local:%H:%M}")
        elif action == "skip":
            done = await self.reminders.answer(
                delivery.id,
                message_id,
                now,
                status=DeliveryStatus.SKIPPED,
                reason=DeliveryReason.BY_USER,
            )
            note = t("reminder-skipped")
        else:
            done = await self.reminders.answer(
                delivery.id, message_id, now, status=DeliveryStatus.SENT
            )
            note = t("reminder-go")
        if not done and action != "go":
            await query.answer(t("reminder-already-answered"))
            return
        await query.answer(note if done else None)
        key = (
            "reminder-answered-morning"
            if delivery.slot == "morning"
            else "reminder-answered-evening"
        )
        await close_buttons(query, t(key, note=note))
        if action == "go":
            await self.session.open(update, context, person)

    async def chat_member(self, update: Update, context: Context) -> None:
        """Blocked or unblocked in a private chat: reminders stop or resume."""
        change = update.my_chat_member
        if change is None or change.chat.type != "private":
            return
        person = await self.store.user(change.from_user.id)
        if person is None or person.id is None:
            return
        reachable = change.new_chat_member.status not in ("kicked", "left")
        if await self.reminders.set_active(person.id, reachable):
            log.info("user %d %s the bot", person.id, "unblocked" if reachable else "blocked")
