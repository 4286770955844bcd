"""Simulation: a day of reminders for a million people at Telegram's pace, planned as the
bot plans them (bot/coach/planning.py) and as it did before (sent from their time on,
dropped an hour late).

    python -m bench.reminder_plan [--people 1000000] [--on-defaults 0.6] [--rate 29]

No Telegram and no database: the same release rule the sweep uses, and the sender's
order (released reminders earliest chosen time first), at `rate` a second. 60% of the
people keep the default 08:00 and 18:00; the others chose a minute between 06:00 and
11:59 and between 16:00 and 21:59, evenly (a fixed seed). One time zone: a national
programme. Prints, for each way of sending, how many reminders go out within 5, 15, 30
and 60 minutes of their time (early or late), how many are dropped, and how late the
lateness gets - for today's rule, the planning, the planning with new people's
defaults spread over two hours (as if everyone were new), and paid broadcasts.
"""

from __future__ import annotations

import argparse
import heapq
import random
import time as wall
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import numpy as np

from bot.coach.planning import release_time, spread_defaults
from bot.coach.reminders import LATE_GRACE

DAY = datetime(2026, 12, 2, tzinfo=UTC)
DEFAULTS = (time(8, 0), time(18, 0))
BANDS = (5, 15, 30, 60)  # minutes either side of the chosen time


def chosen_minutes(people: int, on_defaults: float, spread: int, seed: int = 1) -> Counter[int]:
    """How many reminders fall on each minute of the day (both slots)."""
    rng = random.Random(seed)
    minutes: Counter[int] = Counter()
    for person in range(people):
        if rng.random() < on_defaults:
            morning, evening = spread_defaults(DEFAULTS, spread, person)
        else:
            morning = time(*divmod(rng.randrange(6 * 60, 12 * 60), 60))
            evening = time(*divmod(rng.randrange(16 * 60, 22 * 60), 60))
        for at in (morning, evening):
            minutes[at.hour * 60 + at.minute] += 1
    return minutes


@dataclass
class Outcome:
    lateness: np.ndarray  # seconds, negative when early, one a reminder sent
    dropped: int


def send_day(minutes: Counter[int], rate: float, planned: bool) -> Outcome:
    """Send each minute's batch from its release (planned) or its time (before), the
    earliest chosen time first, one reminder every 1/rate seconds; before the planning,
    a reminder an hour late when its turn came was dropped."""
    batches: list[tuple[float, float, int]] = []  # (release, chosen second, people)
    for minute, count in minutes.items():
        chosen = DAY + timedelta(minutes=minute)
        release = release_time(chosen, count, rate) if planned else chosen
        batches.append(((release - DAY).total_seconds(), minute * 60.0, count))
    batches.sort()
    grace = LATE_GRACE.total_seconds()
    waiting: list[tuple[float, int]] = []  # (chosen second, people left) by chosen time
    sent: list[np.ndarray] = []
    dropped, now, index, step = 0, 0.0, 0, 1.0 / rate
    while index < len(batches) or waiting:
        if not waiting:
            now = max(now, batches[index][0])
        while index < len(batches) and batches[index][0] <= now:
            _, due, count = batches[index]
            heapq.heappush(waiting, (due, count))
            index += 1
        due, left = heapq.heappop(waiting)
        # Send this batch until the next release, which may bring an earlier time.
        room = left
        if index < len(batches):
            room = max(1, int(np.ceil((batches[index][0] - now) * rate)))
        count = min(left, room)
        if not planned:
            # Those an hour late when their turn comes are dropped, taking no slot, so
            # the rest of the batch behind them is dropped too (they are later still).
            sendable = max(0, int(np.ceil((due + grace - now) * rate)))
            if sendable < count:
                dropped += left - sendable
                count = left = sendable
        times = now + step * np.arange(count)
        sent.append(times - due)
        now += step * count
        if left - count > 0:
            heapq.heappush(waiting, (due, left - count))
    return Outcome(np.concatenate(sent) if sent else np.array([]), dropped)


def report(name: str, outcome: Outcome) -> str:
    lateness = outcome.lateness
    total = len(lateness) + outcome.dropped
    within = [int((np.abs(lateness) <= band * 60).sum()) for band in BANDS]
    cells = " | ".join(f"{count:,} ({count / total:.0%})" for count in within)
    late = np.percentile(lateness, [50, 95]) / 60 if len(lateness) else [0.0, 0.0]
    earliest = max(0.0, -float(lateness.min()) / 60) if len(lateness) else 0.0
    latest = max(0.0, float(lateness.max()) / 60) if len(lateness) else 0.0
    return (
        f"| {name} | {cells} | {outcome.dropped:,} | "
        f"{round(late[0]):+d} / {round(late[1]):+d} min | "
        f"{round(earliest)} / {round(latest)} min |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--on-defaults", type=float, default=0.6)
    parser.add_argument("--rate", type=float, default=29.0)
    parser.add_argument("--paid-rate", type=float, default=1000.0)
    parser.add_argument("--spread", type=int, default=120, help="minutes, for that row")
    args = parser.parse_args()
    started = wall.perf_counter()
    plain = chosen_minutes(args.people, args.on_defaults, 0)
    spread = chosen_minutes(args.people, args.on_defaults, args.spread)
    rows = [
        ("before: from their time, dropped an hour late", send_day(plain, args.rate, False)),
        (f"planned, {args.rate:g}/s", send_day(plain, args.rate, True)),
        (
            f"planned, {args.rate:g}/s, defaults spread over {args.spread} min",
            send_day(spread, args.rate, True),
        ),
        (f"planned, paid broadcasts {args.paid_rate:g}/s", send_day(plain, args.paid_rate, True)),
    ]
    print(
        f"{args.people:,} people, {sum(plain.values()):,} reminders a day, "
        f"{args.on_defaults:.0%} on {DEFAULTS[0]:%H:%M} and {DEFAULTS[1]:%H:%M}"
    )
    bands = " | ".join(f"within {band} min" for band in BANDS)
    print(f"| sending | {bands} | dropped | lateness p50 / p95 | most early / late |")
    print("|" + " --- |" * (len(BANDS) + 4))
    for name, outcome in rows:
        print(report(name, outcome))
    print(f"(simulated in {wall.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
