"""Sessions, their events and their orders, for one chunk, without a per-row Python loop.

Each session's events are laid out as segments (landing, browsing, cart, checkout, purchase) whose lengths
come from the funnel; a lexsort shuffles only the browsing segment, so carts always precede purchases.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.columns.keys import zipf_ranks
from sandbox.columns.temporal import TIMESTAMP
from sandbox.core import exact
from sandbox.core.draws import levels, normal_quantiles
from sandbox.domains.common import labels
from sandbox.domains.ecommerce import pages, stock
from sandbox.domains.ecommerce.calendar import session_starts
from sandbox.domains.ecommerce.events import ADD, CHECKOUT, EVENT_TYPES, PRODUCT, PURCHASE, PV, REMOVE, SEARCH
from sandbox.domains.ecommerce.orders import Market, order_tables
from sandbox.domains.ecommerce.sessions import session_table
from sandbox.domains.ecommerce.shop import Catalogue, vocabulary

#: Segments of a session in order: (segment code -> event type, sort block). Code 4 is a view+add pair.
_SEG_TYPE = np.array([PV, PV, SEARCH, PRODUCT, PRODUCT, REMOVE, CHECKOUT, PURCHASE])
_SEG_BLOCK = np.array([0, 1, 1, 1, 2, 3, 4, 5])
DWELL_MEDIAN = np.array([25.0, 12.0, 40.0, 6.0, 5.0, 70.0, 8.0])
#: exp(0.7 z) at the normal quantile table's levels: a dwell time is its page type's median times one of these.
DWELL_SPREAD = exact.exp(0.7 * normal_quantiles())
REFERRALS = {
    "direct": 0.25,
    "organic_search": 0.30,
    "paid_search": 0.15,
    "social": 0.12,
    "email": 0.10,
    "affiliate": 0.08,
}
HOURS = [
    1,
    0.6,
    0.4,
    0.3,
    0.3,
    0.5,
    1.2,
    2.5,
    3.5,
    4,
    4.2,
    4.4,
    4.8,
    4.6,
    4.3,
    4.2,
    4.4,
    4.9,
    5.6,
    6.4,
    6.8,
    6.0,
    4.2,
    2.2,
]
#: The hour profile as probabilities (fsum, not a SIMD reduction).
HOURS_P = np.array(HOURS) / math.fsum(HOURS)
#: The spread of a session's engagement (how much more or less it browses than its device's mean): lognormal,
#: so session lengths are heavy-tailed (a few long sessions, many short ones).
ENGAGEMENT_SIGMA = 1.0
BROWSE_PAGES = {"mobile": 3.0, "desktop": 2.0, "tablet": 2.5}
BROWSE_PRODUCTS = {"mobile": 2.6, "desktop": 2.0, "tablet": 2.3}
US = 1_000_000
US_PER_HOUR = 3_600 * US
US_PER_DAY = 24 * US_PER_HOUR
#: Mean hours between a session and a return visit that follows it.
RETURN_GAP_HOURS = 2.0


@dataclass(frozen=True)
class Funnel:
    """Per-session probabilities derived from the knobs, so realised rates land on their targets."""

    devices: list[str]
    device_p: np.ndarray
    referrals: list[str]
    referral_p: np.ndarray
    multiplier: np.ndarray  # [device, referral]
    conversion: float
    abandonment: float
    anonymous: float
    bounce: float
    single_item: float

    @classmethod
    def from_knobs(cls, knobs: Mapping[str, Any]) -> Funnel:
        devices = ["mobile", "desktop", "tablet"]
        device_p = np.array(
            [knobs["mobile_share"], 1 - knobs["mobile_share"] - knobs["tablet_share"], knobs["tablet_share"]]
        )
        referrals = list(REFERRALS)
        referral_p = np.array([REFERRALS[r] for r in referrals])
        dev_m = np.array([knobs[f"{d}_conversion"] for d in devices])
        ref_m = np.array([knobs[f"{r}_conversion"] for r in referrals])
        return cls(
            devices,
            device_p,
            referrals,
            referral_p,
            np.outer(dev_m, ref_m),
            knobs["conversion_rate"],
            knobs["cart_abandonment"],
            knobs["anonymous_share"],
            knobs["bounce_rate"],
            knobs["single_item_share"],
        )

    def purchase_probability(self) -> np.ndarray:
        """P(purchase) per [device, referral] for a logged-in session; the mix averages to the target."""
        mean = exact.weighted_sum(np.outer(self.device_p, self.referral_p), self.multiplier)
        return self.conversion / (1 - self.anonymous) * self.multiplier / mean

    def max_cart_probability(self) -> float:
        return float(self.purchase_probability().max() / (1 - self.abandonment))


def _sessions(rng: np.random.Generator, funnel: Funnel, kind: np.ndarray, knobs: Mapping[str, Any]) -> dict:
    """Start time, device, referral and funnel outcome per session (kind: 0 customer, 1 anonymous, 2 bot)."""
    n = len(kind)
    bot = kind == 2
    start, end = knobs["_start_us"], knobs["_end_us"]
    starts = session_starts(rng, knobs["_calendar"], HOURS_P, n)
    starts[bot] = rng.integers(start, end, int(bot.sum()))  # bots keep no calendar
    device = rng.choice(3, n, p=funnel.device_p)
    device[bot] = np.where(rng.random(int(bot.sum())) < 0.9, 1, 0)
    referral = rng.choice(len(funnel.referrals), n, p=funnel.referral_p)
    referral[bot] = 0
    p_buy = np.where(kind == 0, funnel.purchase_probability()[device, referral], 0.0)
    cart = rng.random(n) < p_buy / (1 - funnel.abandonment)
    purchase = cart & (rng.random(n) < 1 - funnel.abandonment)
    checkout = purchase | (cart & (rng.random(n) < 0.4))
    # bounces come from the humans without a cart, so that their share of all human sessions is the knob
    carting = funnel.conversion / (1 - funnel.abandonment)
    bounce = (kind != 2) & ~cart & (rng.random(n) < funnel.bounce / (1 - carting))
    single = cart & (rng.random(n) < funnel.single_item)
    return {
        "start": starts,
        "device": device,
        "referral": referral,
        "cart": cart,
        "purchase": purchase,
        "checkout": checkout,
        "bot": bot,
        "bounce": bounce,
        "single": single,
    }


def _return_visits(
    rng: np.random.Generator,
    start: np.ndarray,
    customer_id: np.ndarray,
    kind: np.ndarray,
    share: float,
) -> np.ndarray:
    """Session starts with `share` of each customer's later sessions moved to soon after the one before (a
    return visit, RETURN_GAP_HOURS later on average), so visits, and the purchases in them, cluster in days."""
    known = np.flatnonzero(kind == 0)
    if not len(known) or share <= 0:
        return start
    # each customer's sessions in the order they were drawn, not in time order: a run's anchor is then any of
    # them (an unbiased calendar draw), never their earliest, so the day profile and the peaks keep their shape
    mine = known[np.argsort(customer_id[known], kind="stable")]
    owner = customer_id[mine]
    later = np.r_[False, owner[1:] == owner[:-1]]
    follows = later & (rng.random(len(mine)) < share)
    gap = np.where(follows, exact.exponential(rng, RETURN_GAP_HOURS * US_PER_HOUR, len(mine)).astype(np.int64), 0)
    anchor = np.maximum.accumulate(np.where(follows, 0, np.arange(len(mine))))  # the visit a run follows
    run_gap = np.cumsum(gap) - np.cumsum(gap)[anchor]  # time since the anchor, through the run's gaps
    # a return visit stays on its anchor's day (so the calendar keeps its shape): one that would run past
    # midnight comes as long before the anchor instead, and no earlier than the day's start
    at = start[mine][anchor]
    day = at - at % US_PER_DAY
    after = at + run_gap
    moved = start.copy()
    moved[mine] = np.where(after < day + US_PER_DAY, after, np.maximum(at - run_gap, day))
    return moved


def _segment_lengths(rng: np.random.Generator, s: dict, funnel: Funnel) -> np.ndarray:
    n = len(s["bot"])
    bot = s["bot"]
    pages = np.array([BROWSE_PAGES[d] for d in funnel.devices])[s["device"]]
    views = np.array([BROWSE_PRODUCTS[d] for d in funnel.devices])[s["device"]]
    searchy = np.isin(np.array(funnel.referrals)[s["referral"]], ["organic_search", "paid_search"])
    carts = np.flatnonzero(s["cart"])
    adds = np.zeros(n, np.int64)  # the order's lines: one for a single-item cart, else one or more
    adds[carts] = np.where(s["single"][carts], 1, 1 + rng.poisson(0.6, len(carts)))
    removed = np.zeros(n, np.int64)  # a product added, then taken out again: one more add than lines
    removed[carts] = ~s["single"][carts] & (rng.random(len(carts)) < 0.2)
    lengths = np.zeros((n, 8), np.int64)
    lengths[:, 0] = 1
    bots = np.flatnonzero(bot)  # bots and browsing humans each drawn from their own distributions
    browsing = np.flatnonzero(~bot & ~s["bounce"])  # a bounce sees the landing page only
    lengths[bots, 1] = 15 + rng.poisson(40, len(bots))
    lengths[bots, 3] = rng.poisson(15, len(bots))
    engaged = exact.lognormal(rng, -(ENGAGEMENT_SIGMA**2) / 2, ENGAGEMENT_SIGMA, len(browsing))  # mean 1
    lengths[browsing, 1] = rng.poisson(pages[browsing] * engaged)
    lengths[browsing, 2] = rng.poisson((0.3 + 0.8 * searchy[browsing]) * engaged)
    lengths[browsing, 3] = rng.poisson(views[browsing] * engaged)
    stayed = browsing[lengths[browsing, 1:].sum(axis=1) == 0]
    lengths[stayed, 1] = 1  # a session that is not a bounce sees a second page
    lengths[:, 4] = 2 * (adds + removed)
    lengths[:, 5] = removed
    lengths[:, 6] = s["checkout"]
    lengths[:, 7] = s["purchase"]
    return np.minimum(lengths, 400)


def _layout(rng: np.random.Generator, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(session index, event type, position in its view+add pair run) for every event, in session order."""
    n = len(lengths)
    per_session = lengths.sum(axis=1)
    code = np.repeat(np.tile(np.arange(8), n), lengths.ravel())
    session = np.repeat(np.arange(n), per_session)
    # Events are already in session and segment order; only each session's browsing block (contiguous)
    # is shuffled: sorting its rows by (session, 16 random bits) permutes within sessions only (a stable
    # sort of keys already in session order, cheaper than sorting floats: bench/RESULTS.md, "Notes from the code").
    browse = np.flatnonzero(_SEG_BLOCK[code] == 1)
    shuffle = (session[browse] << 16) | rng.integers(0, 2**16, len(browse))
    code[browse] = code[browse[np.argsort(shuffle, kind="stable")]]

    in_pairs = code == 4
    pair_pos = np.zeros(len(code), dtype=np.int64)
    if in_pairs.any():
        idx = np.flatnonzero(in_pairs)
        first = np.r_[True, (np.diff(idx) != 1) | (session[idx][1:] != session[idx][:-1])]
        run_start = np.maximum.accumulate(np.where(first, np.arange(len(idx)), 0))
        pair_pos[idx] = np.arange(len(idx)) - run_start
    etype = _SEG_TYPE[code].copy()
    etype[in_pairs & (pair_pos % 2 == 1)] = ADD
    return session, etype, pair_pos


