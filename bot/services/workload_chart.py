"""The weekly workload chart as PNG bytes (matplotlib, no display), as the report's chart is
drawn: per handläggare (by name) a stacked bar of the deadlines falling in each of the next
weeks, overdue ones in their own colour, and the enhet's threshold as a line."""

from __future__ import annotations

from io import BytesIO

from bot.domain.workload import WeekBars
from bot.i18n import _

OVERDUE_COLOUR = "#c0392b"
WEEK_COLOURS = ("#1f4e79", "#2e75b6", "#6fa8dc", "#a9c8ea", "#cfe2f3", "#e3eefa")
THRESHOLD_COLOUR = "#e67e22"


def chart_png(bars: WeekBars) -> bytes:
    """The chart as PNG bytes (to attach to a message, or to write to a file)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    away = " (" + _("away") + ")"
    names = [n + (away if a else "") for n, a in zip(bars.names, bars.absent, strict=False)]
    names = names or list(bars.names) or ["–"]
    figure, axes = plt.subplots(figsize=(max(7.0, 1.1 * len(names) + 4), 4.2), dpi=100)
    positions = list(range(len(names)))
    bottom = [float(n) for n in bars.overdue] or [0.0]
    axes.bar(positions, bottom, color=OVERDUE_COLOUR, label=_("Overdue now"))
    for week, start in enumerate(bars.weeks):
        heights = [float(row[week]) for row in bars.due] or [0.0]
        label = _("Week {week}").format(week=start.isocalendar().week)
        colour = WEEK_COLOURS[week % len(WEEK_COLOURS)]
        axes.bar(positions, heights, bottom=bottom, color=colour, label=label)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    if bars.threshold > 0:
        axes.axhline(
            bars.threshold,
            color=THRESHOLD_COLOUR,
            linestyle="--",
            label=_("Threshold"),
        )
    axes.set_xticks(positions, names, rotation=20, ha="right")
    axes.set_ylabel(_("Deadlines"))
    axes.set_title(
        _("Deadlines the next {n} weeks, {enhet}").format(n=len(bars.weeks), enhet=bars.enhet)
    )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    axes.set_ylim(0, max([bars.threshold, *bottom, 1.0]) * 1.15)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
