"""The `clickstream` domain: an online shop's customers, products, sessions, events and orders.

Knobs are the targets people think in (conversion rate, cart abandonment, bot share); the funnel derives
per-session probabilities from them so the realised rates over the whole mix land on the targets. Tracking
noise (bots, duplicated and late events, missing product ids) is logged in truth/defects.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.columns.registry import Finding
from sandbox.columns.temporal import TIMESTAMP, parse_instant
from sandbox.core import exact
from sandbox.domains.checks import Faults, KnobCheck, TableReader, matches, share
from sandbox.domains.ecommerce import funnel, realised
from sandbox.domains.ecommerce import tables as infos
from sandbox.domains.ecommerce.calendar import Calendar, NoTraffic, calendar, peak_problems
from sandbox.domains.ecommerce.currency import fx_rates
from sandbox.domains.ecommerce.knobs import KNOBS
from sandbox.domains.ecommerce.orders import Market
from sandbox.domains.ecommerce.promotions import promotions
from sandbox.domains.ecommerce.shop import US_PER_DAY, catalogue, customer_countries, customers, vocabulary
from sandbox.domains.ecommerce.stock import stockouts
from sandbox.domains.interface import Domain, DomainContext, TableInfo
from sandbox.noise.corruptions import pick, replace_rows, set_missing
from sandbox.noise.defects import row_keys

EVENTS_PER_HUMAN, EVENTS_PER_BOT = 5, 70


class Clickstream(Domain):
    name = "clickstream"
    description = "An online shop: customers, products, sessions following a purchase funnel, events, orders."
    unit = "sessions"
    views_module = "sandbox.domains.ecommerce.views"
    knobs = KNOBS

    def tables(self, knobs: Mapping[str, Any]) -> list[TableInfo]:
        return [*infos.visitors(), *infos.shop()]

    def keys(self, knobs: Mapping[str, Any], rows: int) -> dict[str, tuple[str, int]]:
        return {
            "customers": ("customer_id", _people(knobs, rows)[1]),
            "products": ("product_id", int(knobs["products"])),
        }

    def plan(self, knobs: Mapping[str, Any], rows: int, chunk_rows: int) -> list[dict[str, Any]]:
        bots = round(rows * knobs["bot_share"])
        human = rows - bots
        anonymous = round(human * knobs["anonymous_share"])
        identified, people = _people(knobs, rows)
        chunks = max(1, math.ceil((human * EVENTS_PER_HUMAN + bots * EVENTS_PER_BOT) / chunk_rows))
        chunks = min(chunks, max(1, people))
        split = [np.array_split(np.arange(n), chunks) for n in (people, identified, anonymous, bots)]
        # the calendar (public holidays from the `holidays` library: ~0.1 s) is worked out once, here, and
        # sent to every chunk as its day probabilities
        day_p = shop_calendar(knobs, parse_instant(knobs["start"])).p.tolist()
        payloads, customer, session = [], 0, 0
        for c in range(chunks):
            sizes = [len(s[c]) for s in split]
            payloads.append(
                {
                    "first_customer": customer + 1,
                    "customers": sizes[0],
                    "first_session": session + 1,
                    "identified": sizes[1],
                    "anonymous": sizes[2],
                    "bots": sizes[3],
                    "day_p": day_p,
                }
            )
            customer += sizes[0]
            session += sizes[1] + sizes[2] + sizes[3]
        return payloads

    def conformance(self, knobs: Mapping[str, Any], rows: int, reader: TableReader, faults: Faults) -> list[KnobCheck]:
        sessions = reader.rows("sessions")
        bots = faults.get(("sessions", None, "bot_session"), 0)
        bot_rows = reader.read("defects", ["row_key", "start_ts"], ("kind", ["bot_session"]))  # one pass for both
        bot_ids = pc.cast(pc.replace_substring_regex(bot_rows["row_key"], r"\D", ""), pa.int64())
        carted, views = [], 0  # one pass over the events: sessions with a cart, and product views
        for batch in reader.batches("events", ["session_id", "event_type"]):
            cart = matches(batch.column(1), ["add_to_cart"])
            carted.append(pc.unique(batch.column(0).filter(cart)))
            views += pc.sum(matches(batch.column(1), ["product_view"])).as_py() or 0
        cal = shop_calendar(knobs, parse_instant(knobs["start"]))
        timing = realised.calendar_checks(knobs, cal, reader, bot_rows["start_ts"])
        ids = pa.chunked_array(carted, pa.int64())
        carts = len(pc.unique(ids.filter(pc.invert(pc.is_in(ids, value_set=bot_ids.combine_chunks())))))
        human, orders = sessions - bots, reader.rows("orders")
        events = reader.rows("events") - faults.get(("events", None, "duplicate_event"), 0)
        k = "domain.knobs."
        return [
            KnobCheck("domain.rows", rows, sessions, 0.0, "sessions"),
            share(k + "bot_share", knobs["bot_share"], bots, sessions, "sessions"),
            share(k + "conversion_rate", knobs["conversion_rate"], orders, human, "human sessions"),
            share(k + "cart_abandonment", knobs["cart_abandonment"], carts - orders, carts, "sessions with a cart"),
            share(
                k + "duplicate_event_rate",
                knobs["duplicate_event_rate"],
                faults.get(("events", None, "duplicate_event"), 0),
                events,
                "events",
            ),
            share(
                k + "late_event_rate",
                knobs["late_event_rate"],
                faults.get(("events", "ts", "late_event"), 0),
                events,
                "events",
            ),
            share(
                k + "missing_product_rate",
                knobs["missing_product_rate"],
                faults.get(("events", "product_id", "missing_product_id"), 0),
                views,
                "product views",
            ),
            *timing,
            *realised.price_checks(knobs, reader),
            *realised.sales_checks(knobs, reader),
        ]

    def check(self, knobs: Mapping[str, Any]) -> Iterable[Finding]:
        if knobs["mobile_share"] + knobs["tablet_share"] > 1:
            yield (
                "bad-range",
                ("tablet_share",),
                f"expected mobile_share + tablet_share <= 1, got {knobs['mobile_share'] + knobs['tablet_share']:g}",
                None,
            )
            return
        highest = funnel.Funnel.from_knobs(knobs).max_cart_probability()
        if highest > 1:
            yield (
                "bad-range",
                ("conversion_rate",),
                "expected a conversion rate every segment can reach "
                f"(its busiest segment would need a cart rate of {highest:.2f} > 1), got {knobs['conversion_rate']}",
                None,
            )
        try:
            parse_instant(knobs["start"])
        except ValueError:
            yield ("bad-type", ("start",), f"expected an ISO date like 2025-01-01, got {knobs['start']!r}", None)
        carting = knobs["conversion_rate"] / (1 - knobs["cart_abandonment"])
        if carting < 1 and knobs["bounce_rate"] > 1 - carting:  # else the cart rate's own issue above says it
            yield (
                "bad-range",
                ("bounce_rate",),
                f"expected a bounce rate of at most {1 - carting:.3f} (the human sessions without a cart, "
                f"from conversion_rate / (1 - cart_abandonment)), got {knobs['bounce_rate']}",
                None,
            )
        peaks = list(peak_problems(knobs["peak_days"]))
        for key, message, meant in peaks:
            yield ("bad-choice", ("peak_days", key), message, meant)
        endings = knobs["price_endings"]
        for ending in endings:
            if not (len(str(ending)) == 2 and str(ending).isdigit()):
                yield (
                    "bad-type",
                    ("price_endings", ending),
                    f"expected two-digit cents like '99', got {ending!r}",
                    None,
                )
        if math.fsum(float(v) for v in endings.values()) > 1:
            yield ("bad-range", ("price_endings",), "expected shares that sum to at most 1", None)
        for name in ("weekday_profile", "month_profile"):
            if not any(float(w) > 0 for w in knobs[name]):
                yield ("bad-range", (name,), "expected at least one weight above 0", None)
                return
        if not peaks and _closed(knobs):
            yield (
                "bad-range",
                ("days",),
                "expected traffic on at least one day: weekday_profile, month_profile and peak_days leave every "
                f"day of the {knobs['days']} from {knobs['start']} at 0",
                None,
            )

    def produce(self, knobs: Mapping[str, Any], payload: Mapping[str, Any], ctx: DomainContext) -> dict[str, pa.Table]:
        start, days = parse_instant(knobs["start"]), int(knobs["days"])
        knobs = {
            **knobs,
            "_start_us": start,
            "_end_us": start + days * US_PER_DAY,
            "_calendar": Calendar(start // US_PER_DAY + np.arange(days), np.asarray(payload["day_p"]), {}),
        }
        market = _market(ctx.seed, knobs, start)
        shop = market.shop
        rng = ctx.rng("sessions")
        people, identified = payload["customers"], payload["identified"]
        country = customer_countries(ctx.seed, ctx.chunk, people)
        activity = exact.gamma(rng, 1.5, people)
        per_person = (
            rng.multinomial(identified, activity / math.fsum(activity.tolist())) if people else np.zeros(0, np.int64)
        )
        local = np.repeat(np.arange(people), per_person)
        kind = np.concatenate(
            [
                np.zeros(identified, np.int64),
                np.ones(payload["anonymous"], np.int64),
                np.full(payload["bots"], 2, np.int64),
            ]
        )
        pad = len(kind) - identified
        customer_id = np.concatenate([local + payload["first_customer"], np.full(pad, -1)])
        session_country = np.concatenate([country[local], np.zeros(pad, np.int64)])
        chunk = funnel.generate(rng, knobs, market, kind, customer_id, session_country, payload["first_session"])
        first_seen = rng.integers(knobs["_start_us"], knobs["_end_us"], people)
        ids = chunk.sessions["customer_id"].combine_chunks()
        known = ids.is_valid().to_numpy(zero_copy_only=False)
        seen_ids = pc.fill_null(ids, 0).to_numpy()[known] - payload["first_customer"]
        started = chunk.sessions["started_at"].combine_chunks().cast(pa.int64()).to_numpy()[known]
        np.minimum.at(first_seen, seen_ids, started)

        events = _track_noise(ctx, knobs, chunk)
        shared = {  # the same in every chunk: written once, by the first
            "products": shop.table,
            "promotions": market.promotions.table,
            "stockouts": market.stock.table,
            "fx_rates": market.rates.table,
        }
        return {
            "sessions": chunk.sessions,
            "customers": customers(ctx.seed, ctx.chunk, payload["first_customer"], country, first_seen),
            "events": events,
            **chunk.sales,
            **{name: table if ctx.chunk == 0 else table.slice(0, 0) for name, table in shared.items()},
        }


def _closed(knobs: Mapping[str, Any]) -> bool:
    """Whether the calendar leaves no day with traffic (or its start is no date: its own issue says so)."""
    try:
        shop_calendar(knobs, parse_instant(knobs["start"]))
    except NoTraffic:
        return True
    except ValueError:
        return False
    return False


def _market(seed: int, knobs: Mapping[str, Any], start: int) -> Market:
    shop_key = (seed, int(knobs["products"]), str(knobs["start"]), _endings(knobs))
    days = int(knobs["days"])
    return Market(
        catalogue(*shop_key),
        stockouts(*shop_key, days, float(knobs["stockout_share"])),
        fx_rates(seed, start, days),
        promotions(start, days),
    )


def _endings(knobs: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((str(k), float(v)) for k, v in knobs["price_endings"].items()))


def shop_calendar(knobs: Mapping[str, Any], start: int) -> Calendar:
    """The calendar the knobs describe (customers' countries weighted by their share, for public holidays)."""
    countries = tuple((code, float(v[1])) for code, v in vocabulary()["countries"].items())
    return calendar(
        start,
        int(knobs["days"]),
        tuple(float(w) for w in knobs["weekday_profile"]),
        tuple(float(w) for w in knobs["month_profile"]),
        tuple(sorted((str(k), float(v)) for k, v in knobs["peak_days"].items())),
        countries,
    )


def _track_noise(ctx: DomainContext, knobs: Mapping[str, Any], chunk: funnel.Chunk) -> pa.Table:
    """Bots, late events, missing product ids and duplicated events, each with its truth/defects rows."""
    log, sessions, events = ctx.log, chunk.sessions, chunk.events
    first = int(sessions["session_id"][0].as_py()) if len(sessions) else 0
    bot_rows = chunk.bots - first
    if len(bot_rows):
        starts, ends = chunk.windows
        params = pc.binary_join_element_wise('{"events":', pc.cast(pa.array(chunk.bot_events), pa.string()), "}", "")
        log.add(
            "sessions",
            row_keys(sessions, ["session_id"], bot_rows),
            "bot_session",
            start_ts=pa.array(starts[bot_rows], TIMESTAMP),
            end_ts=pa.array(ends[bot_rows], TIMESTAMP),
            params=params,
        )
    ts = events["ts"].combine_chunks()
    late = pick(ctx.rng("late"), len(events), float(knobs["late_event_rate"]))
    if len(late):
        ends = chunk.windows[1][events["session_id"].to_numpy()[late] - first]
        shifted = ends + np.rint(ctx.rng("late-by").exponential(600, len(late)) * 1e6).astype(np.int64) + 1
        observed = pa.array(shifted, TIMESTAMP)
        log.add(
            "events",
            row_keys(events, ["event_id"], late),
            "late_event",
            "ts",
            truth=ts.take(pa.array(late)),
            observed=observed,
            params={"mean_delay_seconds": 600},
        )
        ts = replace_rows(ts, late, observed)
        events = events.set_column(events.schema.get_field_index("ts"), "ts", ts)
    views = np.flatnonzero(events["event_type"].combine_chunks().indices.to_numpy() == funnel.PRODUCT)
    lost = views[pick(ctx.rng("lost-product"), len(views), float(knobs["missing_product_rate"]))]
    if len(lost):
        product = events["product_id"].combine_chunks()
        log.add(
            "events",
            row_keys(events, ["event_id"], lost),
            "missing_product_id",
            "product_id",
            truth=product.take(pa.array(lost)),
        )
        product = set_missing(product, lost)
        events = events.set_column(events.schema.get_field_index("product_id"), "product_id", product)
    twice = pick(ctx.rng("duplicate"), len(events), float(knobs["duplicate_event_rate"]))
    if len(twice):
        log.add("events", row_keys(events, ["event_id"], twice), "duplicate_event", params={"copies": 2})
        # the tracker's retries arrive after the chunk's other events (a zero-copy append, not a re-sort)
        events = pa.concat_tables([events, events.take(pa.array(twice))])

    return events


def _people(knobs: Mapping[str, Any], rows: int) -> tuple[int, int]:
    """(identified sessions, customers) of a build of `rows` sessions."""
    human = rows - round(rows * knobs["bot_share"])
    identified = human - round(human * knobs["anonymous_share"])
    return identified, (max(1, round(identified / knobs["sessions_per_customer"])) if identified else 0)
