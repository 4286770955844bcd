"""The /progress chart, drawn with matplotlib's Agg backend into PNG bytes.

`draw_progress` is plain, blocking code run in a worker process (see records.py) so that
the event loop never waits on it. matplotlib is imported on the first chart, not at
start-up, and only its object-oriented API is used (no pyplot, which keeps global state).
Every word on the chart comes in `ChartLabels`, from the message catalog.
"""

from __future__ import annotations

import io
import signal
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ChartPoint:
    day: date
    pain_before: int | None
    pain_after: int | None


@dataclass(frozen=True)
class ChartLabels:
    title: str
    pain_before: str
    pain_after: str
    pain_axis: str
    sessions: str
    target: str


@dataclass(frozen=True)
class ChartData:
    points: tuple[ChartPoint, ...]  # one per session, oldest first
    sessions_per_day: tuple[tuple[date, int], ...]  # every day of the window
    target_min: int
    target_max: int
    labels: ChartLabels


def worker_started() -> None:
    """In the chart worker: leave Ctrl-C to the bot's process. The worker is in the same
    process group, so the terminal's SIGINT reaches it too, and it would die printing a
    traceback while the bot itself stops cleanly and shuts the worker down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def interrupt_handler() -> object:
    """The worker's SIGINT handler (for the test of `worker_started`)."""
    return signal.getsignal(signal.SIGINT)


def draw_progress(data: ChartData) -> bytes:
    from matplotlib.dates import DateFormatter, DayLocator
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 6), dpi=100, layout="constrained")
    pain, sessions = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))

    labels = data.labels
    before = [(p.day, p.pain_before) for p in data.points if p.pain_before is not None]
    after = [(p.day, p.pain_after) for p in data.points if p.pain_after is not None]
    if before:
        pain.plot(*zip(*before, strict=True), "o-", color="#d9534f", label=labels.pain_before)
    if after:
        pain.plot(*zip(*after, strict=True), "s--", color="#0275d8", label=labels.pain_after)
    pain.set_ylim(-0.3, 10.3)
    pain.set_yticks(range(0, 11, 2))
    pain.set_ylabel(labels.pain_axis)
    pain.grid(alpha=0.3)
    pain.legend(loc="upper right")
    pain.set_title(labels.title)

    days = [day for day, _ in data.sessions_per_day]
    counts = [count for _, count in data.sessions_per_day]
    sessions.bar(days, counts, color="#5cb85c", label=labels.sessions)
    sessions.axhspan(
        data.target_min - 0.05,
        data.target_max + 0.05,
        color="#f0ad4e",
        alpha=0.25,
        label=labels.target,
    )
    sessions.set_ylim(0, max(data.target_max + 1, *counts) + 0.5)
    sessions.set_yticks(range(0, max(data.target_max + 1, *counts) + 1))
    sessions.set_ylabel(labels.sessions)
    sessions.legend(loc="upper left")
    # (matplotlib.dates has no type hints.)
    sessions.xaxis.set_major_locator(DayLocator(interval=7))  # type: ignore[no-untyped-call]
    sessions.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    if days:
        sessions.set_xlim(days[0], days[-1])

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
