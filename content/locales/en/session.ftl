# A guided session: pain before, each exercise (and side), pain after, the summary.

resumed = Welcome back, let's carry on where you left off.
rest-today = That's { $sessions ->
        [one] a session
       *[other] { $sessions } sessions
    } today already. { $per_day } More isn't better: rest now and come back tomorrow. Or start another one anyway?
rest-today-button = Rest until tomorrow
start-anyway-button = Start another session anyway
rest-today-chosen = Resting until tomorrow. Well done today.
rest-today-declined = Another session today, then: go gently.
recall-severe-stop = ⚠️ { $when }, your pain was <b>{ $score }/{ $pain_max }</b> and the session stopped there. { $advice } { ours }
recall-recent-severe = ⚠️ In the last few hours you rated your pain <b>{ $score }/{ $pain_max }</b>. { $advice } { ours }
recall-earlier-today = Earlier today
recall-on-day = Last time ({ $day })
pain-before-question =
    <b>How much pain do you have right now?</b>
    { $pain_min } means no pain, { $pain_max } the worst pain you can imagine. Tap a number or type it.
pain-after-question =
    <b>And now, how much pain do you have?</b>
    { $pain_min } means no pain, { $pain_max } the worst pain you can imagine.

exercise =
    <b>Exercise { $number } of { $count }: { $title }</b>{ $side }
    <i>Objective: { $objective }</i>

    { $instructions }

    <b>{ $dose }</b>
side-label = { $side ->
        [left] { " " }(left side)
       *[right] { " " }(right side)
    }
# Which side comes now, with our note on which leg that means (when there is one).
side-first = Start with your <b>left side</b>; the right side comes next.
side-first-noted = Start with your <b>left side</b>: <i>{ $note }</i> { ours-note } The right side comes next.
side-second = Now your <b>right side</b>.
side-second-noted = Now your <b>right side</b>: <i>{ $note }</i> { ours-note }
exercise-next-side =
    <b>Exercise { $number } of { $count }: { $title }</b>{ $side }
    { $order }

    <b>{ $dose }</b>

done-button = ✅ Done
skip-button = ⏭ Skip
too-painful-button = ✋ Too painful
again-button = 📖 Instructions again
timer-button = ⏱ Start { $seconds } s timer{ $side }
timer-running-button = ⏱ Timer running…
video-button = ▶️ Watch the video

outcome-done = ✅ Done
outcome-skipped = ⏭ Skipped
outcome-too-painful = ✋ Too painful
outcome-not-reached = ➖ Not reached
answered-exercise = <b>{ $title }</b>{ $side }: { $outcome }
answered-pain-before = Pain before: <b>{ $score }/{ $pain_max }</b>
answered-pain-after = Pain after: <b>{ $score }/{ $pain_max }</b>
answered-pause = <b>{ $title }</b>{ $side }: ✋ Too painful. You chose: <b>{ $choice }</b>
answered-severe-pause =
    { $advice }

    <b>{ $choice }</b>
stopped-for-pain = Your rating is saved and the session ends here. Rest today, and please talk to a physiotherapist or doctor about this pain before your next session. I'm sorry it hurts this much.

too-painful =
    Noted, thank you for telling me. Don't push through pain.

    <b>From your handout:</b> { $advice }

    { $stop_rule } { ours }

    What would you like to do?
too-painful-go-on-button = Go on to the next one
too-painful-go-on-side-button = Go on to the right side
too-painful-rate-button = Rate my pain now
too-painful-stop-button = Stop exercising, rate my pain
severe-pain-advice = ⚠️ { $advice } { ours }
severe-pain-pause =
    { $advice }

    What would you like to do?
severe-pain-stop-button = Stop for today
severe-pain-rerate-button = I meant a different number

summary =
    <b>{ $early ->
        [yes] Session ended early.
       *[no] Session complete.
    }</b> { $done } of { $total ->
        [one] { $total } exercise
       *[other] { $total } exercises
    } done{ $split ->
        [0] {""}
       *[other] { " " }in full
    }.

    { $lines }

    { $pain }

    { $per_day }
summary-line = { $outcome }: { $title }{ $side }
summary-line-sides = ◐ { $title }: { $sides }
summary-side = { $side ->
        [left] left side
       *[right] right side
    } { $outcome }
summary-pain = Pain: { $before }/{ $pain_max } before, { $after }/{ $pain_max } after
summary-pain-down = { $pain } (down { $change }).
summary-pain-up = { $pain } (up { $change }).
summary-pain-same = { $pain } (no change).
summary-painful = Some of this was painful today. { $advice }

# Toasts and answers to taps.
tap-saved = Saved
double-tap = That was a very quick second tap, so I didn't count it. Tap again once you've done this one.
already-recorded = Already recorded. Send /session to see where you are.
already-recorded-here = Already recorded. This message now shows where you are.
not-there-yet = Not there yet. Send /session to see where you are.
session-was-left = You left this session. Send /session to carry on where you stopped.
session-was-finished = That session is finished. Send /session to start a new one.
session-was-earlier = That session was from an earlier day. Send /session to start today's.
pain-mid-exercise = I'll ask for your pain rating after the exercises. If this one hurts now, press <b>✋ Too painful</b> under it; if the pain is severe, stop and rest.
waiting-for-button = We're in the middle of a session, so I'm waiting for a button: use the ones under the exercise. /session shows it again; /cancel stops for now (your progress is kept).

cancel-stopped = Okay, we've stopped here. Everything you've done is saved. Send /session later today to carry on where you left off.
cancel-nothing-yet = Okay, we've stopped. Nothing was recorded yet; send /session when you're ready to start.
cancel-nothing-changed = Okay, cancelled. Nothing was changed.
cancel-nothing = There's nothing to cancel right now. /help lists what I can do.

# Hold timers.
no-timer = There's no timer for this step.
timer-running = The timer is already running.
timer-started-toast = Timer started
timer-started = ⏱ Hold for <b>{ $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    }</b>{ $side }: { $title }. I'll tell you when the time is up.
timer-done = ⏱ <b>{ $seconds ->
        [one] { $seconds } second is up
       *[other] { $seconds } seconds are up
    }</b>: { $title }{ $side }. { $then }
timer-then-switch = Press <b>Done</b> to record the left side; then the right side comes, with its own timer.
timer-then-done = Press <b>Done</b> to record it.

# Notes under an answer or a summary.
caution = ⚠️ { $text } { ours }
streak = 🔥 { $days } days in a row with a session.
rest-now = { $advice } { ours }
progression =
    💪 <b>Ready for more?</b> You've done every exercise in { $sessions } sessions this week with little pain. Your handout's next step for <b>{ $title }</b>: <i>{ $progression }</i>
    Only if it feels right; if pain goes up, go back to the easier version.
