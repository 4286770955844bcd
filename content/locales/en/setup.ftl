# Set-up: /start, the safety check, the time zone and the reminder times.
# Messages are Telegram HTML (<b>, <i>); variables are filled in and escaped by the bot.

hello = Hello!
hello-named = Hello { $name }!
welcome =
    { $hello } I'm your exercise coach for <b>{ $programme }</b>, a physiotherapist's home programme of { $count ->
        [one] { $count } exercise
       *[other] { $count } exercises and stretches
    }.

    <b>{ $frequency }</b>
    { $exercises }

    I'll walk you through them one at a time, ask about your pain before and after, and keep a record that is yours. In this bot's own database I keep your Telegram id, first name and language, your answers, your time zone and your reminder times, and nothing else: /export gives you a copy, /delete removes it all.

welcome-back-hello = Welcome back!
welcome-back-hello-named = Welcome back, { $name }!
welcome-back = { $hello } { $per_day }
welcome-back-in-session = { $hello } You have a session in progress today.

red-flags-question =
    <b>Safety first</b>
    { $disclaimer }

    { $stop_rule } { ours }

    { $question }
red-flags-before-we-start = Before we start. { $question }
red-flags-only =
    <b>{ $question }</b>
    { $symptoms }
red-flags-none-button = None of these
red-flags-reported-button = Yes, I have one of these
red-flags-answered = Safety check: <b>{ $answer }</b>
red-flags-told-before = Last time you told me you have one of these warning signs, so I won't start the exercises yet. Has that changed?
red-flags-still-none = Good, none of them. Carry on as before, and stop an exercise if it causes sharp pain or pain that keeps building.
seek-care =
    <b>{ $seek_care }</b>

    When a clinician has checked you and says exercising is fine, send /session and I'll ask again.

time-zone-question = <b>Which time zone are you in?</b> I need it to remind you at the right local time. Type your city (for example <i>Berlin</i> or <i>New York</i>) or your offset from UTC (for example <i>+2</i> or <i>-5</i>), or pick one:
time-zone-unknown = I couldn't find a time zone for “{ $typed }”. Try the biggest city near you (for example <i>Paris</i>), a zone name like <i>Europe/Paris</i>, or your UTC offset like <i>+1</i> or <i>-5</i>.
time-zone-chosen = Time zone: <b>{ $zone }</b>
time-zone-changing = Changing the time zone…
time-zone-set = Time zone set: { $zone }.
zone-named = { $name } (UTC{ $offset }, now { $time })
zone-fixed = UTC{ $offset } (a fixed offset, now { $time })
zone-fixed-explained = UTC{ $offset }, a fixed offset: it does not change for daylight saving, so change it yourself when your clocks do (now { $time })
zone-offset = UTC{ $offset }

reminders-question =
    Time zone set: <b>{ $zone }</b>.

    Your two daily reminder times are <b>{ $morning }</b> and <b>{ $evening }</b> your time. Keep them?
reminders-keep-button = Keep these
reminders-change-button = Change times
time-zone-change-button = Change time zone
reminder-times-kept = Reminder times kept.
reminder-times-changing = Changing the reminder times…
reminder-times-chosen = Reminder times: <b>{ $morning }</b> and <b>{ $evening }</b>
reminder-times-prompt = Send me two times of day, morning first, like <i>07:30, 19:00</i> (24-hour clock).
reminder-times-invalid = I couldn't read two times from that. Please send two different times on the 24-hour clock, like <i>07:30, 19:00</i>.

all-set =
    You're all set. Reminder times: <b>{ $morning }</b> and <b>{ $evening }</b>.

    { $per_day } Press <b>Start session</b> when you're ready; /help lists everything I can do.

# /safety
safety-overview =
    <b>When to stop and get help</b> { ours }

    • { $stop_rule }
    • { $pain_monitoring }
    • { $stop_and_contact }
    • { $rising }
rising-rule = If your pain after the exercises goes up { $sessions ->
        [one] after a session
       *[other] in { $sessions } sessions in a row
    }, pause the programme and ask a physiotherapist or doctor whether the exercises suit you.
