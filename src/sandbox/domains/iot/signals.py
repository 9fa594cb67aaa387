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

import math
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from sandbox.core import exact
from sandbox.core.draws import standard_normal
from sandbox.domains.iot.delivery import MISSING, Delivery
from sandbox.domains.iot.operations import level_shift, noise_factor, noise_scale, switched_off
from sandbox.domains.iot.plant import KINDS, US, US_PER_DAY, DevicePlan, Layout, Runs, vocabulary
from sandbox.domains.iot.samples import Kept, dropout_states, span, stacked
from sandbox.noise.corruptions import pick
from sandbox.noise.defects import DefectLog

PHI, LOAD_PHI, LOAD_STEP = 0.9, 0.97, 300
#: The columns of the grid the readings are gathered from (quality holds the device's own flag).
#: The log-sd of spike magnitudes around `spike_sigma`: a tenth of them under half the median, a tenth over twice.
SPIKE_SPREAD = 0.55
#: The fault logged when maintenance shifts a sensor's level.
STEPS = {"calibration": "calibration_step", "replacement": "sensor_replacement"}
GRID = {"sensor_id": np.int64, "ts": np.int64, "received_at": np.int64, "value": np.float64, "quality": np.int8}


def ar1(rng: np.random.Generator, rows: int, n: int, phi: float, sd: np.ndarray) -> np.ndarray:
    """AR(1) series (float32) with stationary sd per row, started from the stationary distribution
    (`exact.ar1`: the same bits on any CPU and BLAS)."""
    sd = np.asarray(sd, np.float32)
    e = standard_normal(rng, (rows, n), np.float32)
    e *= (sd * np.float32(math.sqrt(1 - phi * phi)))[:, None]
    return exact.ar1(e, phi, standard_normal(rng, rows, np.float32) * sd)


_BUFFERS = threading.local()


def _buffer(name: str, size: int, kind: type) -> np.ndarray:
    """A grid column reused from chunk to chunk by this thread (every sample is written before it is read, and
    `table` copies out what it keeps): fresh 20 MB grids cost page faults on every chunk."""
    buffers: dict[str, np.ndarray] = _BUFFERS.__dict__
    if name not in buffers or len(buffers[name]) < size:
        buffers[name] = np.empty(size, kind)
    return buffers[name][:size]


