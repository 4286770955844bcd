"""Set-up: /start, the red-flag question (and /safety), the time zone, the reminder times.

Set-up moves through `coach.states.Onboarding` once; /start later just greets the person
back, or asks again whatever set-up question they have not answered yet.
"""

from __future__ import annotations

from datetime import time

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.catalog import Html, html_list
from bot.coach.planning import spread_defaults
from bot.coach.safety import RISING_SESSIONS
from bot.coach.states import AwaitingText, Onboarding, RedFlagAnswer
from bot.coach.timezones import find_time_zone, is_valid_zone, parse_two_times, zone_facts
from bot.store.models import User
from bot.store.queries import UserChanges
from bot.telegram import callbacks
from bot.telegram.kernel import (
    PRIVATE_MESSAGE,
    Context,
    Feature,
    Kernel,
    Screen,
    button,
    close_buttons,
    keyboard,
    reply,
    show,
)
from bot.telegram.reminders import Reminders
from bot.telegram.render import per_day, red_flags_question, start_session_keyboard, zone_text
from bot.telegram.session import Session

# The zones offered as buttons when we ask; anything else is typed as a city or offset.
SUGGESTED_ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Sydney",
)


def _hhmm(value: time) -> str:
    return f"{value:%H:%M}"


def onboarding_if(person: User, stage: Onboarding) -> Onboarding:
    """Move set-up forward to `stage`, but never back once it is done."""
    return person.onboarding if person.onboarding is Onboarding.DONE else stage