def _products(
    rng: np.random.Generator,
    session: np.ndarray,
    etype: np.ndarray,
    pair_pos: np.ndarray,
    interest: np.ndarray,
    shop: Catalogue,
    skew: float,
) -> np.ndarray:
    """Product index per event (-1 where none): Zipf-popular, mostly from the session's interest category.

    A view+add pair shares one product; a removal takes back the session's last added product.
    """
    size = len(shop.category)
    product = np.full(len(etype), -1, dtype=np.int64)
    views = np.flatnonzero(etype == PRODUCT)
    # 70% of views from the interest category (Zipf inside it), the rest from the whole catalogue
    local = rng.random(len(views)) < 0.7
    a = 7919 if size % 7919 else 7907
    product[views[~local]] = (zipf_ranks(rng, int((~local).sum()), size, skew) * a) % size
    for c, members in enumerate(shop.by_category):
        mine = views[local & (interest[session[views]] == c)]
        if len(members) and len(mine):
            product[mine] = members[zipf_ranks(rng, len(mine), len(members), skew)]
        elif len(mine):
            product[mine] = rng.integers(0, size, len(mine))
    adds = np.flatnonzero(etype == ADD)
    product[adds] = product[adds - 1]  # the view right before it, same pair
    removes = np.flatnonzero(etype == REMOVE)
    if len(removes):
        product[removes] = product[removes - 1]  # the removal follows the last add of its session
    return product


