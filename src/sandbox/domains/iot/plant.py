"""The plant: sites, devices and sensors, and each device's planned events over the whole period.

Plans are small deterministic tables, a pure function of (seed, device), so every chunk (a group of devices
over one day) can apply the part that falls in its window: dropout runs of a two-state Markov chain, stuck
and drift windows, heat waves and heat death, failures with their lead windows, maintenance and the
calibration steps it causes, delayed uploads, and the episodes when the device clock is off.
"""

from __future__ import annotations

import base64
import functools
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from sandbox.columns.temporal import TIMESTAMP
from sandbox.core import exact
from sandbox.core.seeding import stream
from sandbox.domains.common import labels, weighted
from sandbox.domains.iot.operations import firmware_updates, noise_factor, plant_failures, regimes, site_shutdowns
from sandbox.domains.iot.vocab import vocabulary

US = 1_000_000
US_PER_DAY = 86_400 * US
KINDS = ("temperature", "pressure", "vibration", "humidity", "power")
DEVICES_PER_SITE = 8
HEAT_SENSITIVE = KINDS.index("humidity")


@dataclass(frozen=True)
class Layout:
    """Sites, devices and sensors as tables, plus the arrays generation needs."""

    sites: pa.Table
    devices: pa.Table
    sensors: pa.Table
    climate: np.ndarray  # per site: index into climates
    utc_offset_hours: np.ndarray  # per site, at the period's start
    device_site: np.ndarray  # per device (0-based site)
    device_vendor: np.ndarray  # per device: index into vendors
    device_noise: np.ndarray  # per device: the vendor's noise factor times its firmware's
    climates: tuple[str, ...]
    vendors: tuple[str, ...]

    def sensor_id(self, device: np.ndarray, kind: np.ndarray | int) -> np.ndarray:
        return device * len(KINDS) + kind + 1

    def noise_sd(self, device: np.ndarray, kind: int) -> np.ndarray:
        """The sensors' noise at the start of the period (the kind's, times the vendor's and firmware's factor)."""
        return vocabulary()["kinds"][KINDS[kind]]["noise_sd"] * self.device_noise[device]


@functools.lru_cache(maxsize=4)
def layout(seed: int, devices: int, start_us: int) -> Layout:
    vocab = vocabulary()
    rng = stream(seed, "plant", 0, "layout")
    sites, climates, climate, offsets = _sites(rng, vocab, max(1, math.ceil(devices / DEVICES_PER_SITE)), start_us)
    devices_table, vendors, vendor, device_site = _devices(rng, vocab, devices, start_us)
    noise = np.array(
        [
            vocab["vendors"][vendors[v]]["noise"] * noise_factor(vocab, f)
            for v, f in zip(vendor.tolist(), devices_table["firmware"].to_pylist(), strict=True)
        ]
    )
    sensors = _sensors(vocab, noise, devices)
    return Layout(
        sites, devices_table, sensors, climate, offsets, device_site, vendor, noise, tuple(climates), tuple(vendors)
    )


def _sites(
    rng: np.random.Generator, vocab: dict[str, Any], n_sites: int, start_us: int
) -> tuple[pa.Table, list[str], np.ndarray, np.ndarray]:
    """The sites, their climates, and each site's UTC offset in hours at the start."""
    places = vocab["sites"]
    climates, climate = weighted(rng, vocab["climates"], n_sites)
    names = [
        places[i % len(places)][0] + ("" if i < len(places) else f" {i // len(places) + 1}") for i in range(n_sites)
    ]
    zones = [places[i % len(places)][2] for i in range(n_sites)]
    start = datetime.fromtimestamp(start_us / US, ZoneInfo("UTC"))
    offsets = np.array([start.astimezone(ZoneInfo(z)).utcoffset().total_seconds() / 3600 for z in zones])  # type: ignore[union-attr]
    sites = pa.table(
        {
            "site_id": np.arange(1, n_sites + 1, dtype=np.int64),
            "name": pa.array(names),
            "country": pa.array([places[i % len(places)][1] for i in range(n_sites)]),
            "timezone": pa.array(zones),
            "climate": labels(climates, climate),
        }
    )
    return sites, climates, climate, offsets


