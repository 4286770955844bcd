# Reminders: the twice-daily message and its buttons, and /reminders, /pause, /resume.

reminder-morning = Good morning! Time for your <b>morning session</b> of { $programme }. { $per_day }
reminder-evening = Good evening! Time for your <b>evening session</b> of { $programme }. { $per_day }
reminder-start-button = Start session
reminder-snooze-button = Snooze { $hours ->
        [one] { $hours } hour
       *[other] { $hours } hours
    }
reminder-skip-button = Skip this one
reminder-gone = This reminder no longer works. Send /session to start.
reminder-already-answered = This reminder was already answered.
reminder-snoozed = Snoozed: I'll remind you again at { $time }.
reminder-skipped = Skipped this one. See you at the next reminder.
reminder-go = Let's go!
reminder-answered-morning = Morning reminder: { $note }
reminder-answered-evening = Evening reminder: { $note }

reminders-on = Reminders are <b>on</b>: <b>{ $morning }</b> (morning) and <b>{ $evening }</b> (evening), { $zone }.
reminders-off = Reminders are <b>paused</b>; /resume turns them back on. Your times are kept: { $morning } and { $evening }, { $zone }.
reminders-next = Next reminder: { $when }.
reminders-change-morning-button = Change morning time
reminders-change-evening-button = Change evening time
reminders-off-button = Turn reminders off
reminders-on-button = Turn reminders on
reminders-changing = Changing your reminders…
reminders-changing-morning = Changing the morning reminder…
reminders-changing-evening = Changing the evening reminder…
reminders-send-morning = Send the new <b>morning</b> time on the 24-hour clock, like <i>07:30</i>. /cancel keeps the old one.
reminders-send-evening = Send the new <b>evening</b> time on the 24-hour clock, like <i>19:00</i>. /cancel keeps the old one.
reminders-unreadable-morning = I couldn't read a time from that. Please send the morning time on the 24-hour clock, like <i>07:30</i>.
reminders-unreadable-evening = I couldn't read a time from that. Please send the evening time on the 24-hour clock, like <i>19:00</i>.
reminders-morning-first-morning = The morning reminder has to come before the evening one ({ $evening } now). Please send another morning time.
reminders-morning-first-evening = The morning reminder has to come before the evening one ({ $evening } now). Please send another evening time.

# When the next reminder comes, in the person's zone.
when-today = today { $time }
when-tomorrow = tomorrow { $time }
when-later = { $day } { $time }
