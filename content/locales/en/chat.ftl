# Everything outside set-up, sessions, reminders and records: help, unknown input,
# groups, errors, and what the bot's profile says.

# Shown beside every piece of advice that is ours, not the handout's.
ours = <i>(Our advice, not your handout's.)</i>
ours-note = <i>(Our note, not your handout's.)</i>

not-started = We haven't met yet, so I hold nothing about you (nothing to show and nothing to delete). Send /start to begin.
not-set-up = Let's set you up first: send /start.
hello-send-start = Hello! Send /start to begin.
stale-button = This button no longer works. Send /session to continue.
button-not-here = This button only works in your private chat with me.
edited-message = I only read new messages, so I didn't take in that edit. Please send it again as a new message.
already-saved = Already saved.
already-answered = Already answered.
saved = Saved.

# The handout's dose as a plain count, where no exercises follow in the message (the
# handout's own sentence says "the following exercises").
per-day = The handout asks for { $min }-{ $max } sessions a day.
start-session-button = Start session
continue-session-button = Continue session

didnt-catch = I didn't catch that. Send a number from { $pain_min } to { $pain_max } to log your pain, /session to do your exercises, or /help to see everything I can do.
not-text = I can only read text and button presses. Send a number from { $pain_min } to { $pain_max } to log your pain, or /help to see what I can do.
group-chat = I coach one person at a time, so I only work in a private chat. Open a chat with me directly and send /start.
unknown-command = I don't know that command. /help lists what I can do.
owed-step = Sorry for the wait: Telegram would not let me answer for a moment. Your last answer is saved; here is where you are.
owed-sorry = Sorry: Telegram would not let me answer your last message for a moment. What you entered is saved. If you didn't get what you asked for, please send it again.
something-went-wrong = Sorry, something went wrong on my side. What you entered before this is saved. Please try again, or send /session to see where you are.

checkin-recorded = Thanks, I've noted pain <b>{ $score }/{ $pain_max }</b> at { $time }.
checkin-recorded-untimed = Thanks, I've noted pain <b>{ $score }/{ $pain_max }</b>.
checkin-invite = Would you like to do your exercises now?
checkin-setup-first = Before your first session, let's finish setting up:

help =
    <b>{ $programme }</b>
    { $per_day }

    { $commands }

    Outside a session you can send a number from { $pain_min } to { $pain_max } at any time to log how much pain you have.
help-command = /{ $command } - { $description }
learn =
    { $sections }

    <i>From your physiotherapist's handout.</i>
learn-section =
    <b>{ $title }</b>
    { $text }

# The bot's profile: what a person sees before pressing Start, and the command menu.
description = A coach for the physiotherapist's home programme “{ $programme }”: { $count } exercises and stretches, one at a time, with pain ratings before and after, and a record of what you did. It does not replace a clinician.
short-description = Your coach for “{ $programme }”: guided exercises, pain log.
command-session = Start or continue today's exercise session
command-reminders = Your reminder times and time zone; change or pause them
command-pause = Pause reminders
command-resume = Turn reminders back on
command-progress = A chart of your pain and sessions, last { $weeks ->
        [one] week
       *[other] { $weeks } weeks
    }
command-history = Your last sessions
command-safety = When to stop and get help; the warning signs
command-export = Download everything I hold about you (CSV and FHIR)
command-delete = Delete everything I hold about you
command-cancel = Leave the session (you can continue it later today)
command-start = Welcome, safety notes and set-up
command-help = What I can do

# Pain typed wrongly.
pain-out-of-range = Pain is rated from { $pain_min } to { $pain_max }. Please send a whole number from { $pain_min } to { $pain_max }.
pain-not-whole = Please use a whole number from { $pain_min } to { $pain_max } (round to the nearest one).
pain-not-a-number = Please send your pain as a number from { $pain_min } (no pain) to { $pain_max } (worst imaginable).