def _devices(
    rng: np.random.Generator, vocab: dict[str, Any], devices: int, start_us: int
) -> tuple[pa.Table, list[str], np.ndarray, np.ndarray]:
    """The devices (vendor, model, firmware, install time, serial), their vendors and sites."""
    vendors = list(vocab["vendors"])
    device_site = np.arange(devices) // DEVICES_PER_SITE
    vendor = rng.integers(0, len(vendors), devices)
    models = [m for v in vendors for m in vocab["vendors"][v]["models"]]
    model = np.array(
        [
            models.index(vocab["vendors"][vendors[v]]["models"][i % len(vocab["vendors"][vendors[v]]["models"])])
            for i, v in enumerate(vendor)
        ]
    )
    firmware = [
        f"{a}.{b}.{c}"
        for a, b, c in zip(
            rng.integers(1, 4, devices), rng.integers(0, 10, devices), rng.integers(0, 30, devices), strict=True
        )
    ]
    installed = start_us - rng.integers(30, 5 * 365, devices) * US_PER_DAY - rng.integers(0, US_PER_DAY, devices)
    table = pa.table(
        {
            "device_id": np.arange(1, devices + 1, dtype=np.int64),
            "site_id": device_site.astype(np.int64) + 1,
            "vendor": labels(vendors, vendor),
            "model": labels(models, model),
            "firmware": pa.array(firmware),
            "installed_at": pa.array(installed, TIMESTAMP),
            # base32 (A-Z, 2-7): a serial never reads as a phone number, which hex serials sometimes did
            "serial_number": pa.array(
                [
                    f"{vendors[v][:3].upper()}-{base64.b32encode(int(s).to_bytes(5, 'big')).decode()}"
                    for v, s in zip(vendor, rng.integers(0, 2**40, devices), strict=True)
                ]
            ),
        }
    )
    return table, vendors, vendor, device_site


def _sensors(vocab: dict[str, Any], device_noise: np.ndarray, devices: int) -> pa.Table:
    """One sensor per kind per device, with its unit, interval and noise (vendor and firmware)."""
    dev = np.repeat(np.arange(devices), len(KINDS))
    kind = np.tile(np.arange(len(KINDS)), devices)
    kinds = vocab["kinds"]
    noise = np.array([kinds[k]["noise_sd"] for k in KINDS])[kind] * device_noise[dev]
    return pa.table(
        {
            "sensor_id": dev * len(KINDS) + kind + 1,
            "device_id": dev + 1,
            "kind": labels(list(KINDS), kind),
            "unit": labels([kinds[k]["unit"] for k in KINDS], kind),
            "sample_interval_s": np.array([kinds[k]["interval_s"] for k in KINDS], dtype=np.int64)[kind],
            "vendor_noise_sd": np.round(noise, 4),
        }
    )


@dataclass(frozen=True)
class Runs:
    """Windows on one sensor's sample grid: first sample, number of samples, and one value each."""

    start: np.ndarray
    length: np.ndarray
    value: np.ndarray


#: The log-sd of outage lengths around `outage_median_hours`: one in ten lasts over 4.7 times the median.
OUTAGE_SPREAD = 1.2