@dataclass
class Chunk:
    sessions: pa.Table
    events: pa.Table
    sales: dict[str, pa.Table]  # orders, order_items, payments, returns
    bots: np.ndarray  # session ids of bot sessions
    bot_events: np.ndarray
    windows: tuple[np.ndarray, np.ndarray]


def generate(
    rng: np.random.Generator,
    knobs: Mapping[str, Any],
    market: Market,
    kind: np.ndarray,
    customer_id: np.ndarray,
    customer_country: np.ndarray,
    first_session: int,
) -> Chunk:
    """All sessions of one chunk with their events and orders; `customer_id` is -1 for anonymous sessions."""
    funnel, shop = Funnel.from_knobs(knobs), market.shop
    s = _sessions(rng, funnel, kind, knobs)
    s["start"] = _return_visits(rng, s["start"], customer_id, kind, float(knobs["return_visit_share"]))
    order = np.lexsort((np.arange(len(kind)), s["start"]))  # session ids follow start time
    s = {k: v[order] for k, v in s.items()}
    kind, customer_id, customer_country = kind[order], customer_id[order], customer_country[order]
    n = len(kind)
    session_id = np.arange(first_session, first_session + n, dtype=np.int64)
    interest = rng.choice(len(shop.categories), n, p=_category_weights(shop))
    lengths = _segment_lengths(rng, s, funnel)
    ev_session, etype, pair_pos = _layout(rng, lengths)
    total = len(etype)
    per_session = lengths.sum(axis=1)
    starts_at = np.cumsum(per_session) - per_session  # where each session's events begin (empty for none)
    seq = np.arange(total) - np.repeat(starts_at, per_session) + 1
    product = _products(rng, ev_session, etype, pair_pos, interest, shop, float(knobs["popularity_skew"]))
    dwell = DWELL_MEDIAN[etype] * DWELL_SPREAD[levels(rng, total)]  # lognormal per page type
    bot_events = np.flatnonzero(s["bot"][ev_session])
    dwell[bot_events] = rng.uniform(0.2, 1.5, len(bot_events))
    dwell = np.round(dwell, 3)
    dwell_us = np.rint(dwell * US).astype(np.int64)
    done = np.cumsum(dwell_us)
    before = done - dwell_us - np.repeat(done[starts_at] - dwell_us[starts_at], per_session)
    ts = s["start"][ev_session] + before
    product = stock.around_stockouts(market.stock, product, etype, ts)
    ended = s["start"] + np.add.reduceat(dwell_us, starts_at) if total else s["start"]
    event_interest = interest[ev_session]
    queries = pages.queries(rng, etype == SEARCH, event_interest, shop)
    urls = pages.urls(rng, etype, product, queries, event_interest, shop)
    sessions = session_table(rng, s, funnel, session_id, kind, customer_id, customer_country, ended, urls, starts_at)
    cust = np.where(kind == 0, customer_id, -1)[ev_session]
    events = pa.table(
        {
            "event_id": session_id[ev_session] * 1000 + seq,
            "session_id": session_id[ev_session],
            "customer_id": pa.array(cust, mask=cust < 0),
            "ts": pa.array(ts, TIMESTAMP),
            "event_type": labels(EVENT_TYPES, etype),
            "page_url": urls,
            "product_id": pa.array(product + 1, mask=product < 0),
            "search_query": queries,
            "dwell_seconds": dwell,
            "seq": seq.astype(np.int64),
        }
    )
    sales = order_tables(
        rng, knobs, s, session_id, customer_id, customer_country, ev_session, etype, product, ts, market
    )
    bots = session_id[s["bot"]]
    return Chunk(sessions, events, sales, bots, lengths.sum(axis=1)[s["bot"]], (s["start"], ended))


def _category_weights(shop: Catalogue) -> np.ndarray:
    cats = vocabulary()["categories"]
    p = np.array([cats[c]["weight"] for c in shop.categories])
    return p / p.sum()
