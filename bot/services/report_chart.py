"""The egenkontroll's 12-month trend chart (PNG): the share kept per measure.

A fixed axis of twelve months named in Swedish ("dec 2026"), the number of deadlines (n) at
every point, the target (every deadline kept), and the legend outside the plot with only the
measures that had deadlines in the period.
"""

from __future__ import annotations

import io
import math
from os import PathLike

from bot.formatting import month_label
from bot.i18n import _
from bot.services.reports import GROUP_NAMES, GROUPS, MonthReport

TARGET_PERCENT = 100  # the law's target: every deadline kept


def png_bytes(reports: list[MonthReport], compact: bool = False) -> bytes:
    """The chart of `reports` (oldest month first) as PNG (matplotlib, no display). `compact`:
    smaller and with a 64-colour palette, to fit in a Teams card (about 28 KB in all)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    positions = list(range(len(reports)))
    figure, axes = plt.subplots(figsize=(10, 5.2), dpi=60 if compact else 110, layout="constrained")
    drawn = 0
    for group in GROUPS:
        counts = [r.groups[group].due for r in reports]
        if not any(counts):
            continue  # no deadline in the period: no line and no legend entry
        values = [r.groups[group].share_kept for r in reports]
        percent = [math.nan if v is None else v * 100 for v in values]  # nan: a gap
        (line,) = axes.plot(positions, percent, marker="o", label=_(GROUP_NAMES[group]))
        shift = (-11, 11, 0, -11, 11)[drawn % 5]  # side by side where two points meet
        for x, y, n in zip(positions, percent, counts, strict=True):
            if n:
                axes.annotate(
                    f"n={n}",
                    (x, y),
                    textcoords="offset points",
                    xytext=(shift, 7),
                    ha="center",
                    fontsize=7,
                    color=line.get_color(),
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
                )
        drawn += 1
    axes.axhline(
        TARGET_PERCENT,
        color="grey",
        linestyle="--",
        linewidth=1,
        label=_("Target: every deadline kept"),
    )
    axes.set_xlim(-0.5, len(reports) - 0.5)
    axes.set_xticks(positions, [month_label(r.month) for r in reports], rotation=45, ha="right")
    axes.set_ylim(0, 112)
    axes.set_ylabel(_("Share kept (%)"))
    axes.set_title(
        _("Deadlines kept, {enhet}, {first} – {last}").format(
            enhet=reports[-1].enhet,
            first=month_label(reports[0].month),
            last=month_label(reports[-1].month),
        )
    )
    axes.grid(alpha=0.3)
    figure.legend(loc="outside right center", fontsize=8, title=_("n = deadlines due"))
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    if not compact:
        return out.getvalue()
    from PIL import Image

    small = io.BytesIO()
    out.seek(0)
    Image.open(out).convert("RGB").quantize(64).save(small, format="PNG", optimize=True)
    return small.getvalue()


def to_png(reports: list[MonthReport], path: str | PathLike[str]) -> None:
    """Write the chart of `reports` to `path`."""
    with open(path, "wb") as file:
        file.write(png_bytes(reports))
