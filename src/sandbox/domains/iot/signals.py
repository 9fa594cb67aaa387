"""One chunk of readings (a group of devices over one UTC day), with every fault logged as it is applied.

Signal = baseline (kind, climate) + daily and weekly cycles + the device's load (shared by its sensors, so
temperature and power rise together) + AR(1) noise (vendor-dependent) + heat waves, failure precursors,
drift and calibration steps. Faults follow in a fixed order: spikes, unit mix-ups, stuck values, dropouts,
downtime and heat death, then the device clock (skew, jitter) and delivery (latency, held-back uploads,
duplicates).

Each kind is built as a (devices x samples) grid; the rows a pipeline receives are gathered from the grids
once, at the end, in (UTC day, sensor, ts) order.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.columns.temporal import TIMESTAMP
from sandbox.core import exact
from sandbox.core.draws import levels, normal_quantiles, standard_normal
from sandbox.domains.iot.plant import KINDS, US, US_PER_DAY, DevicePlan, Layout, Runs, vocabulary
from sandbox.noise.corruptions import pick
from sandbox.noise.defects import DefectLog, row_keys

QUALITY = ["ok", "suspect", "missing"]
OK, SUSPECT, MISSING = range(3)
PHI, LOAD_PHI, LOAD_STEP = 0.9, 0.97, 300
#: The columns of the grid the readings are gathered from (quality holds the device's own flag).
GRID = {"sensor_id": np.int64, "ts": np.int64, "received_at": np.int64, "value": np.float64, "quality": np.int8}


def ar1(rng: np.random.Generator, rows: int, n: int, phi: float, sd: np.ndarray) -> np.ndarray:
    """AR(1) series (float32) with stationary sd per row, started from the stationary distribution
    (`exact.ar1`: the same bits on any CPU and BLAS)."""
    sd = np.asarray(sd, np.float32)
    e = standard_normal(rng, (rows, n), np.float32)
    e *= (sd * np.float32(math.sqrt(1 - phi * phi)))[:, None]
    return exact.ar1(e, phi, standard_normal(rng, rows, np.float32) * sd)


@functools.lru_cache(maxsize=1)
def latency_us() -> np.ndarray:
    """Delivery latency quantiles (lognormal, median 1.5 s), in microseconds."""
    return np.rint(exact.exp(exact.log(1.5) + 0.5 * normal_quantiles()) * US).astype(np.int64)


def _stacked(runs: list[Runs]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The runs of several rows as one: (row, start, length, value), row by row."""
    row = np.repeat(np.arange(len(runs)), [len(r.start) for r in runs])
    start, length, value = (np.concatenate([getattr(r, name) for r in runs]) for name in ("start", "length", "value"))
    return row, start, length, value


def _dropout_states(runs: list[Runs], first: int, n: int) -> np.ndarray:
    """Per row (one Runs each) and sample in [first, first + n): 0 delivered, 1 lost, 2 flagged missing by
    the device. Only the covered samples are written (a few percent): the runs of a two-state chain never
    overlap."""
    state = np.zeros((len(runs), n), np.int8)
    row, start, run_length, value = _stacked(runs)
    lo = np.clip(start - first, 0, n) + row * n
    hi = np.clip(start + run_length - first, 0, n) + row * n
    length = hi - lo
    covered = np.repeat(lo - np.cumsum(length) + length, length) + np.arange(length.sum())
    state.ravel()[covered] = np.repeat(1 + value, length)
    return state


def _span(t: np.ndarray, begin: int, end: int) -> slice:
    """The samples of the sorted times `t` in [begin, end)."""
    lo, hi = np.searchsorted(t, [begin, end])
    return slice(int(lo), int(hi))


@dataclass(frozen=True)
class Kept:
    """Where one kind's kept samples are in the grid, split by sensor (grid row) and by UTC day of `ts`."""

    positions: np.ndarray  # in the grid, row by row, each row in time order
    splits: np.ndarray  # rows x (days + 1): where each day starts among a row's kept samples
    row_start: np.ndarray  # where each row starts among `positions`
    first_day: int

    @classmethod
    def of(cls, keep: np.ndarray, ts: np.ndarray, offset: int) -> Kept:
        first_day, last_day = int(ts[:, 0].min()) // US_PER_DAY, int(ts[:, -1].max()) // US_PER_DAY
        per_row = [np.zeros(len(keep), np.int64)]
        for day in range(first_day + 1, last_day + 1):  # ts rises along a row: count the kept before midnight
            per_row.append(np.count_nonzero(keep & (ts < day * US_PER_DAY), axis=1))
        per_row.append(np.count_nonzero(keep, axis=1))
        splits = np.stack(per_row, axis=1)
        row_start = np.concatenate([[0], np.cumsum(splits[:, -1])])
        return cls(np.flatnonzero(keep) + offset, splits, row_start, first_day)

    @property
    def days(self) -> int:
        return self.splits.shape[1] - 1

    def on(self, row: int, day: int) -> np.ndarray:
        """The grid positions of a row's kept samples on a UTC day."""
        j = day - self.first_day
        if not 0 <= j < self.days:
            return self.positions[:0]
        start = self.row_start[row]
        return self.positions[start + self.splits[row, j] : start + self.splits[row, j + 1]]


