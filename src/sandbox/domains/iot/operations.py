"""How the plant is run, planned up front: the plant's failures (every mode represented), planned shutdowns per
site, each device's operating regimes (load levels) and firmware updates; and what they do to a signal.

A regime shifts the load-coupled level of every sensor of the device; a shutdown switches the machine off (its
signals fall towards their idle level with the kind's time constant, then start up again); a firmware update
or a replaced sensor changes the measurement noise from then on.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from sandbox.core import exact
from sandbox.core.seeding import stream
from sandbox.domains.common import weighted
from sandbox.domains.iot.vocab import vocabulary

US = 1_000_000
US_PER_HOUR = 3600 * US
US_PER_DAY = 24 * US_PER_HOUR
#: A regime's shift of the load-coupled level, in units of the kind's load coupling (`data.json` regimes).
REGIMES = ("low", "normal", "high", "shutdown")
SHUTDOWN = REGIMES.index("shutdown")
#: The log-sd of regime and shutdown lengths around their medians.
SPREAD = 0.7


@functools.lru_cache(maxsize=4)
def plant_failures(
    seed: int, devices: int, knobs_key: tuple[tuple[str, Any], ...], start_us: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Every failure of the plant: (device, failed at, repaired at, cause), in time order. Poisson in number
    (`failure_rate` per device-year), uniform over devices and over the period once the precursors fit; the
    first failures take one mode each, so a plant with at least as many failures as modes shows every mode."""
    vocab, knobs = vocabulary(), dict(knobs_key)
    rng = stream(seed, "plant", 0, "failures")
    days = int(knobs["days"])
    end_us = start_us + days * US_PER_DAY
    earliest = start_us + int(knobs["failure_lead_hours"] * US_PER_HOUR) + US_PER_DAY // 4
    n = int(rng.poisson(knobs["failure_rate"] * devices * days / 365)) if earliest < end_us else 0
    device = rng.integers(0, max(devices, 1), n)
    failed = rng.integers(earliest, max(end_us, earliest + 1), n)
    repaired = failed + (rng.uniform(4, 24, n) * US_PER_HOUR).astype(np.int64)
    names, drawn = weighted(rng, vocab["causes"], n)
    causes = [names[i] for i in drawn]
    modes = sorted(set(vocab["failure_modes"].values()))
    for i, mode in enumerate(rng.permutation(modes)[: min(n, len(modes))]):  # one failure per mode first
        within = {c: w for c, w in vocab["causes"].items() if vocab["failure_modes"][c] == mode}
        picked, index = weighted(rng, within, 1)
        causes[i] = picked[int(index[0])]
    order = np.argsort(failed, kind="stable")
    return device[order], failed[order], repaired[order], [causes[i] for i in order]


def site_shutdowns(seed: int, site: int, knobs: Mapping[str, Any], start_us: int, end_us: int) -> list[tuple[int, int]]:
    """A site's planned shutdowns (every machine of the site off): Poisson in time, lognormal in length."""
    rng = stream(seed, "site", site, "shutdowns")
    count = rng.poisson(knobs["shutdowns_per_site_month"] * (end_us - start_us) / (30 * US_PER_DAY))
    begin = np.sort(rng.integers(start_us, end_us, count))
    hours = exact.lognormal(rng, float(exact.log(float(knobs["shutdown_median_hours"]))), SPREAD, count)
    out: list[tuple[int, int]] = []
    for b, h in zip(begin.tolist(), hours.tolist(), strict=True):
        if not out or b >= out[-1][1] + US_PER_HOUR:  # a shutdown starts after the last one is over
            out.append((int(b), int(b + h * US_PER_HOUR)))
    return out