class Day(Delivery):
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
        """One kind's samples of every device today: the signal, then its faults in their fixed order."""
        spec = self.vocab["kinds"][KINDS[k]]
        interval = spec["interval_s"]
        n = 86_400 // interval
        first = self.day * n
        rows, rng = len(self.devices), self.rng
        t = self.day_start + np.arange(n, dtype=np.int64) * interval * US
        sd = self.plant.noise_sd(self.devices, k)
        sensor = self.plant.sensor_id(self.devices, k)
        grid = {
            name: column[self.filled : self.filled + rows * n].reshape(rows, n) for name, column in self.grid.items()
        }
        value = grid["value"]
        self._signal(k, spec, t, first, sd, sensor, value)
        # spikes: a few per thousand samples, so positions and magnitudes are drawn for those only
        hits = pick(rng, value.size, float(self.knobs["spike_rate"]))
        hit_row, hit_col = np.divmod(hits, n)
        clean = value[hit_row, hit_col]
        median = float(exact.log(float(self.knobs["spike_sigma"])))
        size = exact.lognormal(rng, median, SPIKE_SPREAD, len(hits))  # in multiples of the vendor's noise
        value[hit_row, hit_col] += rng.choice([-1, 1], len(hits)) * size * sd[hit_row]
        state, keep = self._delivered(k, t, first, sensor, value, clean, hit_row, hit_col)
        spiked = ~self._stuck(k, t, first, sensor, value, hit_row, hit_col)  # the spike is what the reading shows
        flagged = (state == 2) & keep
        np.multiply(flagged, MISSING, out=grid["quality"])
        spiked &= keep[hit_row, hit_col] & ~flagged[hit_row, hit_col]
        np.round(value, 4, out=value)
        self._collect(grid, sensor, t, keep, hit_row[spiked], hit_col[spiked], clean[spiked])

    def _signal(
        self,
        k: int,
        spec: Mapping[str, Any],
        t: np.ndarray,
        first: int,
        sd: np.ndarray,
        sensor: np.ndarray,
        value: np.ndarray,
    ) -> None:
        """Baseline, daily and weekly cycles, the device's load, AR(1) noise and what each device's plan adds."""
        plant, devices, n = self.plant, self.devices, len(t)
        site = plant.device_site[devices]
        climate = np.array(plant.climates)[plant.climate[site]]
        # cycles once per distinct (UTC offset, climate) among the group's sites; the rest row by row (no grid
        # temporaries). The daily cycle's strength is the climate's: the sun outdoors, control loops indoors
        pairs, site_cycle = np.unique(
            np.stack([plant.utc_offset_hours[site], plant.climate[site]], axis=1), axis=0, return_inverse=True
        )
        offsets, site_cycle = pairs[:, 0], site_cycle.ravel()
        strength = np.array([self.vocab["daily_cycle"][c] for c in plant.climates])[pairs[:, 1].astype(np.int64)]
        hours = (t // US % 86_400) / 3600
        weekend = ((t // US_PER_DAY + 3) % 7) >= 5
        cycles = spec["daily_amplitude"] * exact.sin(2 * np.pi * (hours[None, :] + offsets[:, None] - 9) / 24)
        cycles *= strength[:, None]
        cycles += spec["weekly_amplitude"] * np.where(weekend, -1.0, 0.4)
        load = spec["load_coupling"] * 0.1 * self.load[:, (np.arange(n) * spec["interval_s"]) // LOAD_STEP]
        noise = ar1(self.rng, len(devices), n, PHI, sd)
        for row, plan in enumerate(self.plans):
            running = load[row] + level_shift(plan.regimes, t, spec["load_coupling"], self.vocab)
            running += spec["base"][climate[row]] + cycles[site_cycle[row]]
            off = switched_off(plan.shutdowns, t, spec["idle_tau_minutes"])
            if off is not None:  # the machine is off: its signals fall towards idle, then start up again
                running *= 1 - off * (1 - spec["idle"])
            scale = noise_scale(plan.firmware, plan.replacements, k, t, self.vocab)
            value[row] = running + (noise[row] if scale is None else noise[row] * scale)
            self._planned(value[row], plan, k, t, first, n, sd[row], spec, sensor[row])
            self._announce(plan, k, int(sensor[row]), spec)

    def _delivered(
        self,
        k: int,
        t: np.ndarray,
        first: int,
        sensor: np.ndarray,
        value: np.ndarray,
        clean: np.ndarray,
        hit_row: np.ndarray,
        hit_col: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Unit mix-ups over their episodes (on the values and the spikes' clean values), then what is delivered:
        each sample's dropout state and whether it is kept (not lost, nor inside downtime, heat death or past the
        period)."""
        n, rows, plant = len(t), len(self.devices), self.plant
        bounds = np.searchsorted(hit_row, np.arange(rows + 1))
        gaps = [plan.dropouts[k] for plan in self.plans]
        state = dropout_states(gaps, first, n)
        keep = state != 1
        keep[:, span(t, self.period_end, t[-1] + 1)] = False
        self._log_dropouts(gaps, sensor, t, first, n, int(self.vocab["kinds"][KINDS[k]]["interval_s"]))
        for row, plan in enumerate(self.plans):
            mixup = self.vocab["vendors"][plant.vendors[plant.device_vendor[self.devices[row]]]]["unit_mixup"]
            if mixup and KINDS[k] in mixup:
                _, scale, offset = mixup[KINDS[k]]
                during = span(t, *plan.mixup)
                mine = np.arange(bounds[row], bounds[row + 1])
                mine = mine[(hit_col[mine] >= during.start) & (hit_col[mine] < during.stop)]
                value[row, during] = value[row, during] * scale + offset
                clean[mine] = clean[mine] * scale + offset
            for failed, repaired, mode in zip(plan.failures, plan.repaired, plan.modes, strict=True):
                if mode not in self.vocab["keeps_reporting"]:
                    keep[row, span(t, failed, repaired)] = False
            for begin, end in plan.outages:
                keep[row, span(t, begin, end)] = False
            if k == KINDS.index("humidity") and plan.death_us is not None:
                keep[row, span(t, plan.death_us, self.period_end)] = False
        return state, keep

    def _stuck(
        self,
        k: int,
        t: np.ndarray,
        first: int,
        sensor: np.ndarray,
        value: np.ndarray,
        hit_row: np.ndarray,
        hit_col: np.ndarray,
    ) -> np.ndarray:
        """The stuck runs that start today hold their first value; which spikes fall inside any run (and so do
        not show). In order of start, so a run that starts inside another holds the value that one holds."""
        n = len(t)
        stuck_row, stuck_start, stuck_length, _ = stacked([plan.stuck[k] for plan in self.plans])
        today = np.flatnonzero((stuck_start >= first) & (stuck_start < first + n))
        for i in today[np.argsort(stuck_start[today], kind="stable")]:
            row, lo = stuck_row[i], stuck_start[i] - first
            hi = min(lo + stuck_length[i], n)
            value[row, lo:hi] = value[row, lo]
            self._window(sensor[row], self.plans[row], "stuck", t[lo], t[hi - 1], {"samples": int(hi - lo)})
        sample = hit_col[:, None] + first
        inside = (stuck_row == hit_row[:, None]) & (sample >= stuck_start) & (sample < stuck_start + stuck_length)
        return np.asarray(np.any(inside, axis=1))

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
                value[span(t, begin, end)] += degrees
        lead = float(self.knobs["failure_lead_hours"]) * 3600 * US
        precursors = self.vocab["precursors"]
        for failed, repaired, mode in zip(plan.failures, plan.repaired, plan.modes, strict=True):
            weight = precursors[mode].get(KINDS[k], 0.0)  # the kinds this mode shows in, and how strongly
            if not weight:
                continue
            scale = (8 * sd + 0.5 * abs(spec["base"]["hot mill floor"])) * weight
            inside = span(t, failed - lead, failed)
            value[inside] += scale * ((t[inside] - (failed - lead)) / lead) ** 2
            if mode in self.vocab["keeps_reporting"]:  # still running: the level stays off until the repair
                value[span(t, failed, repaired)] += scale
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
            if kind in ("calibration", "replacement") and target == k:
                value[span(t, when, t[-1] + 1)] += delta
                if self.day_start <= when < self.day_start + US_PER_DAY:
                    params: dict[str, float] = {"delta": delta}
                    if kind == "replacement":
                        params["noise_factor"] = next(f for w, j, _, f in plan.replacements if (w, j) == (when, k))
                    self._window(sensor, plan, STEPS[kind], when, when, params)

    def _announce(self, plan: DevicePlan, k: int, sensor: int, spec: Mapping[str, Any]) -> None:
        """The window faults of the device's plan that begin today: heat death, late uploads, outages, clock skews
        and a unit mix-up."""
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
        for begin, end in plan.outages:
            if self.day_start <= begin < self.day_start + US_PER_DAY:
                ends = min(end, self.period_end)
                self._window(sensor, plan, "outage", begin, ends, {"hours": round((ends - begin) / US / 3600, 2)})
        for begin, end, offset in plan.clock:
            if self.day_start <= begin < self.day_start + US_PER_DAY:
                params = {"offset_seconds": round(offset / US, 3), "jitter_ms": round(plan.jitter_us / 1000, 1)}
                self._window(sensor, plan, "clock_skew", begin, min(end, self.period_end) - 1, params)
        mixup = self.vocab["vendors"][self.plant.vendors[self.plant.device_vendor[(sensor - 1) // len(KINDS)]]][
            "unit_mixup"
        ]
        for when, old, new in plan.firmware:
            if self.day_start <= when < self.day_start + US_PER_DAY:
                factor = noise_factor(self.vocab, new) / noise_factor(self.vocab, old)
                update = {"from": old, "to": new, "noise_factor": round(factor, 3)}
                self._window(sensor, plan, "firmware_update", when, when, update)
        begin, end = plan.mixup
        if mixup and KINDS[k] in mixup and self.day_start <= begin < self.day_start + US_PER_DAY:
            params = {"reported_unit": mixup[KINDS[k]][0], "unit": spec["unit"]}
            self._window(sensor, plan, "unit_mixup", begin, min(end, self.period_end), params)

    def _log_dropouts(
        self, gaps: list[Runs], sensor: np.ndarray, t: np.ndarray, first: int, n: int, interval: int
    ) -> None:
        """The dropouts that start today, every sensor's at once, in the device's clock."""
        row, start, length, flagged = stacked(gaps)
        today = (start >= first) & (start < first + n)
        row, start, length, flagged = row[today], start[today], length[today], flagged[today]
        if not len(row):
            return
        begin = t[start - first]
        end = self._device_clock(row, begin + (length - 1) * interval * US)
        begin = self._device_clock(row, begin)
        params = [
            f'{{"samples": {s}, "flagged": {"true" if f else "false"}}}'
            for s, f in zip(length.tolist(), flagged.tolist(), strict=True)
        ]
        self.windows.setdefault("dropout", []).append(
            (sensor[row].astype(np.int64), begin, np.maximum(begin, end), params)
        )