@dataclass(frozen=True)
class DevicePlan:
    clock: list[tuple[int, int, int]]  # (start us, end us, offset us): the device clock is off by offset
    jitter_us: float
    failures: np.ndarray  # failed_at (us)
    causes: list[str]
    modes: list[str]  # per failure, from its cause: which signals show it coming (vocabulary "precursors")
    repaired: np.ndarray  # back up at (us)
    maintenance: list[tuple[int, str, int, float]]  # (ts us, kind, sensor kind index, calibration delta)
    heat_waves: list[tuple[int, int, float]]  # (start us, end us, degrees)
    death_us: int | None  # the heat-sensitive sensor stops here
    dropouts: list[Runs]  # per sensor kind; value: 1.0 when the device flags the gap itself
    stuck: list[Runs]
    drift: list[Runs]  # value: slope per day, in units of the sensor's noise sd
    uploads: list[tuple[int, int, int]]  # (start us, end us, delay us): readings held back, then sent
    outages: list[tuple[int, int]]  # (start us, end us): the network is down and the readings are lost
    mixup: tuple[int, int]  # (start us, end us): a vendor's unit mix-up, if the vendor has one
    shutdowns: list[tuple[int, int]]  # (start us, end us): the site's planned shutdowns
    regimes: list[tuple[int, int, int]]  # (start us, end us, index into operations.REGIMES), back to back
    firmware: list[tuple[int, str, str]]  # (ts us, from version, to version)
    replacements: list[tuple[int, int, float, float]]  # (ts us, kind index, offset, noise factor)

    def offsets(self, t: np.ndarray) -> np.ndarray:
        """How far the device clock is off at each true instant of the sorted `t` (0 outside skew episodes)."""
        out = np.zeros(len(t), np.int64)
        for begin, end, offset in self.clock:
            lo, hi = np.searchsorted(t, [begin, end])
            out[lo:hi] = offset
        return out

    def offset(self, when: int) -> int:
        return next((offset for begin, end, offset in self.clock if begin <= when < end), 0)


def _runs(rng: np.random.Generator, samples: int, rate: float, mean_gap: float) -> Runs:
    """Off-runs of a two-state Markov chain with stationary off-share `rate` and mean off-run `mean_gap`."""
    if rate <= 0 or samples <= 0:
        return Runs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    q = 1.0 / max(mean_gap, 1.0)
    p = rate * q / (1 - rate)
    expected = int(samples * p * 1.3 + 20)
    on = rng.geometric(p, expected)
    off = rng.geometric(q, expected)
    offset = -rng.integers(0, int(on[0]) + int(off[0]))  # start inside a cycle: the chain is already running
    ends_on = offset + np.cumsum(on + off) - off
    keep = (ends_on < samples) & (ends_on + off > 0)
    start = np.maximum(ends_on[keep], 0)
    length = np.minimum(ends_on[keep] + off[keep], samples) - start
    return Runs(start.astype(np.int64), length.astype(np.int64), (rng.random(len(start)) < 0.2).astype(float))


def _windows(rng: np.random.Generator, samples: int, count: int, median: float, values: np.ndarray) -> Runs:
    start = rng.integers(0, max(samples, 1), count)
    length = np.maximum(1, np.rint(exact.lognormal(rng, float(exact.log(median)), 0.6, count))).astype(np.int64)
    return Runs(start, np.minimum(length, samples - start), values)