_BUFFERS = threading.local()


def _buffer(name: str, size: int, kind: type) -> np.ndarray:
    """A grid column reused from chunk to chunk by this thread (every sample is written before it is read, and
    `table` copies out what it keeps): fresh 20 MB grids cost page faults on every chunk."""
    buffers: dict[str, np.ndarray] = _BUFFERS.__dict__
    if name not in buffers or len(buffers[name]) < size:
        buffers[name] = np.empty(size, kind)
    return buffers[name][:size]


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
        samples = len(devices) * sum(86_400 // spec["interval_s"] for spec in self.vocab["kinds"].values())
        self.grid = {name: _buffer(name, samples, kind) for name, kind in GRID.items()}
        self.filled = 0
        self.kept: list[Kept] = []
        self.windows: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]]] = {}
        #: Per kind: the spiked readings' sensors, device times, values before and after the spike.
        self.spikes: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def kind(self, k: int) -> None:
        spec = self.vocab["kinds"][KINDS[k]]
        interval = spec["interval_s"]
        n = 86_400 // interval
        first = self.day * n
        plant, devices, rng = self.plant, self.devices, self.rng
        rows = len(devices)
        t = self.day_start + np.arange(n, dtype=np.int64) * interval * US
        site = plant.device_site[devices]
        climate = np.array(plant.climates)[plant.climate[site]]
        sd = plant.noise_sd(devices, k)
        sensor = plant.sensor_id(devices, k)

        # cycles once per distinct UTC offset among the group's sites; the rest row by row (no grid temporaries)
        offsets, site_cycle = np.unique(plant.utc_offset_hours[site], return_inverse=True)
        hours = (t // US % 86_400) / 3600
        weekend = ((t // US_PER_DAY + 3) % 7) >= 5
        cycles = spec["daily_amplitude"] * exact.sin(2 * np.pi * (hours[None, :] + offsets[:, None] - 9) / 24)
        cycles += spec["weekly_amplitude"] * np.where(weekend, -1.0, 0.4)
        load = spec["load_coupling"] * 0.1 * self.load[:, (np.arange(n) * interval) // LOAD_STEP]
        noise = ar1(rng, rows, n, PHI, sd)
        grid = {
            name: column[self.filled : self.filled + rows * n].reshape(rows, n) for name, column in self.grid.items()
        }
        value, quality = grid["value"], grid["quality"]
        for row, plan in enumerate(self.plans):
            value[row] = spec["base"][climate[row]] + cycles[site_cycle[row]] + load[row] + noise[row]
            self._planned(value[row], plan, k, t, first, n, sd[row], spec, sensor[row])

        # spikes: a few per thousand samples, so positions and magnitudes are drawn for those only
        hits = pick(rng, value.size, float(self.knobs["spike_rate"]))
        hit_row, hit_col = np.divmod(hits, n)
        clean = value[hit_row, hit_col]
        value[hit_row, hit_col] += rng.choice([-1, 1], len(hits)) * rng.uniform(20, 40, len(hits)) * sd[hit_row]
        spiked = np.ones(len(hits), bool)  # the spike is still what the reading shows
        bounds = np.searchsorted(hit_row, np.arange(rows + 1))

        gaps = [plan.dropouts[k] for plan in self.plans]
        state = _dropout_states(gaps, first, n)
        keep = state != 1
        keep[:, _span(t, self.period_end, t[-1] + 1)] = False
        self._log_dropouts(gaps, sensor, t, first, n, interval)
        for row, plan in enumerate(self.plans):
            mixup = self.vocab["vendors"][plant.vendors[plant.device_vendor[devices[row]]]]["unit_mixup"]
            if mixup and KINDS[k] in mixup:
                _, scale, offset = mixup[KINDS[k]]
                mine = slice(bounds[row], bounds[row + 1])
                value[row] = value[row] * scale + offset
                clean[mine] = clean[mine] * scale + offset
            for failed, repaired in zip(plan.failures, plan.repaired, strict=True):
                keep[row, _span(t, failed, repaired)] = False
            if k == KINDS.index("humidity") and plan.death_us is not None:
                keep[row, _span(t, plan.death_us, self.period_end)] = False
        # stuck: the few runs that start today hold their first value; a spike inside any run does not show. In
        # order of start, so a run that starts inside another holds the value that one holds (both windows flat)
        stuck_row, stuck_start, stuck_length, _ = _stacked([plan.stuck[k] for plan in self.plans])
        today = np.flatnonzero((stuck_start >= first) & (stuck_start < first + n))
        for i in today[np.argsort(stuck_start[today], kind="stable")]:
            row, lo = stuck_row[i], stuck_start[i] - first
            hi = min(lo + stuck_length[i], n)
            value[row, lo:hi] = value[row, lo]
            self._window(sensor[row], self.plans[row], "stuck", t[lo], t[hi - 1], {"samples": int(hi - lo)})
        sample = hit_col[:, None] + first
        spiked &= ~np.any(
            (stuck_row == hit_row[:, None]) & (sample >= stuck_start) & (sample < stuck_start + stuck_length), axis=1
        )
        flagged = (state == 2) & keep
        np.multiply(flagged, MISSING, out=quality)
        spiked &= keep[hit_row, hit_col] & ~flagged[hit_row, hit_col]
        np.round(value, 4, out=value)
        self._collect(grid, sensor, t, keep, hit_row[spiked], hit_col[spiked], clean[spiked])

    def _planned(
        self,
        value: np.ndarray,
        plan: DevicePlan,
        k: int,
        t: np.ndarray,
        first: int,
        n: int,
        sd: float,
        spec: Mapping[str, Any],
        sensor: int,
    ) -> None:
        """Adds what the device's plan does to this sensor today: heat, failure precursors, drift, calibrations."""
        if KINDS[k] == "temperature":
            for begin, end, degrees in plan.heat_waves:
                value[_span(t, begin, end)] += degrees
        lead = float(self.knobs["failure_lead_hours"]) * 3600 * US
        if KINDS[k] in ("vibration", "temperature"):
            scale = (8 * sd + 0.5 * abs(spec["base"]["hot mill floor"])) * (1.0 if KINDS[k] == "vibration" else 0.3)
            for failed in plan.failures:
                inside = _span(t, failed - lead, failed)
                value[inside] += scale * ((t[inside] - (failed - lead)) / lead) ** 2
        drift = plan.drift[k]  # a few runs: Python numbers are cheaper than numpy scalars here
        for s, length, slope in zip(drift.start.tolist(), drift.length.tolist(), drift.value.tolist(), strict=True):
            lo, hi = max(s - first, 0), min(s + length - first, n)
            if lo < hi:
                elapsed = (np.arange(lo, hi) + first - s) * spec["interval_s"] / 86_400
                value[lo:hi] += slope * sd * elapsed
            if first <= s < first + n:
                self._window(
                    sensor,
                    plan,
                    "drift",
                    t[lo],
                    t[lo] + (length - 1) * spec["interval_s"] * US,
                    {"slope_per_day": round(float(slope * sd), 4), "samples": length},
                )
        for when, kind, target, delta in plan.maintenance:
            if kind == "calibration" and target == k:
                value[_span(t, when, t[-1] + 1)] += delta
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

    def _log_dropouts(
        self, gaps: list[Runs], sensor: np.ndarray, t: np.ndarray, first: int, n: int, interval: int
    ) -> None:
        """The dropouts that start today, every sensor's at once, in the device's clock."""
        row, start, length, flagged = _stacked(gaps)
        today = (start >= first) & (start < first + n)
        row, start, length, flagged = row[today], start[today], length[today], flagged[today]
        if not len(row):
            return
        begin = t[start - first] + np.array([plan.skew_us for plan in self.plans], np.int64)[row]
        params = [
            f'{{"samples": {s}, "flagged": {"true" if f else "false"}}}'
            for s, f in zip(length.tolist(), flagged.tolist(), strict=True)
        ]
        self.windows.setdefault("dropout", []).append(
            (sensor[row].astype(np.int64), begin, begin + (length - 1) * interval * US, params)
        )

    def _window(self, sensor: int, plan: DevicePlan, kind: str, begin: int, end: int, params: dict) -> None:
        """A fault over a time window, in the device's clock (what `ts` shows); logged with the others."""
        window = (np.array([sensor], np.int64), np.array([begin + plan.skew_us]), np.array([end + plan.skew_us]))
        self.windows.setdefault(kind, []).append((*window, [json.dumps(params)]))

    def _log_windows(self) -> None:
        """Window faults, kind by kind in name order (not in the order the kinds first occurred)."""
        for kind, rows in sorted(self.windows.items()):
            sensors, begins, ends, params = (np.concatenate(column) for column in zip(*rows, strict=True))
            self.log.add(
                "readings",
                pc.binary_join_element_wise('{"sensor_id":', pa.array(sensors).cast(pa.string()), "}", ""),
                kind,
                "value",
                start_ts=pa.array(begins, TIMESTAMP),
                end_ts=pa.array(ends, TIMESTAMP),
                params=pa.array(params, pa.string()),
            )

    def _collect(
        self,
        grid: dict[str, np.ndarray],
        sensor: np.ndarray,
        t: np.ndarray,
        keep: np.ndarray,
        spike_row: np.ndarray,
        spike_col: np.ndarray,
        clean: np.ndarray,
    ) -> None:
        """The device clock and delivery into the kind's grid, which `table` gathers from; spikes noted."""
        rows, n = keep.shape
        rng, value = self.rng, grid["value"]
        jitter = standard_normal(rng, (rows, n), np.float32)
        jitter *= np.array([p.jitter_us for p in self.plans], np.float32)[:, None]
        np.rint(jitter, out=jitter)
        ts = grid["ts"]
        ts[:] = jitter
        ts += t[None, :] + np.array([p.skew_us for p in self.plans], np.int64)[:, None]
        received = grid["received_at"]
        np.add(t[None, :], latency_us()[levels(rng, (rows, n))], out=received)
        for row, plan in enumerate(self.plans):
            for begin, end, delay in plan.uploads:
                held = _span(t, begin, end)
                received[row, held] = end + delay + (t[held] - begin) // 1000
        grid["sensor_id"][:] = sensor[:, None]
        suspect = rng.random(len(spike_row)) < 0.5  # the device flags half of its spikes
        grid["quality"][spike_row[suspect], spike_col[suspect]] = SUSPECT
        self.kept.append(Kept.of(keep, ts, self.filled))
        self.filled += rows * n
        if len(spike_row):  # logged with the other kinds' in `table`
            self.spikes.append(
                (sensor[spike_row], ts[spike_row, spike_col], np.round(clean, 4), value[spike_row, spike_col])
            )

    def _log_spikes(self) -> None:
        if not self.spikes:
            return
        sensors, ts, clean, observed = (np.concatenate(column) for column in zip(*self.spikes, strict=True))
        spiked = pa.table({"sensor_id": sensors, "ts": pa.array(ts, TIMESTAMP)})
        self.log.add(
            "readings",
            row_keys(spiked, ["sensor_id", "ts"], np.arange(len(sensors))),
            "spike",
            "value",
            truth=pa.array(clean),
            observed=pa.array(observed),
            start_ts=spiked["ts"],
            end_ts=spiked["ts"],
            params=pa.array([f'{{"magnitude": {m!r}}}' for m in np.round(observed - clean, 4).tolist()]),
        )

    def table(self) -> pa.Table:
        """The day's readings in (UTC day of ts, sensor, ts) order, so each day partition is one slice, each
        duplicated delivery right after its original; spikes, window faults and duplicates logged."""
        self._log_spikes()
        self._log_windows()
        grid = self.grid
        first_day = min(kept.first_day for kept in self.kept)
        last_day = max(kept.first_day + kept.days - 1 for kept in self.kept)
        # day by day, device by device, kind by kind (= sensor order): each piece is one sensor's kept samples
        # on one day, already in time order (jitter < 1 s, intervals >= 10 s)
        order = np.concatenate(
            [
                kept.on(row, day)
                for day in range(first_day, last_day + 1)
                for row in range(len(self.devices))
                for kept in self.kept
            ]
        )
        twice = pick(self.rng, len(order), float(self.knobs["duplicate_rate"]))
        order = np.insert(order, twice + 1, order[twice])
        copies = twice + np.arange(1, len(twice) + 1)  # where the copies land
        columns = {name: values[order] for name, values in grid.items()}
        columns["received_at"][copies] += (self.rng.uniform(1, 30, len(copies)) * US).astype(np.int64)
        readings = pa.table(
            {
                "sensor_id": columns["sensor_id"],
                "ts": pa.array(columns["ts"], TIMESTAMP),
                "received_at": pa.array(columns["received_at"], TIMESTAMP),
                "value": pa.array(columns["value"], mask=columns["quality"] == MISSING),
                "quality": pa.DictionaryArray.from_arrays(
                    pa.array(columns["quality"].astype(np.int32)), pa.array(QUALITY)
                ),
            }
        )
        if len(copies):
            self.log.add(
                "readings",
                row_keys(readings, ["sensor_id", "ts"], copies - 1),
                "duplicate_reading",
                params={"copies": 2},
            )
        return readings
