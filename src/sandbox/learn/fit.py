"""`sandbox learn`: anonymise an export, then fit an SDV synthesizer on it and save a model folder.

The anonymise stage runs first with the policy (or, without one, with an empty policy, so any column that
holds personal data stops the run: exit 2). SDV detects the metadata (keys, relationships, sdtypes); a YAML
file in SDV's metadata format overrides it. Columns the policy classes as personal data are modelled as
`id` (generated, never copied from the training rows). A fifth of the rows of a single table is held back
for the privacy check; the model folder holds the metadata, the fitted synthesizer, the policy, the
training fingerprint (row counts and column hashes, never rows) and the quality and privacy reports.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from sandbox._version import __version__
from sandbox.domains.learned.guard import quiet, seeded
from sandbox.domains.learned.model import (
    FORMAT,
    METADATA,
    MODEL,
    POLICY,
    REPORTS,
    SYNTHESIZER,
    fingerprint_files,
    require_sdv,
)
from sandbox.errors import UsageError
from sandbox.learn.evaluate import privacy, quality, without_ids
from sandbox.output.manifest import lock
from sandbox.output.writer import Staging
from sandbox.privacy import classes

SYNTHESIZERS = ("gaussian_copula", "ctgan", "hma")
HOLDOUT = 0.2
#: Synthetic rows drawn at learn time for the reports.
REPORT_ROWS = 10_000


@dataclass(frozen=True)
class Learned:
    out: Path
    model: dict[str, Any]
    reports: dict[str, Any]
    seconds: float
    fit_seconds: float


def as_pandas(table: pa.Table) -> pd.DataFrame:
    """A table as SDV wants it: dictionaries as plain strings, decimals as floats, times naive UTC."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
        elif pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_timestamp(kind) and kind.tz is not None:
            column = column.cast(pa.timestamp(kind.unit))
        columns[name] = column
    return infer_types(pa.table(columns).to_pandas())


def infer_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns (CSV is read as text) as numbers, booleans or times where every value parses as one."""
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        present = column.dropna().astype(str)
        if present.empty:
            continue
        if present.str.lower().isin(["true", "false"]).all():
            frame[name] = column.map(lambda v: None if v is None else str(v).lower() == "true").astype("boolean")
            continue
        numbers = pd.to_numeric(present, errors="coerce")
        if numbers.notna().all() and not present.str.match(r"0\\d").any():  # leading zeros: codes, not numbers
            frame[name] = pd.to_numeric(column, errors="coerce")
            continue
        times = pd.to_datetime(present, errors="coerce", format="ISO8601", utc=True)
        if times.notna().all() and present.str.match(r"\\d{4}-\\d{2}-\\d{2}").all():
            frame[name] = pd.to_datetime(column, errors="coerce", format="ISO8601", utc=True).dt.tz_localize(None)
    return frame


def column_hashes(frame: pd.DataFrame) -> dict[str, str]:
    """A sha256 per column of its values' hashes: tells whether two exports are the same, shows no value."""
    import hashlib

    return {
        c: hashlib.sha256(pd.util.hash_pandas_object(frame[c], index=False).to_numpy().tobytes()).hexdigest()
        for c in frame.columns
    }