@functools.lru_cache(maxsize=4096)
def device_plan(
    seed: int, device: int, devices: int, knobs_key: tuple[tuple[str, Any], ...], start_us: int
) -> DevicePlan:
    """A device's whole period, planned up front from its own stream (and the plant's failures and its site's
    shutdowns): maintenance, heat waves, regimes, each sensor's faults, late uploads and its clock. Every
    day's chunk reads the same plan."""
    knobs = dict(knobs_key)
    vocab = vocabulary()
    plant = layout(seed, devices, start_us)
    site = int(plant.device_site[device])
    rng = stream(seed, "device", device, "plan")
    days = int(knobs["days"])
    end_us = start_us + days * US_PER_DAY
    failing, failed, repaired, causes = plant_failures(seed, devices, knobs_key, start_us)
    mine = np.flatnonzero(failing == device)
    failed, repaired, causes = failed[mine], repaired[mine], [causes[i] for i in mine]
    replacements = _replacements(rng, vocab, knobs, start_us, end_us)
    maintenance = _maintenance(rng, vocab, knobs, repaired, replacements, start_us, end_us)
    waves, death = _heat_waves(rng, vocab, knobs, plant.climates[plant.climate[site]], start_us, end_us)
    dropouts, stuck, drift = _sensor_faults(rng, vocab, knobs)
    uploads = []
    for _ in range(rng.poisson(knobs["late_uploads_per_device_day"] * days)):
        begin = int(rng.integers(start_us, end_us))
        length = int(exact.lognormal(rng, float(exact.log(1800)), 0.7) * US)
        uploads.append((begin, begin + length, length + int(exact.exponential(rng, 7200) * US)))
    clock = _clock_skews(rng, knobs, start_us, end_us)
    jitter = float(rng.uniform(20, 200) * 1000)
    outages = _outages(rng, knobs, start_us, end_us)
    mixed = int(rng.integers(start_us, end_us))
    hours = float(exact.lognormal(rng, float(exact.log(float(knobs["unit_mixup_median_hours"]))), 0.8))
    shutdowns = site_shutdowns(seed, site, knobs, start_us, end_us)
    firmware = str(plant.devices["firmware"][device])
    return DevicePlan(
        clock,
        jitter,
        failed,
        causes,
        [vocab["failure_modes"][c] for c in causes],
        repaired,
        maintenance,
        waves,
        death,
        dropouts,
        stuck,
        drift,
        uploads,
        outages,
        (mixed, mixed + int(hours * 3600 * US)),
        shutdowns,
        regimes(rng, vocab, knobs, shutdowns, start_us, end_us),
        firmware_updates(rng, knobs, firmware, start_us, end_us),
        replacements,
    )


def _replacements(
    rng: np.random.Generator, vocab: dict[str, Any], knobs: dict[str, Any], start_us: int, end_us: int
) -> list[tuple[int, int, float, float]]:
    """Sensors replaced, (when, kind index, offset, noise factor): the new sensor reads a little off the old
    one (2 to 6 noise sds) and is more or less noisy (x0.7 to x1.2)."""
    count = rng.poisson(knobs["replacements_per_device_year"] * (end_us - start_us) / (365 * US_PER_DAY))
    out = []
    for when in np.sort(rng.integers(start_us, end_us, count)).tolist():
        kind = int(rng.integers(0, len(KINDS)))
        offset = float(rng.choice([-1, 1]) * rng.uniform(2, 6)) * vocab["kinds"][KINDS[kind]]["noise_sd"]
        out.append((int(when), kind, round(offset, 4), round(float(rng.uniform(0.7, 1.2)), 3)))
    return out


def _clock_skews(
    rng: np.random.Generator, knobs: dict[str, Any], start_us: int, end_us: int
) -> list[tuple[int, int, int]]:
    """Episodes with the device clock set wrong (2 to 10 minutes either way) until it next syncs: Poisson in
    time, lognormal in length, never overlapping (a later episode starts after the one before ends)."""
    count = rng.poisson(knobs["clock_skews_per_device_month"] * (end_us - start_us) / (30 * US_PER_DAY))
    begin = np.sort(rng.integers(start_us, end_us, count))
    hours = exact.lognormal(rng, float(exact.log(float(knobs["clock_skew_median_hours"]))), 0.8, count)
    offset = rng.choice([-1, 1], count) * rng.uniform(120, 600, count) * US
    episodes, free = [], start_us
    for b, h, o in zip(begin.tolist(), hours.tolist(), offset.tolist(), strict=True):
        if b >= free:
            episodes.append((int(b), int(b + h * 3600 * US), int(o)))
            free = episodes[-1][1]
    return episodes


