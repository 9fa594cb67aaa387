"""A clickstream-shaped export (sessions, events and orders with the clickstream domain's column names) fitted to
the domain's knobs instead of column by column: the funnel (conversion, cart abandonment, bounces), bots, the
calendar (start, days, weekday profile), devices and the tracker's faults, each measured the way the domain's
own conformance check measures it, so building the fitted recipe gives the export's figures back.

Bots are sessions whose user agent names a crawler, or that view many pages fast and never buy (at least 20
events at a median dwell under 3 seconds): what a web-analytics filter would call one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.domains.ecommerce.funnel import REFERRALS

GENERATOR, UNIT = "clickstream", "sessions"
#: The domain's tables and the columns the fit reads from each (the mapping a reviewer checks).
NEEDS = {
    "sessions": ("session_id", "customer_id", "started_at", "ended_at", "device", "user_agent"),
    "events": ("event_id", "session_id", "ts", "event_type", "product_id", "dwell_seconds"),
    "orders": ("order_id", "session_id"),
}


BOT_AGENT = r"(?i)bot|crawl|spider|slurp"


def _us(values: pa.ChunkedArray) -> np.ndarray:
    kind = pa.timestamp("us", "UTC") if getattr(values.type, "tz", None) else pa.timestamp("us")
    return values.cast(kind).cast(pa.int64()).to_numpy()


def _bots(sessions: pa.Table, events: pa.Table, buyers: np.ndarray) -> np.ndarray:
    """The session ids that look like bots."""
    named = pc.fill_null(pc.match_substring_regex(sessions["user_agent"], BOT_AGENT), False)
    ids = sessions["session_id"].to_numpy()
    frame = pa.table({"s": events["session_id"], "d": pc.cast(events["dwell_seconds"], pa.float64())})
    grouped = frame.group_by("s").aggregate([("s", "count"), ("d", "approximate_median")])
    fast = pc.and_(pc.greater_equal(grouped["s_count"], 20), pc.less(grouped["d_approximate_median"], 3))
    busy = grouped["s"].filter(pc.fill_null(fast, False)).to_numpy()
    bots = np.union1d(ids[named.to_numpy(zero_copy_only=False)], busy)
    return np.setdiff1d(bots, buyers)


def fit_knobs(tables: dict[str, pa.Table]) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(sessions, knobs, a note per knob saying what it was measured from)."""
    sessions, events, orders = tables["sessions"], tables["events"], tables["orders"]
    buyers = np.unique(pc.drop_null(orders["session_id"]).to_numpy())
    bots = _bots(sessions, events, buyers)
    ids = sessions["session_id"].to_numpy()
    human = ~np.isin(ids, bots)
    n, people = len(ids), int(human.sum())
    kinds = events["event_type"].cast(pa.string())
    event_session = events["session_id"].to_numpy()
    carted = np.unique(event_session[pc.equal(kinds, "add_to_cart").to_numpy(zero_copy_only=False)])
    carted = np.setdiff1d(carted, bots)
    per_session = np.bincount(np.searchsorted(np.sort(ids), event_session), minlength=n)
    bounced = int(((per_session == 1) & human[np.argsort(ids)]).sum())
    started = _us(sessions["started_at"])
    day = 86_400 * 10**6
    first, last = int(started.min() // day), int(started.max() // day)
    weekdays = np.bincount((started[human] // day + 3) % 7, minlength=7).astype(float)
    per_weekday = weekdays / np.maximum(np.bincount((np.arange(first, last + 1) + 3) % 7, minlength=7), 1)
    device = sessions["device"].cast(pa.string()).to_numpy(zero_copy_only=False)[human]
    event_ids = events["event_id"]
    views = pc.equal(kinds, "product_view")
    late = pc.sum(pc.greater(events["ts"], _ended(sessions, events))).as_py() or 0
    knobs: dict[str, Any] = {
        "start": str(np.datetime64(first, "D")),
        "days": last - first + 1,
        "conversion_rate": _r(len(buyers) / max(people, 1)),
        "cart_abandonment": _r((len(carted) - len(np.intersect1d(carted, buyers))) / max(len(carted), 1)),
        "bounce_rate": _r(bounced / max(people, 1)),
        "bot_share": _r(len(bots) / max(n, 1)),
        "weekday_profile": [_r(v / per_weekday.mean()) for v in per_weekday],
        "mobile_share": _r(float(np.mean(device == "mobile"))),
        "tablet_share": _r(float(np.mean(device == "tablet"))),
        "duplicate_event_rate": _r(1 - len(pc.unique(event_ids)) / max(len(event_ids), 1)),
        "late_event_rate": _r(late / max(len(event_ids), 1)),
        "missing_product_rate": _r(
            (pc.sum(pc.and_(views, pc.is_null(events["product_id"]))).as_py() or 0) / max(pc.sum(views).as_py(), 1)
        ),
    }
    notes = {
        "start": "the first session's day",
        "days": "first to last session day",
        "conversion_rate": f"{len(buyers):,} sessions with an order of {people:,} human sessions",
        "cart_abandonment": f"{len(carted):,} human sessions with an add_to_cart, less those with an order",
        "bounce_rate": f"{bounced:,} human sessions with a single event",
        "bot_share": f"{len(bots):,} of {n:,} sessions: a crawler's user agent, or 20+ fast events and no order",
        "weekday_profile": "human sessions per weekday over the weekdays in the range, Monday first",
        "mobile_share": "sessions.device of the human sessions",
        "tablet_share": "sessions.device of the human sessions",
        "duplicate_event_rate": "events whose event_id was seen before",
        "late_event_rate": "events stamped after their session's ended_at",
        "missing_product_rate": "product views without a product_id",
    }
    more, more_notes = _audience(tables, ids[human], np.isin(ids[human], buyers))
    return n, knobs | more, notes | more_notes


def _audience(
    tables: dict[str, pa.Table], human: np.ndarray, bought: np.ndarray
) -> tuple[dict[str, Any], dict[str, str]]:
    """Who visits and who buys: logged-in share, sessions per customer, the catalogue's size, and conversion
    multipliers by device and by referral (each one's conversion over all human sessions' conversion: the
    domain scales its multipliers to the mix, so their ratios are what carries over)."""
    sessions = tables["sessions"]
    keep = np.isin(sessions["session_id"].to_numpy(), human)
    customer = sessions["customer_id"].filter(pa.array(keep))
    identified = len(customer) - customer.null_count
    knobs: dict[str, Any] = {"anonymous_share": _r(customer.null_count / max(len(customer), 1))}
    notes = {"anonymous_share": "human sessions without a customer_id"}
    people = tables["customers"].num_rows if "customers" in tables else pc.count_distinct(customer).as_py()
    if identified and people:
        knobs["sessions_per_customer"] = _r(max(identified / people, 1.0))
        whom = "rows of customers" if "customers" in tables else "the distinct customer_ids"
        notes["sessions_per_customer"] = f"human sessions with a customer_id over {whom}"
    products = tables.get("products")
    catalogue = products.num_rows if products is not None else pc.count_distinct(tables["events"]["product_id"]).as_py()
    knobs["products"] = max(10, int(catalogue))
    notes["products"] = "rows of products" if products is not None else "distinct product_ids in events"
    ids = sessions["session_id"].to_numpy()
    order = np.argsort(ids)[np.searchsorted(np.sort(ids), human)]  # each human session's row
    overall = float(bought.mean()) if len(bought) else 0.0
    for column, names in (("device", ("mobile", "desktop", "tablet")), ("referral_source", tuple(REFERRALS))):
        if column not in sessions.column_names or not overall:
            continue
        group = sessions[column].cast(pa.string()).to_numpy(zero_copy_only=False)[order]
        for name in names:
            mine = group == name
            if mine.sum() >= 100:  # a multiplier from fewer sessions is mostly noise
                knobs[f"{name}_conversion"] = _r(float(bought[mine].mean()) / overall)
                notes[f"{name}_conversion"] = f"conversion of {mine.sum():,} {name} sessions over all human sessions'"
    return knobs, notes


def _ended(sessions: pa.Table, events: pa.Table) -> pa.Array:
    """Each event's session end, aligned with the events."""
    order = pc.index_in(events["session_id"], value_set=sessions["session_id"].combine_chunks())
    return sessions["ended_at"].combine_chunks().take(order)


def _r(value: float) -> float:
    return round(float(value), 4)
