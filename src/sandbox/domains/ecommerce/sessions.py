"""The sessions table of a chunk: device, platform, user agent, network, country, referral and landing page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from sandbox.columns.safe import safe_pool
from sandbox.columns.temporal import TIMESTAMP
from sandbox.domains.common import labels, weighted
from sandbox.domains.ecommerce.shop import vocabulary

if TYPE_CHECKING:
    from sandbox.domains.ecommerce.funnel import Funnel


def _platforms(rng: np.random.Generator, device: np.ndarray, funnel: Funnel) -> tuple[list[str], np.ndarray]:
    """An "OS/Browser" label per session, drawn per device from the vocabulary's shares."""
    vocab = vocabulary()["devices"]
    combos: list[str] = []
    combo = np.zeros(len(device), dtype=np.int64)
    for d, name in enumerate(funnel.devices):
        rows = np.flatnonzero(device == d)
        os_names, os_pick = weighted(rng, vocab[name]["os"], len(rows))
        for o, os_name in enumerate(os_names):
            mine = rows[os_pick == o]
            browsers, pick = weighted(rng, vocab[name]["browsers"][os_name], len(mine))
            for b, browser in enumerate(browsers):
                label = f"{os_name}/{browser}"
                if label not in combos:
                    combos.append(label)
                combo[mine[pick == b]] = combos.index(label)
    return combos, combo


def _part(combos: list[str], combo: np.ndarray, side: int) -> pa.DictionaryArray:
    names = sorted({c.split("/")[side] for c in combos})
    lookup = np.array([names.index(c.split("/")[side]) for c in combos])
    return labels(names, lookup[combo])


def session_table(
    rng: np.random.Generator,
    s: dict,
    funnel: Funnel,
    session_id: np.ndarray,
    kind: np.ndarray,
    customer_id: np.ndarray,
    customer_country: np.ndarray,
    ended: np.ndarray,
    urls: pa.Array,
    starts_at: np.ndarray,
) -> pa.Table:
    vocab = vocabulary()
    n = len(kind)
    combos, combo = _platforms(rng, s["device"], funnel)
    agents = [vocab["user_agents"][c] for c in combos] + [vocab["user_agents"]["bot"]]
    agent = np.where(s["bot"] & (rng.random(n) < 0.5), len(combos), combo)
    ips = safe_pool("ipv4", ("US", "GB"), 10_000)
    codes = list(vocab["countries"])
    _, other_country = weighted(rng, {k: v[1] for k, v in vocab["countries"].items()}, n)
    country = np.where(kind == 0, customer_country, other_country)
    return pa.table(
        {
            "session_id": session_id,
            "customer_id": pa.array(customer_id, mask=kind != 0),
            "started_at": pa.array(s["start"], TIMESTAMP),
            "ended_at": pa.array(ended, TIMESTAMP),
            "device": labels(funnel.devices, s["device"]),
            "os": _part(combos, combo, 0),
            "browser": _part(combos, combo, 1),
            "user_agent": labels(agents, agent),
            "ip_address": pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, len(ips), n, dtype=np.int32)), ips),
            "country": labels(codes, country),
            "referral_source": labels(funnel.referrals, s["referral"]),
            "landing_page": urls.take(pa.array(starts_at)),
            "converted": pa.array(s["purchase"]),
            "bounced": pa.array(s["bounce"]),
        }
    )
