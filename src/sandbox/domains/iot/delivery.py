"""The device clock and delivery of a day's readings: jitter and skew episodes on `ts`, latency and held-back uploads on
`received_at`, duplicated deliveries, and the readings gathered from the grids in (UTC day, sensor, ts) order."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.columns.temporal import TIMESTAMP
from sandbox.core import exact
from sandbox.core.draws import levels, normal_quantiles, standard_normal
from sandbox.domains.iot.plant import US, DevicePlan
from sandbox.domains.iot.samples import Kept, span
from sandbox.noise.corruptions import pick
from sandbox.noise.defects import DefectLog, row_keys

QUALITY = ["ok", "suspect", "missing"]
OK, SUSPECT, MISSING = range(3)


@functools.lru_cache(maxsize=1)
def latency_us() -> np.ndarray:
    """Delivery latency quantiles (lognormal, median 1.5 s), in microseconds."""
    return np.rint(exact.exp(exact.log(1.5) + 0.5 * normal_quantiles()) * US).astype(np.int64)


class Delivery:
    """What `Day` does once a kind's values are final: the clock and delivery into its grid, then `table`."""

    rng: np.random.Generator
    plans: list[DevicePlan]
    devices: np.ndarray
    knobs: Mapping[str, Any]
    log: DefectLog
    grid: dict[str, np.ndarray]
    filled: int
    kept: list[Kept]
    spikes: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    windows: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]]]

    def _window(self, sensor: int, plan: DevicePlan, kind: str, begin: int, end: int, params: dict) -> None:
        """A fault over a time window, in the device's clock (what `ts` shows); logged with the others."""
        begin, end = begin + plan.offset(begin), end + plan.offset(end)
        window = (np.array([sensor], np.int64), np.array([begin]), np.array([max(begin, end)]))
        self.windows.setdefault(kind, []).append((*window, [json.dumps(params)]))

    def _device_clock(self, row: np.ndarray, when: np.ndarray) -> np.ndarray:
        """True instants `when` of the group's rows `row` as the devices' clocks show them."""
        out = when.copy()
        for r, plan in enumerate(self.plans):
            for begin, end, offset in plan.clock:
                out[(row == r) & (when >= begin) & (when < end)] += offset
        return out

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
        ts += t[None, :]
        stepped = []  # rows whose clock steps back today: their samples are sorted by ts when gathered
        for row, plan in enumerate(self.plans):
            if plan.clock:
                ts[row] += plan.offsets(t)
                if any(t[0] <= (b if o < 0 else e) <= t[-1] for b, e, o in plan.clock):
                    stepped.append(row)
        received = grid["received_at"]
        np.add(t[None, :], latency_us()[levels(rng, (rows, n))], out=received)
        for row, plan in enumerate(self.plans):
            for begin, end, delay in plan.uploads:
                held = span(t, begin, end)
                received[row, held] = end + delay + (t[held] - begin) // 1000
        grid["sensor_id"][:] = sensor[:, None]
        suspect = rng.random(len(spike_row)) < 0.5  # the device flags half of its spikes
        grid["quality"][spike_row[suspect], spike_col[suspect]] = SUSPECT
        self.kept.append(Kept.of(keep, ts, self.filled, stepped))
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
