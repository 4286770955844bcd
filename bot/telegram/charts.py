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


@dataclass(frozen=True)
class ChartPoint:
    """One session: its day (0 = the chart's first), its place among that day's."""

    day: int
    nth: int  # 0, 1, ... among the sessions of its day
    of: int  # sessions that day
    pain_before: int | None
    pain_after: int | None
    counted: bool  # finished with something done (the bars count only these)


@dataclass(frozen=True)
class ChartLabels:
    title: str
    pain_before: str
    pain_after: str
    not_counted: str
    pain_axis: str
    sessions: str
    target: str
    days: tuple[str, ...]  # every day shown, oldest first; the last one is "today"


@dataclass(frozen=True)
class ChartData:
    points: tuple[ChartPoint, ...]  # oldest first
    sessions_per_day: tuple[int, ...]  # every day shown, oldest first
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
    """Pain before and after each session (a line from one to the other, so a pair reads
    as one; two sessions on a day side by side) above the sessions per day against the
    handout's target. The days end with today, shown whole and labelled."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 6), dpi=100, layout="constrained")
    pain, sessions = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    labels = data.labels
    red, blue = "#d9534f", "#0275d8"
    shown = {"before": False, "after": False, "not_counted": False}
    for point in data.points:
        x = point.day + (point.nth - (point.of - 1) / 2) * 0.3
        if point.pain_before is not None and point.pain_after is not None:
            pain.plot([x, x], [point.pain_before, point.pain_after], color="#999999", lw=2)
        if point.pain_before is not None:
            face = red if point.counted else "white"
            key = "before" if point.counted else "not_counted"
            label = labels.pain_before if key == "before" else labels.not_counted
            pain.plot(
                [x], [point.pain_before], "o", ms=10, color=red, markerfacecolor=face,
                label=None if shown[key] else label,
            )  # fmt: skip
            shown[key] = True
        if point.pain_after is not None:
            pain.plot(
                [x], [point.pain_after], "s", ms=6, color=blue,
                label=None if shown["after"] else labels.pain_after,
            )  # fmt: skip
            shown["after"] = True
    pain.set_ylim(-0.5, 10.5)
    pain.set_yticks(range(0, 11, 2))
    pain.set_ylabel(labels.pain_axis)
    pain.grid(alpha=0.3)
    # The legend above the plot, where no session's marker can be under it.
    if any(shown.values()):
        pain.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=3, frameon=False, fontsize=9)
    figure.suptitle(labels.title)

    days = range(len(data.sessions_per_day))
    counts = list(data.sessions_per_day)
    sessions.bar(days, counts, width=0.7, color="#5cb85c", label=labels.sessions)
    sessions.axhspan(
        data.target_min - 0.05, data.target_max + 0.05, color="#f0ad4e", alpha=0.25,
        label=labels.target,
    )  # fmt: skip
    top = max(data.target_max + 1, *counts)
    sessions.set_ylim(0, top + 0.5)
    sessions.set_yticks(range(0, top + 1))
    sessions.set_ylabel(labels.sessions)
    sessions.legend(loc="upper left", fontsize=9)
    # Half a day of room on each side: today's marker and bar are whole. Every day is
    # labelled on a short chart; on a long one every seventh, counted back from today.
    sessions.set_xlim(-0.6, len(counts) - 0.4)
    step = 1 if len(counts) <= 10 else 7
    ticks = list(range(len(counts) - 1, -1, -step))[::-1]
    sessions.set_xticks(ticks, [labels.days[i] for i in ticks])
    sessions.get_xticklabels()[-1].set_fontweight("bold")

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