def _outages(rng: np.random.Generator, knobs: dict[str, Any], start_us: int, end_us: int) -> list[tuple[int, int]]:
    """Network losses: Poisson in time, lognormal in length (heavy-tailed: hours, sometimes days)."""
    count = rng.poisson(knobs["outages_per_device_month"] * (end_us - start_us) / (30 * US_PER_DAY))
    begin = rng.integers(start_us, end_us, count)
    hours = exact.lognormal(rng, float(exact.log(float(knobs["outage_median_hours"]))), OUTAGE_SPREAD, count)
    return [(int(b), int(b + h * 3600 * US)) for b, h in zip(begin.tolist(), hours.tolist(), strict=True)]


def _maintenance(
    rng: np.random.Generator,
    vocab: dict[str, Any],
    knobs: dict[str, Any],
    repaired: np.ndarray,
    replacements: list[tuple[int, int, float, float]],
    start_us: int,
    end_us: int,
) -> list[tuple[int, str, int, float]]:
    """Repairs, calibrations (each shifts one sensor) and sensor replacements, in time order."""
    maintenance = [(int(t), "repair", KINDS.index("vibration"), 0.0) for t in repaired if t < end_us]
    every = float(knobs["calibration_interval_days"]) * US_PER_DAY
    t = start_us + rng.uniform(0.1, 1.0) * every
    while t < end_us:
        kind = int(rng.choice([0, 1, 3, 4]))
        noise = vocab["kinds"][KINDS[kind]]["noise_sd"]
        delta = float(np.round(rng.choice([-1, 1]) * rng.uniform(6, 12) * noise, 3))
        maintenance.append((int(t), "calibration", kind, delta))
        t += every * rng.uniform(0.8, 1.2)
    maintenance += [(when, "replacement", kind, offset) for when, kind, offset, _ in replacements]
    maintenance.sort()
    return maintenance


def _heat_waves(
    rng: np.random.Generator,
    vocab: dict[str, Any],
    knobs: dict[str, Any],
    climate: str,
    start_us: int,
    end_us: int,
) -> tuple[list[tuple[int, int, float]], int | None]:
    """Heat waves on a hot mill floor, and when the first one too hot for the device kills it (else None)."""
    waves: list[tuple[int, int, float]] = []
    if climate != "hot mill floor":
        return waves, None
    for _ in range(rng.poisson(int(knobs["days"]) / 20)):
        begin = int(rng.integers(start_us, end_us))
        waves.append((begin, begin + int(rng.uniform(6, 48) * 3600 * US), float(rng.uniform(8, 22))))
    hot = [w for w in waves if vocab["kinds"]["temperature"]["base"][climate] + w[2] > knobs["death_temperature"]]
    if not hot:
        return waves, None
    first = min(hot)
    return waves, first[0] + int((first[1] - first[0]) * 0.3)


def _sensor_faults(
    rng: np.random.Generator, vocab: dict[str, Any], knobs: dict[str, Any]
) -> tuple[list[Runs], list[Runs], list[Runs]]:
    """Each sensor's dropouts, stuck windows and drifts over the period, in samples."""
    days = int(knobs["days"])
    intervals = [vocab["kinds"][k]["interval_s"] for k in KINDS]
    samples = [days * 86_400 // i for i in intervals]
    dropouts = [_runs(rng, n, knobs["dropout_rate"], knobs["mean_gap_samples"]) for n in samples]
    stuck = [
        _windows(rng, n, rng.poisson(knobs["stuck_per_sensor_day"] * days), 3600 / i, np.zeros(0))
        for n, i in zip(samples, intervals, strict=True)
    ]
    # a stuck window repeats the value at its start, which only the chunk of that day has: end it that day
    stuck = [
        Runs(r.start, np.minimum(r.length, n // days - r.start % (n // days)), np.zeros(len(r.start)))
        for r, n in zip(stuck, samples, strict=True)
    ]
    drift = []
    for n, i in zip(samples, intervals, strict=True):
        count = rng.poisson(knobs["drift_per_sensor_month"] * days / 30)
        slopes = rng.choice([-1, 1], count) * rng.uniform(2, 5, count)
        drift.append(_windows(rng, n, count, 3 * 86_400 / i, slopes))
    return dropouts, stuck, drift
