"""One chunk of readings (a group of devices over one UTC day), with every fault logged as it is applied.

Signal = baseline (kind, climate) + daily and weekly cycles + the device's load (shared by its sensors, so
temperature and power rise together) + AR(1) noise (vendor-dependent) + heat waves, failure precursors,
drift and calibration steps. Faults follow in a fixed order: spikes, unit mix-ups, stuck values, dropouts,
downtime and heat death, then the device clock (skew, jitter) and delivery (latency, held-back uploads,
duplicates).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.columns.temporal import TIMESTAMP
from sandbox.domains.plant import KINDS, US, US_PER_DAY, DevicePlan, Layout, Runs, vocabulary
from sandbox.noise.defects import DefectLog, row_keys

QUALITY = ["ok", "suspect", "missing"]
PHI, LOAD_PHI, LOAD_STEP = 0.9, 0.97, 300


def ar1(rng: np.random.Generator, rows: int, n: int, phi: float, sd: np.ndarray, block: int = 64) -> np.ndarray:
    """AR(1) series with stationary sd per row, started from the stationary distribution (blocked, vectorised)."""
    blocks = -(-n // block)
    e = rng.normal(0, 1, (rows, blocks * block)) * (np.asarray(sd) * np.sqrt(1 - phi**2))[:, None]
    lower = np.tril(phi ** np.subtract.outer(np.arange(block), np.arange(block)).clip(0))
    inner = e.reshape(rows, blocks, block) @ lower.T
    carry = rng.normal(0, 1, rows) * sd
    decay = phi ** (np.arange(block) + 1)
    out = np.empty_like(inner)
    for b in range(blocks):
        out[:, b] = inner[:, b] + decay * carry[:, None]
        carry = out[:, b, -1]
    return out.reshape(rows, -1)[:, :n]


def _in_runs(runs: Runs, first: int, n: int) -> np.ndarray:
    """A mask over samples [first, first + n) of the samples inside any of the runs."""
    mask = np.zeros(n, bool)
    for s, length in zip(runs.start, runs.length, strict=True):
        lo, hi = max(s - first, 0), min(s + length - first, n)
        if lo < hi:
            mask[lo:hi] = True
    return mask


def _starting(runs: Runs, first: int, n: int) -> np.ndarray:
    return np.flatnonzero((runs.start >= first) & (runs.start < first + n))


class Day:
    """The readings of a device group on one day, built kind by kind."""

    def __init__(
        self,
        seed: int,
        day: int,
        start_us: int,
        knobs: Mapping[str, Any],
        plant: Layout,
        devices: np.ndarray,
        plans: list[DevicePlan],
        rng: np.random.Generator,
        log: DefectLog,
    ) -> None:
        self.day, self.knobs, self.plant, self.devices, self.plans, self.rng, self.log = (
            day,
            knobs,
            plant,
            devices,
            plans,
            rng,
            log,
        )
        self.day_start = start_us + day * US_PER_DAY
        self.period_end = start_us + int(knobs["days"]) * US_PER_DAY
        self.vocab = vocabulary()
        self.load = ar1(rng, len(devices), 86_400 // LOAD_STEP, LOAD_PHI, np.ones(len(devices)))
        self.parts: list[dict[str, np.ndarray]] = []
        self.windows: dict[str, list[tuple[str, int, int, str]]] = {}

    def kind(self, k: int) -> None:
        spec = self.vocab["kinds"][KINDS[k]]
        interval = spec["interval_s"]
        n = 86_400 // interval
        first = self.day * n
        plant, devices, rng = self.plant, self.devices, self.rng
        t = self.day_start + np.arange(n, dtype=np.int64) * interval * US
        site = plant.device_site[devices]
        climate = np.array(plant.climates)[plant.climate[site]]
        sd = plant.noise_sd(devices, k)
        hours = ((t[None, :] / US / 3600) + plant.utc_offset_hours[site][:, None]) % 24
        weekend = ((t // US_PER_DAY + 3) % 7) >= 5
        value = (
            np.array([spec["base"][c] for c in climate])[:, None]
            + spec["daily_amplitude"] * np.sin(2 * np.pi * (hours - 9) / 24)
            + spec["weekly_amplitude"] * np.where(weekend, -1.0, 0.4)[None, :]
            + spec["load_coupling"] * 0.1 * self.load[:, (np.arange(n) * interval) // LOAD_STEP]
            + ar1(rng, len(devices), n, PHI, sd)
        )
        sensor = plant.sensor_id(devices, k)
        for row, plan in enumerate(self.plans):
            value[row] += self._planned(plan, k, t, first, n, sd[row], spec, sensor[row])
        clean = value.copy()
        spike = rng.random(value.shape) < float(self.knobs["spike_rate"])
        hit_row, hit_col = np.nonzero(spike)  # a few per thousand: draw magnitudes for these only
        value[hit_row, hit_col] += rng.choice([-1, 1], len(hit_row)) * rng.uniform(20, 40, len(hit_row)) * sd[hit_row]
        keep = np.ones(value.shape, bool)
        flagged = np.zeros(value.shape, bool)
        for row, plan in enumerate(self.plans):
            mixup = self.vocab["vendors"][plant.vendors[plant.device_vendor[devices[row]]]]["unit_mixup"]
            if mixup and KINDS[k] in mixup:
                _, scale, offset = mixup[KINDS[k]]
                value[row] = value[row] * scale + offset
                clean[row] = clean[row] * scale + offset
            stuck = _in_runs(plan.stuck[k], first, n)
            for i in _starting(plan.stuck[k], first, n):
                lo = plan.stuck[k].start[i] - first
                hi = min(lo + plan.stuck[k].length[i], n)
                value[row, lo:hi] = value[row, lo]
                self._window(sensor[row], plan, "stuck", t[lo], t[hi - 1], {"samples": int(hi - lo)})
            spike[row] &= ~stuck
            gaps = plan.dropouts[k]
            gone = _in_runs(Runs(gaps.start[gaps.value == 0], gaps.length[gaps.value == 0], gaps.value), first, n)
            flagged[row] = _in_runs(
                Runs(gaps.start[gaps.value == 1], gaps.length[gaps.value == 1], gaps.value), first, n
            )
            for i in _starting(gaps, first, n):
                lo = gaps.start[i] - first
                self._window(
                    sensor[row],
                    plan,
                    "dropout",
                    t[lo],
                    t[lo] + (gaps.length[i] - 1) * interval * US,
                    {"samples": int(gaps.length[i]), "flagged": bool(gaps.value[i])},
                )
            down = np.zeros(n, bool)
            for failed, repaired in zip(plan.failures, plan.repaired, strict=True):
                down |= (t >= failed) & (t < repaired)
            if k == KINDS.index("humidity") and plan.death_us is not None:
                down |= t >= plan.death_us
            keep[row] = ~gone & ~down & (t < self.period_end)
            flagged[row] &= keep[row]
            spike[row] &= keep[row] & ~flagged[row]
        self._collect(k, sensor, t, np.round(value, 4), clean, spike, keep, flagged)

    def _planned(
        self,
        plan: DevicePlan,
        k: int,
        t: np.ndarray,
        first: int,
        n: int,
        sd: float,
        spec: Mapping[str, Any],
        sensor: int,
    ) -> np.ndarray:
        """What the device's plan adds to this sensor today: heat, failure precursors, drift, calibrations."""
        add = np.zeros(n)
        if KINDS[k] == "temperature":
            for begin, end, degrees in plan.heat_waves:
                add += np.where((t >= begin) & (t < end), degrees, 0.0)
        lead = float(self.knobs["failure_lead_hours"]) * 3600 * US
        if KINDS[k] in ("vibration", "temperature"):
            scale = (8 * sd + 0.5 * abs(spec["base"]["hot mill floor"])) * (1.0 if KINDS[k] == "vibration" else 0.3)
            for failed in plan.failures:
                inside = (t >= failed - lead) & (t < failed)
                add += np.where(inside, scale * ((t - (failed - lead)) / lead) ** 2, 0.0)
        drift = plan.drift[k]
        for s, length, slope in zip(drift.start, drift.length, drift.value, strict=True):
            lo, hi = max(s - first, 0), min(s + length - first, n)
            if lo < hi:
                elapsed = (np.arange(lo, hi) + first - s) * spec["interval_s"] / 86_400
                add[lo:hi] += slope * sd * elapsed
        for i in _starting(drift, first, n):
            lo = drift.start[i] - first
            self._window(
                sensor,
                plan,
                "drift",
                t[lo],
                t[lo] + (drift.length[i] - 1) * spec["interval_s"] * US,
                {"slope_per_day": round(float(drift.value[i] * sd), 4), "samples": int(drift.length[i])},
            )
        for when, kind, target, delta in plan.maintenance:
            if kind == "calibration" and target == k:
                add += np.where(t >= when, delta, 0.0)
                if self.day_start <= when < self.day_start + US_PER_DAY:
                    self._window(sensor, plan, "calibration_step", when, when, {"delta": delta})
        if (
            k == KINDS.index("humidity")
            and plan.death_us is not None
            and self.day_start <= plan.death_us < self.day_start + US_PER_DAY
        ):
            self._window(
                sensor,
                plan,
                "heat_death",
                plan.death_us,
                self.period_end,
                {"death_temperature": self.knobs["death_temperature"]},
            )
        for begin, end, delay in plan.uploads:
            if self.day_start <= begin < self.day_start + US_PER_DAY:
                self._window(sensor, plan, "late_delivery", begin, end, {"delay_seconds": round(delay / US, 1)})
        if self.day == 0:
            self._window(
                sensor,
                plan,
                "clock_skew",
                self.day_start,
                self.period_end,
                {"offset_seconds": round(plan.skew_us / US, 3), "jitter_ms": round(plan.jitter_us / 1000, 1)},
            )
            mixup = self.vocab["vendors"][self.plant.vendors[self.plant.device_vendor[(sensor - 1) // len(KINDS)]]][
                "unit_mixup"
            ]
            if mixup and KINDS[k] in mixup:
                self._window(
                    sensor,
                    plan,
                    "unit_mixup",
                    self.day_start,
                    self.period_end,
                    {"reported_unit": mixup[KINDS[k]][0], "unit": spec["unit"]},
                )
        return add

    def _window(self, sensor: int, plan: DevicePlan, kind: str, begin: int, end: int, params: dict) -> None:
        """A fault over a time window, in the device's clock (what `ts` shows); logged with the others."""
        self.windows.setdefault(kind, []).append(
            (f'{{"sensor_id":{int(sensor)}}}', int(begin) + plan.skew_us, int(end) + plan.skew_us, json.dumps(params))
        )

    def _log_windows(self) -> None:
        for kind, rows in self.windows.items():
            keys, starts, ends, params = zip(*rows, strict=True)
            self.log.add(
                "readings",
                pa.array(keys),
                kind,
                "value",
                start_ts=pa.array(starts, TIMESTAMP),
                end_ts=pa.array(ends, TIMESTAMP),
                params=pa.array(params),
            )

    def _collect(
        self,
        k: int,
        sensor: np.ndarray,
        t: np.ndarray,
        value: np.ndarray,
        clean: np.ndarray,
        spike: np.ndarray,
        keep: np.ndarray,
        flagged: np.ndarray,
    ) -> None:
        rows, n = value.shape
        rng = self.rng
        skew = np.array([p.skew_us for p in self.plans])[:, None]
        jitter = np.array([p.jitter_us for p in self.plans])[:, None] * rng.normal(0, 1, (rows, n))
        ts = t[None, :] + skew + np.rint(jitter).astype(np.int64)
        received = t[None, :] + np.rint(rng.lognormal(np.log(1.5), 0.5, (rows, n)) * US).astype(np.int64)
        for row, plan in enumerate(self.plans):
            for begin, end, delay in plan.uploads:
                held = (t >= begin) & (t < end)
                received[row, held] = end + delay + (t[held] - begin) // 1000
        suspect = spike.copy()
        suspect[spike] = rng.random(int(spike.sum())) < 0.5  # the device flags half of its spikes
        quality = np.where(flagged, 2, np.where(suspect, 1, 0))
        self.parts.append(
            {
                "sensor_id": np.repeat(sensor, n)[keep.ravel()],
                "ts": ts.ravel()[keep.ravel()],
                "received_at": received.ravel()[keep.ravel()],
                "value": value.ravel()[keep.ravel()],
                "missing": flagged.ravel()[keep.ravel()],
                "quality": quality.ravel()[keep.ravel()],
                "spike": spike.ravel()[keep.ravel()],
                "clean": clean.ravel()[keep.ravel()],
            }
        )

    def table(self) -> pa.Table:
        """The day's readings in (sensor, ts) order; window faults, spikes and duplicated deliveries logged."""
        self._log_windows()
        parts = {name: np.concatenate([p[name] for p in self.parts]) for name in self.parts[0]}

        # each sensor's rows are already in time order (jitter < 1 s, intervals >= 10 s): sort by sensor only
        order = np.argsort(parts["sensor_id"], kind="stable")

        parts = {name: values[order] for name, values in parts.items()}
        readings = pa.table(
            {
                "sensor_id": parts["sensor_id"].astype(np.int64),
                "ts": pa.array(parts["ts"], TIMESTAMP),
                "received_at": pa.array(parts["received_at"], TIMESTAMP),
                "value": pa.array(parts["value"], mask=parts["missing"]),
                "quality": pa.DictionaryArray.from_arrays(
                    pa.array(parts["quality"].astype(np.int32)), pa.array(QUALITY)
                ),
            }
        )
        spikes = np.flatnonzero(parts["spike"])
        if len(spikes):
            keys = row_keys(readings, ["sensor_id", "ts"], spikes)
            clean = np.round(parts["clean"][spikes], 4)
            magnitude = np.round(parts["value"][spikes] - clean, 4)
            self.log.add(
                "readings",
                keys,
                "spike",
                "value",
                truth=pa.array(clean),
                observed=pa.array(parts["value"][spikes]),
                start_ts=readings["ts"].take(pa.array(spikes)),
                end_ts=readings["ts"].take(pa.array(spikes)),
                params=pa.array([json.dumps({"magnitude": float(m)}) for m in magnitude]),
            )
        twice = np.flatnonzero(self.rng.random(len(readings)) < float(self.knobs["duplicate_rate"]))
        if len(twice):
            self.log.add(
                "readings", row_keys(readings, ["sensor_id", "ts"], twice), "duplicate_reading", params={"copies": 2}
            )
            copies = readings.take(pa.array(twice))
            later = copies["received_at"].cast(pa.int64()).to_numpy() + (
                self.rng.uniform(1, 30, len(twice)) * US
            ).astype(np.int64)
            copies = copies.set_column(2, "received_at", pa.array(later, TIMESTAMP))
            order = np.argsort(np.concatenate([np.arange(len(readings)), twice]), kind="stable")
            readings = pa.concat_tables([readings, copies]).take(pa.array(order))
        return readings
