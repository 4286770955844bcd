# A person's own record: /progress, /history, /export, /delete.

no-progress = No sessions in the last { $weeks ->
        [one] week
       *[other] { $weeks } weeks
    } yet, so there's nothing to chart. Do a session and I'll start drawing your progress. You can also send a number from { $pain_min } to { $pain_max } at any time to log your pain.
progress-title = <b>Your progress</b>
progress-week = This week: { $sessions ->
        [one] { $sessions } session
       *[other] { $sessions } sessions
    } on { $days } of { $week_days } days ({ NUMBER($share, style: "percent") } of days; the handout asks for { $min }-{ $max } a day).
progress-first-week = Since you started: { $sessions ->
        [0] no session counted yet
        [one] { $sessions } session on { $days } of { $week_days ->
            [one] { $week_days } day
           *[other] { $week_days } days
        }
       *[other] { $sessions } sessions on { $days } of { $week_days ->
            [one] { $week_days } day
           *[other] { $week_days } days
        }
    } (the handout asks for { $min }-{ $max } a day).
progress-stopped = Ended before any exercise was done: { $sessions ->
        [one] { $sessions } session
       *[other] { $sessions } sessions
    } (not counted above).
progress-streak = Streak: { $days ->
        [one] { $days } day
       *[other] { $days } days in a row
    }.
progress-change-down = Pain during a session, on average: down { NUMBER($points, minimumFractionDigits: 1, maximumFractionDigits: 1) } points.
progress-change-up = Pain during a session, on average: up { NUMBER($points, minimumFractionDigits: 1, maximumFractionDigits: 1) } points.
progress-change-none = Pain during a session, on average: unchanged.
progress-no-trend = Trend: a few more sessions and I can show how your pain is changing.
progress-meaningful = Trend: pain before sessions fell from { NUMBER($baseline, minimumFractionDigits: 1, maximumFractionDigits: 1) } to { NUMBER($recent, minimumFractionDigits: 1, maximumFractionDigits: 1) }, a <b>meaningful improvement</b> ({ $points } points or { NUMBER($fraction, style: "percent") } is the published threshold for a change that matters).
progress-some-drop = Trend: pain before sessions fell from { NUMBER($baseline, minimumFractionDigits: 1, maximumFractionDigits: 1) } to { NUMBER($recent, minimumFractionDigits: 1, maximumFractionDigits: 1) }; not yet the { $points } points or { NUMBER($fraction, style: "percent") } that counts as a meaningful change. Keep going at your own pace.
progress-no-drop = Trend: pain before sessions went from { NUMBER($baseline, minimumFractionDigits: 1, maximumFractionDigits: 1) } to { NUMBER($recent, minimumFractionDigits: 1, maximumFractionDigits: 1) }, no improvement yet. If it keeps getting worse, talk to a physiotherapist.
progress-caption = Pain before and after each session (top) and sessions per day against the handout's target (bottom), the last { $days } days.

# The chart's own labels.
chart-title = Your pain and sessions, the last { $days } days ({ $zone })
chart-pain-before = Pain before
chart-pain-after = Pain after
chart-not-counted = Pain before a session not finished, or finished with nothing done (not counted)
chart-today = Today
chart-pain-axis = Pain ({ $pain_min }-{ $pain_max })
chart-sessions = Sessions
chart-target = Target: { $min }-{ $max } a day

history-none = No sessions yet. Send /session to do your first one.
history-title = <b>Your last sessions</b>
history-entry =
    <b>{ $day }, { $time }</b> ({ $state }): pain { $before } → { $after }; { $done } of { $total ->
        [one] { $total } exercise
       *[other] { $total } exercises
    } done in full.
    { $details }
history-group = { $outcome }: { $names }
history-finished = finished
history-ended-early = ended early
history-entry-stopped = <b>{ $day }, { $time }</b> (stopped for severe pain): pain before { $before }; no exercises.
history-not-finished = not finished
history-no-rating = -
history-rating = { $score }/{ $pain_max }

export-csv-caption = Everything I hold about your exercises and pain, one row per exercise result and per pain rating (times in UTC and your local time).
export-fhir-caption = Your pain ratings as a FHIR R4 bundle (LOINC 72514-3), a standard format that health records and physiotherapy software can import.

delete-confirm =
    <b>Delete everything?</b> This removes your account, all sessions, exercise results, pain ratings and reminders from this bot's database. It cannot be undone. (Send /export first if you want a copy.)

    The messages in this chat are kept by Telegram, not by me: you can clear the chat yourself.
delete-yes-button = Yes, delete everything
delete-no-button = No, keep it
delete-kept-toast = Kept.
delete-kept = Nothing was deleted.
delete-nothing-here = There's nothing to delete with this button.
deleted-toast = Deleted.
deleted = Done: everything I held about you is deleted. If you send /start, I'll greet you as someone new.
