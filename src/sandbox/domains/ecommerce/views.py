"""Ecommerce views: the purchase funnel of human sessions, and sessions by hour of day and device."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.plots import pyplot
from sandbox.domains.common import fault_ids
from sandbox.output.opened import Sandbox

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FUNNEL = ["page_view", "product_view", "add_to_cart", "begin_checkout", "purchase"]
DEVICES = ("mobile", "desktop", "tablet")


def views(box: Sandbox) -> list[tuple[str, Figure]]:
    bots = fault_ids(box, "bot_session", "session_id")
    sessions = box.to_arrow("sessions").select(["session_id", "started_at", "device"])
    humans = sessions.filter(pc.invert(pc.is_in(sessions["session_id"], value_set=bots)))
    events = box.dataset("events").to_table(columns=["session_id", "event_type"])
    events = events.filter(pc.is_in(events["session_id"], value_set=humans["session_id"].combine_chunks()))
    events = events.set_column(1, "event_type", pc.cast(events["event_type"], "string"))
    reached = {
        r["event_type"]: r["session_id_count_distinct"]
        for r in events.group_by("event_type").aggregate([("session_id", "count_distinct")]).to_pylist()
    }
    return [
        ("Purchase funnel: human sessions reaching each step (bots from truth/defects left out)", _funnel(reached)),
        ("Human sessions by hour of day (UTC) and device", _by_hour(humans)),
        ("Human sessions per day: the weekly rhythm, the seasons and the peak days", _by_day(humans)),
    ]


def _funnel(reached: dict[str, int]) -> Figure:
    plt = pyplot()
    steps = [reached.get(step, 0) for step in FUNNEL]
    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.barh(FUNNEL[::-1], steps[::-1], color="#3b6ea5")
    for y, value in enumerate(steps[::-1]):
        ax.text(value, y, f" {value:,} ({value / max(steps[0], 1):.1%})", va="center", fontsize=9)
    ax.set_xlabel("human sessions reaching the step")
    ax.set_xlim(0, max(steps[0], 1) * 1.35)
    fig.tight_layout()
    return fig


def _by_hour(humans: pa.Table) -> Figure:
    plt = pyplot()
    hours = pc.hour(humans["started_at"]).to_numpy()
    device = pc.cast(humans["device"], "string").to_numpy(zero_copy_only=False)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for name in DEVICES:
        ax.plot(range(24), np.bincount(hours[device == name], minlength=24), marker="o", markersize=3, label=name)
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("hour of day (UTC)")
    ax.set_ylabel("sessions")
    ax.legend()
    fig.tight_layout()
    return fig


def _by_day(humans: pa.Table) -> Figure:
    plt = pyplot()
    days = pc.cast(humans["started_at"], pa.date32()).value_counts()
    order = np.argsort(days.field("values").cast(pa.int32()).to_numpy())
    day = days.field("values").to_numpy(zero_copy_only=False)[order]
    count = days.field("counts").to_numpy()[order]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.plot(day, count, linewidth=0.9, color="#3b6ea5")
    if len(count):
        top = int(np.argmax(count))
        median = float(np.median(count))
        ax.axhline(median, color="#999999", linewidth=0.8, linestyle="--")
        ax.annotate(
            f"{day[top]}: {count[top] / median:.1f}x the median day",
            (day[top], count[top]),
            xytext=(-190, -12),
            textcoords="offset points",
            fontsize=9,
        )
    ax.set_ylabel("sessions")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