def regimes(
    rng: np.random.Generator,
    vocab: Mapping[str, Any],
    knobs: Mapping[str, Any],
    shutdowns: list[tuple[int, int]],
    start_us: int,
    end_us: int,
) -> list[tuple[int, int, int]]:
    """The device's operating timeline, (start, end, regime index), back to back over the period: load levels
    of lognormal length (`regime_median_hours`), cut by the site's shutdowns."""
    shares = vocab["regimes"]
    expected = int((end_us - start_us) / (float(knobs["regime_median_hours"]) * US_PER_HOUR) * 2 + 8)
    lengths = exact.lognormal(rng, float(exact.log(float(knobs["regime_median_hours"]))), SPREAD, expected)
    names, level = weighted(rng, {name: shares[name]["share"] for name in REGIMES[:SHUTDOWN]}, expected)
    cuts = start_us + np.cumsum((lengths * US_PER_HOUR).astype(np.int64))
    bounds = np.r_[start_us, cuts[cuts < end_us], end_us]
    timeline = [
        (int(a), int(b), REGIMES.index(names[int(v)])) for a, b, v in zip(bounds[:-1], bounds[1:], level, strict=False)
    ]
    for begin, end in shutdowns:
        kept = [(a, min(b, begin), r) for a, b, r in timeline if a < begin]
        kept += [(max(a, end), b, r) for a, b, r in timeline if b > end]
        timeline = sorted([(a, b, r) for a, b, r in kept if a < b] + [(begin, min(end, end_us), SHUTDOWN)])
    return timeline


def firmware_updates(
    rng: np.random.Generator, knobs: Mapping[str, Any], firmware: str, start_us: int, end_us: int
) -> list[tuple[int, str, str]]:
    """Firmware updates, (when, from, to): Poisson in time; an update to a new major version where there is one."""
    count = rng.poisson(knobs["firmware_updates_per_device_year"] * (end_us - start_us) / (365 * US_PER_DAY))
    out, version = [], firmware
    for when in np.sort(rng.integers(start_us, end_us, count)).tolist():
        major, minor, _ = (int(p) for p in version.split("."))
        new = f"{major + 1}.0.0" if major < 3 else f"{major}.{minor + 1}.0"
        out.append((int(when), version, new))
        version = new
    return out


def noise_factor(vocab: Mapping[str, Any], firmware: str) -> float:
    """How noisy a firmware's readings are against the vendor's figure (newer firmware filters better)."""
    return float(vocab["firmware_noise"][firmware.split(".")[0]])


def level_shift(
    timeline: list[tuple[int, int, int]], t: np.ndarray, coupling: float, vocab: Mapping[str, Any]
) -> np.ndarray:
    """The regimes' shift of the kind's level at the sorted instants `t` (0 during a shutdown)."""
    shift = np.array([vocab["regimes"][name]["shift"] if name != "shutdown" else 0.0 for name in REGIMES])
    starts = np.array([a for a, _, _ in timeline], np.int64)
    which = np.array([r for _, _, r in timeline], np.int64)
    index = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(starts) - 1)
    return coupling * shift[which[index]]


def switched_off(shutdowns: list[tuple[int, int]], t: np.ndarray, tau_minutes: float) -> np.ndarray | None:
    """How far the machine is off at the sorted instants `t`, 0 (running) to 1 (cold): it cools with time
    constant `tau_minutes` through a shutdown and warms back the same way after it. None when it runs
    throughout."""
    tau = tau_minutes * 60 * US
    off = None
    for begin, end in shutdowns:
        lo, mid, hi = np.searchsorted(t, [begin, end, end + 8 * tau])
        if lo == hi:
            continue
        off = np.zeros(len(t)) if off is None else off
        at_end = 1 - float(exact.exp(-(end - begin) / tau))
        off[lo:mid] = 1 - exact.exp(-(t[lo:mid] - begin) / tau)
        off[mid:hi] = at_end * exact.exp(-(t[mid:hi] - end) / tau)
    return off


def noise_scale(
    firmware: list[tuple[int, str, str]],
    replaced: list[tuple[int, int, float, float]],
    kind: int,
    t: np.ndarray,
    vocab: Mapping[str, Any],
) -> np.ndarray | None:
    """How much noisier than at the start a sensor of `kind` reads at the sorted instants `t`, after firmware
    updates and its replacement; None when nothing changed."""
    steps = [(when, noise_factor(vocab, new) / noise_factor(vocab, old)) for when, old, new in firmware]
    steps += [(when, factor) for when, k, _, factor in replaced if k == kind]
    if not steps:
        return None
    scale = np.ones(len(t))
    for when, factor in sorted(steps):
        scale[np.searchsorted(t, when) :] *= factor
    return scale