class Setup(Feature):
    def __init__(self, kernel: Kernel, session: Session, reminders: Reminders) -> None:
        self.kernel = kernel
        self.store = kernel.store
        self.session = session
        self.reminders = reminders

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        guard = self.kernel.for_person
        return [
            CommandHandler("start", self.start, filters=PRIVATE_MESSAGE),
            CommandHandler("safety", self.safety_command, filters=PRIVATE_MESSAGE),
            CallbackQueryHandler(guard(self.red_flags_answer), pattern=callbacks.RED_FLAGS_PATTERN),
            CallbackQueryHandler(guard(self.time_zone_button), pattern=callbacks.ZONE_PATTERN),
            CallbackQueryHandler(
                guard(self.reminder_times_button), pattern=callbacks.SETUP_TIMES_PATTERN
            ),
        ]

    # /start

    async def start(self, update: Update, context: Context) -> None:
        t = self.kernel.texts(context)
        person = await self.kernel.read_person(update, context)
        if person is None:
            person = await self._new_person(update, context)
            names = html_list(exercise.title for exercise in self.kernel.programme.exercises)
            hello = t.html("hello-named", name=person.first_name) if person.first_name else None
            await reply(
                update,
                t(
                    "welcome",
                    hello=hello or t.html("hello"),
                    programme=self.kernel.programme.title,
                    count=len(self.kernel.programme.exercises),
                    exercises=names,
                    frequency=self.kernel.programme.frequency,
                ),
            )
            await show(update, red_flags_question(t, self.kernel.safety))
            return
        if person.onboarding is not Onboarding.DONE:
            await self.continue_setup(update, context, person)
            return
        today = await self.kernel.session_today(person)
        hello = (
            t.html("welcome-back-hello-named", name=person.first_name)
            if person.first_name
            else t.html("welcome-back-hello")
        )
        if today is not None:
            text = t("welcome-back-in-session", hello=hello)
        else:
            text = t("welcome-back", hello=hello, per_day=per_day(t, self.kernel.programme))
        await reply(update, text, start_session_keyboard(t, resume=today is not None))

    async def _new_person(self, update: Update, context: Context) -> User:
        assert update.effective_user is not None and update.effective_chat is not None
        settings = self.kernel.settings
        morning, evening = spread_defaults(
            settings.reminder_times, settings.reminder_spread_minutes, update.effective_user.id
        )
        return await self.store.add_user(
            User(
                telegram_user_id=update.effective_user.id,
                chat_id=update.effective_chat.id,
                first_name=(update.effective_user.first_name or "")[:256],
                time_zone=self.kernel.settings.default_timezone,
                morning_reminder=_hhmm(morning),
                evening_reminder=_hhmm(evening),
                created_at=self.kernel.clock(),
                language=context.language[:16],
            )
        )

    async def continue_setup(self, update: Update, context: Context, person: User) -> None:
        """Ask again whatever set-up question the person has not answered yet."""
        if person.onboarding is Onboarding.RED_FLAGS:
            await show(update, red_flags_question(self.kernel.texts(context), self.kernel.safety))
        elif person.onboarding is Onboarding.TIME_ZONE:
            await self.ask_time_zone(update, context, person)
        else:
            await self._ask_reminder_times(update, context, person)

    # Red flags

    async def safety_command(self, update: Update, context: Context) -> None:
        t = self.kernel.texts(context)
        safety = self.kernel.safety
        await reply(
            update,
            t(
                "safety-overview",
                stop_rule=safety.stop_rule.text,
                pain_monitoring=safety.pain_monitoring.text,
                stop_and_contact=safety.stop_and_contact.text,
                rising=t("rising-rule", sessions=RISING_SESSIONS),
            ),
        )
        await show(update, red_flags_question(t, safety, with_intro=False))

    async def red_flags_answer(self, update: Update, context: Context, person: User) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None and person.id is not None
        t = self.kernel.texts(context)
        if person.onboarding not in (Onboarding.RED_FLAGS, Onboarding.DONE):
            # A second tap on the set-up question after it moved on: nothing to do.
            await query.answer(t("already-answered"))
            return
        reported = query.data == callbacks.RED_FLAGS_REPORTED
        await self.store.update_user(
            person.id,
            UserChanges(
                red_flags=RedFlagAnswer.REPORTED if reported else RedFlagAnswer.NONE,
                red_flags_answered_at=self.kernel.clock(),
            ),
        )
        await query.answer()
        label = t("red-flags-reported-button" if reported else "red-flags-none-button")
        await close_buttons(query, t("red-flags-answered", answer=label))
        if reported:
            await reply(update, t("seek-care", seek_care=self.kernel.safety.red_flags.seek_care))
            return
        if person.onboarding is Onboarding.RED_FLAGS:
            await self.ask_time_zone(update, context, person)
        elif person.red_flags is RedFlagAnswer.NONE:
            # Asked again with /safety and still none: offer a session, don't start one.
            await reply(update, t("red-flags-still-none"), start_session_keyboard(t))
        else:
            person.red_flags = RedFlagAnswer.NONE
            await self.session.open(update, context, person)

    # Time zone

    async def ask_time_zone(self, update: Update, context: Context, person: User) -> None:
        assert person.id is not None
        await self.store.update_user(
            person.id,
            UserChanges(
                onboarding=onboarding_if(person, Onboarding.TIME_ZONE),
                awaiting_text=AwaitingText.TIME_ZONE,
            ),
        )
        t = self.kernel.texts(context)
        default = self.kernel.settings.default_timezone
        zones = [default, *(z for z in SUGGESTED_ZONES if z != default)]
        rows = [
            [button(zone, callbacks.zone_button(zone)) for zone in zones[i : i + 2]]
            for i in range(0, len(zones), 2)
        ]
        await show(update, Screen(t("time-zone-question"), keyboard(*rows)))

    async def time_zone_button(self, update: Update, context: Context, person: User) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        t = self.kernel.texts(context)
        if (
            query.data != callbacks.ZONE_CHANGE
            and person.awaiting_text is not AwaitingText.TIME_ZONE
        ):
            await query.answer(t("already-saved"))
            return
        await query.answer()
        if query.data == callbacks.ZONE_CHANGE:
            await close_buttons(query, t("time-zone-changing"))
            await self.ask_time_zone(update, context, person)
            return
        zone = query.data.removeprefix(callbacks.ZONE_PREFIX)
        if not is_valid_zone(zone):
            await self.ask_time_zone(update, context, person)
            return
        await close_buttons(query, t("time-zone-chosen", zone=zone))
        await self._set_time_zone(update, context, person, zone)

    async def typed_time_zone(self, update: Update, context: Context, person: User) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        zone = find_time_zone(message.text)
        if zone is None:
            shown = message.text[:40] + ("…" if len(message.text) > 40 else "")
            await reply(update, self.kernel.texts(context)("time-zone-unknown", typed=shown))
            return
        await self._set_time_zone(update, context, person, zone)

    async def _set_time_zone(
        self, update: Update, context: Context, person: User, zone: str
    ) -> None:
        assert person.id is not None
        await self.store.update_user(
            person.id,
            UserChanges(
                time_zone=zone,
                awaiting_text=AwaitingText.NOTHING,
                onboarding=onboarding_if(person, Onboarding.REMINDERS),
            ),
        )
        person.time_zone = zone
        if person.onboarding is Onboarding.DONE:
            await self.reminders.reschedule(person)
            note = self.kernel.texts(context)("time-zone-set", zone=zone)
            await self.reminders.show_settings(update, context, person, note=note)
            return
        await self._ask_reminder_times(update, context, person)

    # Reminder times

    async def _ask_reminder_times(self, update: Update, context: Context, person: User) -> None:
        t = self.kernel.texts(context)
        facts = zone_facts(person.time_zone, self.kernel.clock())
        await show(
            update,
            Screen(
                t(
                    "reminders-question",
                    zone=Html(zone_text(t, facts, explain=True)),
                    morning=person.morning_reminder,
                    evening=person.evening_reminder,
                ),
                keyboard(
                    [
                        button(t("reminders-keep-button"), callbacks.REMINDERS_KEEP),
                        button(t("reminders-change-button"), callbacks.REMINDERS_CHANGE),
                    ],
                    [button(t("time-zone-change-button"), callbacks.ZONE_CHANGE)],
                ),
            ),
        )

    async def reminder_times_button(self, update: Update, context: Context, person: User) -> None:
        query = update.callback_query
        assert query is not None and person.id is not None
        t = self.kernel.texts(context)
        if query.data == callbacks.REMINDERS_KEEP and person.onboarding is Onboarding.DONE:
            await query.answer(t("saved"))
            await close_buttons(query, t("reminder-times-kept"))
            return
        await query.answer()
        if query.data == callbacks.REMINDERS_CHANGE:
            await self.store.update_user(
                person.id, UserChanges(awaiting_text=AwaitingText.REMINDER_TIMES)
            )
            await close_buttons(query, t("reminder-times-changing"))
            await reply(update, t("reminder-times-prompt"))
            return
        await close_buttons(
            query,
            t(
                "reminder-times-chosen",
                morning=person.morning_reminder,
                evening=person.evening_reminder,
            ),
        )
        await self._finish(update, context, person)

    async def typed_reminder_times(self, update: Update, context: Context, person: User) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None and person.id is not None
        times = parse_two_times(message.text)
        if times is None:
            await reply(update, self.kernel.texts(context)("reminder-times-invalid"))
            return
        morning, evening = _hhmm(times[0]), _hhmm(times[1])
        await self.store.update_user(
            person.id, UserChanges(morning_reminder=morning, evening_reminder=evening)
        )
        person.morning_reminder, person.evening_reminder = morning, evening
        await self._finish(update, context, person)

    async def _finish(self, update: Update, context: Context, person: User) -> None:
        assert person.id is not None
        was_done = person.onboarding is Onboarding.DONE
        await self.store.update_user(
            person.id, UserChanges(onboarding=Onboarding.DONE, awaiting_text=AwaitingText.NOTHING)
        )
        person.onboarding, person.awaiting_text = Onboarding.DONE, AwaitingText.NOTHING
        await self.reminders.reschedule(person)
        t = self.kernel.texts(context)
        if was_done:
            await self.reminders.show_settings(update, context, person, note=t("saved"))
            return
        await reply(
            update,
            t(
                "all-set",
                morning=person.morning_reminder,
                evening=person.evening_reminder,
                per_day=per_day(t, self.kernel.programme),
            ),
            start_session_keyboard(t),
        )