def learn(
    inputs: Iterable[str | Path],
    out: str | Path,
    *,
    synthesizer: str | None = None,
    policy: str | Path | None = None,
    metadata: str | Path | None = None,
    seed: int = 0,
    key_file: str | Path | None = None,
    overwrite: bool = False,
    epochs: int | None = None,
) -> Learned:
    """Fit a synthesizer on the anonymised `inputs` and write the model folder `out`, or nothing."""
    started = time.perf_counter()
    require_sdv()
    inputs = list(inputs)
    with quiet(), tempfile.TemporaryDirectory(prefix="sandbox-learn-") as tmp:
        frames, personal, applied = _anonymised(inputs, Path(tmp), policy, key_file)
        kind = _choose(synthesizer, frames)
        meta = _metadata(frames, personal, metadata)
        train, holdout = _split(frames, seed)
        fit_started = time.perf_counter()
        model = _fit(kind, meta, train, seed, epochs)
        fit_seconds = time.perf_counter() - fit_started
        reports = _reports(model, kind, meta, train, holdout, seed)
        with Staging(Path(out), overwrite, marker=MODEL, what="a model folder") as staging:
            folder = staging.path
            model.save(str(folder / SYNTHESIZER))
            (folder / METADATA).write_text(yaml.safe_dump(meta.to_dict(), sort_keys=True), encoding="utf-8")
            (folder / REPORTS).write_text(json.dumps(reports, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            if applied is not None:
                shutil.copyfile(applied, folder / POLICY)
            description = {
                "format": FORMAT,
                "tool": {"name": "sandbox", "version": __version__},
                "lock": lock("sdmetrics", "torch"),
                "synthesizer": kind,
                "seed": seed,
                "holdout": HOLDOUT if len(frames) == 1 else 0.0,
                "training": {
                    name: {"rows": len(frame), "columns": list(frame.columns), "column_sha256": column_hashes(frame)}
                    for name, frame in train.items()
                },
                "files": fingerprint_files(folder),
            }
            (folder / MODEL).write_text(json.dumps(description, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            staging.commit()
    return Learned(Path(out), description, reports, time.perf_counter() - started, fit_seconds)


def _anonymised(
    inputs: list[str | Path], tmp: Path, policy: str | Path | None, key_file: str | Path | None
) -> tuple[dict[str, pd.DataFrame], dict[str, set[str]], Path | None]:
    """The inputs after the anonymise stage, the columns it classed as personal, and the policy file used."""
    from sandbox.exports.anonymise import anonymise
    from sandbox.output.opened import open_sandbox

    applied = Path(policy) if policy is not None else None
    rules = applied
    if rules is None:  # an empty policy: any column that holds personal data stops the run
        rules = tmp / "no-policy.yaml"
        rules.write_text("version: 1\ncolumns: {}\n", encoding="utf-8")
    result = anonymise(inputs, tmp / "clean", rules, key_file=key_file)

    box = open_sandbox(result.out)
    frames = {name: as_pandas(box.to_arrow(name)) for name in box.tables}
    personal = {
        table: {c for c, p in columns.items() if classes.personal(p.get("class"))}
        for table, columns in result.manifest["privacy"]["tables"].items()
    }
    return frames, personal, applied


def _choose(synthesizer: str | None, frames: dict[str, pd.DataFrame]) -> str:
    kind = synthesizer or ("gaussian_copula" if len(frames) == 1 else "hma")
    if kind not in SYNTHESIZERS:
        raise UsageError(f"--synthesizer: expected one of {', '.join(SYNTHESIZERS)}, got '{kind}'")
    if kind != "hma" and len(frames) != 1:
        raise UsageError(f"--synthesizer {kind}: expected one table, got {len(frames)} ({', '.join(frames)}); use hma")
    return kind


def _metadata(frames: dict[str, pd.DataFrame], personal: dict[str, set[str]], override: str | Path | None) -> Any:
    from sdv.metadata import Metadata

    if override is not None:
        path = Path(override)
        try:
            meta = Metadata.load_from_dict(yaml.safe_load(path.read_text(encoding="utf-8")))
            meta.validate()
        except (OSError, yaml.YAMLError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(
                f"{path}: expected SDV metadata (as `sandbox learn` writes to {METADATA}), got {exc}"
            ) from None
        except Exception as exc:  # SDV raises its own InvalidMetadataError and friends
            raise UsageError(f"{path}: SDV rejected the metadata: {exc}") from None
        return meta
    meta = Metadata.detect_from_dataframes(frames)
    for table, columns in personal.items():
        keys = {meta.tables[table].primary_key} if table in meta.tables else set()
        for column in sorted(columns - keys):
            if table in meta.tables and column in meta.tables[table].columns:
                meta.update_column(table_name=table, column_name=column, sdtype="id")
    return meta


def _split(frames: dict[str, pd.DataFrame], seed: int) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """A fifth of a single table held back for the privacy check (multi-table models train on everything)."""
    if len(frames) != 1:
        return frames, {}
    ((name, frame),) = frames.items()
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = int(len(frame) * (1 - HOLDOUT))
    return {name: frame.iloc[np.sort(order[:cut])].reset_index(drop=True)}, {
        name: frame.iloc[np.sort(order[cut:])].reset_index(drop=True)
    }


def _fit(kind: str, meta: Any, train: dict[str, pd.DataFrame], seed: int, epochs: int | None) -> Any:
    from sdv.multi_table import HMASynthesizer
    from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer

    if kind == "gaussian_copula":
        model: Any = GaussianCopulaSynthesizer(meta)
    elif kind == "ctgan":
        model = CTGANSynthesizer(meta, epochs=epochs or 300, enable_gpu=False)
    else:
        model = HMASynthesizer(meta)
    with seeded(seed, "fit"):
        model.fit(train)
    return model


def _reports(
    model: Any, kind: str, meta: Any, train: dict[str, pd.DataFrame], holdout: dict[str, pd.DataFrame], seed: int
) -> dict[str, Any]:
    from sandbox.domains.learned.draw import draw

    if kind == "hma":
        synthetic = draw(model, kind, None, 0, seed, "report")
    else:
        (name,) = train
        synthetic = {name: draw(model, kind, name, min(REPORT_ROWS, len(train[name])), seed, "report")}
    real, described = without_ids(train, meta.to_dict())
    fake, _ = without_ids(synthetic, meta.to_dict())
    reports: dict[str, Any] = {
        "quality": quality(real, fake, described),
        "compared_columns": {name: list(frame.columns) for name, frame in real.items()},
    }
    if holdout:
        (name,) = holdout
        held, _ = without_ids(holdout, meta.to_dict())
        reports["privacy"] = privacy(real[name], held[name], fake[name])
    return reports
