"""The data card: README.md in every sandbox, generated from its manifest (never written by hand per recipe).

What it is, how it was made (recipe, seed, versions), every table with a column table (type, description,
PII class and policy, null rate, a non-PII example), the faults injected and where their truth lives, recipe
conformance, the key fingerprint rule, and snippets to load it with pandas, Polars, DuckDB and Spark.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.explain.conformance import help_for
from sandbox.output.location import Location
from sandbox.output.manifest import Manifest
from sandbox.privacy.classes import personal

CARD = "README.md"
_EXAMPLE_CHARS = 40
COLUMN_HEADER = "| column | type | description | PII class | policy | null rate | example |"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def human_size(n: float) -> str:
    """1,234 B, 1.2 KB, 3.4 MB ... (binary units)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TB"


def table_dir(name: str, table: Mapping[str, Any]) -> str:
    """The folder of a table's files, above any `day=` partitions."""
    if not table["files"]:
        return f"{'truth' if table['role'] == 'truth' else 'tables'}/{name}"
    return str(PurePosixPath(table["files"][0]["path"]).parent).split("/day=")[0]


def personal_columns(manifest: Manifest) -> dict[str, set[str]]:
    """Per table, the columns with a PII class or any scan finding (even in reserved space)."""
    return {
        table: {name for name, p in columns.items() if personal(p.get("class")) or p.get("scan")}
        for table, columns in manifest.get("privacy", {}).get("tables", {}).items()
    }


def examples(folder: Path | str, manifest: Manifest) -> dict[str, dict[str, str]]:
    """A first non-null value per column, read from each table's first file, for columns with no PII concern.

    A column with a PII class or any scan finding (even in reserved space) has none, so the card never shows
    a value that even looks personal.
    """
    flagged = personal_columns(manifest)
    out: dict[str, dict[str, str]] = {}
    for name, table in manifest["tables"].items():
        out[name] = {}
        if not table["files"]:
            continue
        wanted = [c["name"] for c in table["columns"] if c["name"] not in flagged.get(name, {})]
        with Location(str(folder)).open(table["files"][0]["path"]) as handle:
            file = pq.ParquetFile(handle)
            present = [c for c in wanted if c in file.schema_arrow.names]
            # batch by batch, until every column has shown a value: the first pages, not a whole part (0.13 s of
            # a 1M-invoice ledger's card)
            for batch in file.iter_batches(batch_size=4096, columns=present) if present else ():
                for column in present:
                    values = batch.column(column).drop_null()
                    if column not in out[name] and len(values):
                        out[name][column] = _example(values[0])
                if len(out[name]) == len(present):
                    break
        out[name] = {column: out[name][column] for column in present if column in out[name]}
    return out


def _example(value: pa.Scalar) -> str:
    text = str(value.as_py()) if not isinstance(value, pa.TimestampScalar) else value.as_py().isoformat()
    return text if len(text) <= _EXAMPLE_CHARS else text[: _EXAMPLE_CHARS - 1] + "…"


def render(manifest: Manifest, examples: Mapping[str, Mapping[str, str]], knob_help: Mapping[str, str]) -> str:
    """The card's Markdown. `knob_help` maps a conformance knob path to its description."""
    parts = [
        _header(manifest),
        _tables(manifest, examples),
        _faults(manifest),
        _conformance(manifest, knob_help),
        _benchmark(manifest),
        _privacy(manifest),
        _loading(manifest),
    ]
    return "\n".join(p for p in parts if p).rstrip() + "\n"


def _header(manifest: Manifest) -> str:
    tables = manifest["tables"]
    rows = sum(t["rows"] for t in tables.values())
    size = sum(f["bytes"] for t in tables.values() for f in t["files"])
    recipe = manifest.get("recipe")
    if recipe:
        title = f"# Sandbox: {recipe['name']}\n\n{recipe.get('description') or ''}".rstrip()
        sizing = ", ".join(f"--{k} {v}" for k, v in (recipe.get("sizing") or {}).items())
        made = (
            f"Built by sandbox {manifest['tool']['version']} from the recipe `{recipe['name']}` "
            f"(`{recipe.get('file', '')}`, sha256 `{recipe['sha256'][:16]}`) with seed {manifest['seed']}"
            + (f" and {sizing}" if sizing else "")
            + f"; chunks of {manifest['chunk_rows']:,} rows. The recipe's full text is in `manifest.json`."
            + _window(manifest)
        )
    elif manifest.get("model"):
        model = manifest["model"]
        title = f"# Sandbox: sampled from a learned {model['synthesizer']} model"
        made = (
            f"Sampled by `sandbox sample` {manifest['tool']['version']} from the model folder `{model['folder']}` "
            f"(model.json sha256 `{model['model_json_sha256'][:16]}`) with seed {manifest['seed']}: "
            f"{model['rows']:,} rows in batches of {model['batch_rows']:,}. Its quality and privacy reports "
            "(from `sandbox learn`) are in manifest.json under `reports`."
        )
    else:
        inputs = ", ".join(f"`{i['file']}`" for i in manifest.get("source", {}).get("inputs", []))
        title = "# Sandbox: an anonymised export"
        made = f"Made by `sandbox anonymise` {manifest['tool']['version']} from {inputs or 'its inputs'} with a policy."
    lock = ", ".join(f"{k} {v}" for k, v in sorted(manifest.get("lock", {}).items()))
    return f"""{title}

{made}
It holds {rows:,} rows in {len(tables)} tables ({human_size(size)} of Parquet). Library versions: {lock}.

Data a pipeline would see is under `tables/`; answer keys (the truth behind every injected fault) are under
`truth/`. `manifest.json` lists every file with its sha256: `sandbox verify .` checks them, and
`sandbox verify . --rebuild` rebuilds the sandbox byte for byte from the recorded recipe and seed.
"""


def _tables(manifest: Manifest, examples: Mapping[str, Mapping[str, str]]) -> str:
    privacy = manifest.get("privacy", {}).get("tables", {})
    flagged = personal_columns(manifest)
    lines = ["## Tables", "", "| table | role | rows | files | description |", "| --- | --- | ---: | ---: | --- |"]
    for name, t in manifest["tables"].items():
        lines.append(f"| {name} | {t['role']} | {t['rows']:,} | {len(t['files'])} | {_cell(t['description'])} |")
    for name, t in manifest["tables"].items():
        key, personal = ", ".join(t["key"]) or "none", flagged.get(name, set())
        about = f"{t['description']} Key: {key}. Rows: {t['rows']:,}. Files: `{table_dir(name, t)}/`."
        lines += ["", f"### {name}", "", about, ""]
        lines += [COLUMN_HEADER, "| --- | --- | --- | --- | --- | ---: | --- |"]
        for c in t["columns"]:
            p = privacy.get(name, {}).get(c["name"], {})
            rate = c["nulls"] / t["rows"] if t["rows"] else 0.0
            example = examples.get(name, {}).get(c["name"])
            shown = f"`{_cell(example)}`" if example is not None else ("(withheld)" if c["name"] in personal else "")
            lines.append(
                f"| {c['name']} | `{c['type']}` | {_cell(c['description'])} | {p.get('class') or ''} | "
                f"{p.get('policy') or ''} | {rate:.2%} | {shown} |"
            )
    return "\n".join(lines) + "\n"


def _faults(manifest: Manifest) -> str:
    faults = manifest.get("faults")
    if not faults:
        return ""
    lines = [
        "## Injected faults",
        "",
        "One row per fault in `truth/defects` (`defect_id, table, row_key, column, kind, truth_value, "
        "observed_value, start_ts, end_ts, params`); `row_key` is JSON of the affected row's key. Other answer "
        "keys under `truth/` are listed above.",
        "",
        "| table | column | kind | rows |",
        "| --- | --- | --- | ---: |",
    ]
    lines += [f"| {f['table']} | {f['column'] or '(whole row)'} | {f['kind']} | {f['rows']:,} |" for f in faults]
    return "\n".join(lines) + "\n"


def _window(manifest: Manifest) -> str:
    window = manifest.get("window")
    if not window:
        return ""
    return (
        f"\nIt holds the days from {window['from']} up to {window['until']} of the recipe's "
        f"{window['period']['days']}-day period (`sandbox build --from/--until`): the files a build of the whole "
        "period writes for them, byte for byte. It has no conformance table: the knobs are rates over the whole "
        "period."
    )


def _conformance(manifest: Manifest, knob_help: Mapping[str, str]) -> str:
    checks = manifest.get("conformance")
    if not checks:
        return ""
    outside = [c["knob"] for c in checks if not c["ok"]]
    lines = [
        "## Recipe conformance",
        "",
        "Every knob the recipe set beside the value this sandbox realised; the tolerance is max(10% of the knob, "
        "4 standard errors). `sandbox check .` recomputes it from the files.",
        "",
        "| knob | what it sets | target | realised | tolerance | over | ok |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for c in checks:
        lines.append(
            f"| `{c['knob']}` | {_cell(help_for(knob_help, c['knob']))} | {c['target']:g} | {c['realised']:.6g} | "
            f"{'n/a' if c['tolerance'] is None else format(c['tolerance'], '.3g')} | {c['over']} | "
            f"{'yes' if c['ok'] else '**no**'} |"
        )
    lines += ["", f"{len(checks) - len(outside)} of {len(checks)} knobs within tolerance."]
    return "\n".join(lines) + "\n"


def _benchmark(manifest: Manifest) -> str:
    bench = manifest.get("benchmark")
    if not bench:
        return ""
    names = sorted({name for scores in bench["range_f1"].values() for name in scores})
    lines = [
        "## Benchmark difficulty",
        "",
        f"Range F1 (`sandbox score`'s time-aware family) per fault kind on {bench['devices']} evenly spaced "
        "devices: `whole_period` is one window per sensor and kind over the whole period, `random` as many "
        "windows of the truth's lengths at random, `robust_z` the rolling robust z-score (61 samples, "
        "|x - median| / (1.4826 MAD) > 6; each alarm a point of every kind). Predicting nothing scores 0. "
        "A detector worth using beats these.",
        "",
        "| kind | windows | " + " | ".join(f"`{n}`" for n in names) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in names) + " |",
    ]
    for kind, scores in bench["range_f1"].items():
        cells = " | ".join(f"{scores[n]:.3f}" if n in scores else "" for n in names)
        lines.append(f"| `{kind}` | {bench['windows'][kind]:,} | {cells} |")
    return "\n".join(lines) + "\n"


def _privacy(manifest: Manifest) -> str:
    privacy = manifest.get("privacy")
    if not privacy:
        return ""
    key, summary = privacy["key"], privacy["summary"]
    advisory = ", ".join(f"{k}: {v:,}" for k, v in summary.get("advisory", {}).items()) or "none"
    return f"""## Privacy

Every column with a PII class has a policy (the build fails closed otherwise); the class and policy are in
the column tables above, and examples of those columns are withheld. Born-safe values come from reserved
space (example.com, documentation IPs, fictional phone ranges). Every file was scanned: {summary["fatal"]} fatal
findings, {summary["reserved_values"]:,} values in reserved space, advisory findings: {advisory}.

Pseudonymised columns (policy `pseudonymise`) hold keyed tokens (`tok_...`). The key's fingerprint is
`{key["fingerprint"]}` (key {key["source"]}): two sandboxes whose fingerprints match have tokens that join;
the fingerprint tells nothing about the key, and the key is never written anywhere in the sandbox.
"""


def _loading(manifest: Manifest) -> str:
    tables = manifest["tables"]
    first = next(iter(tables), "orders")
    dirs = {n: table_dir(n, t) for n, t in tables.items()}
    views = "\n".join(
        f"CREATE VIEW {n} AS SELECT * FROM read_parquet('{d}/**/*.parquet', hive_partitioning = true);"
        for n, d in dirs.items()
    )
    return f"""## Loading it

Run these from this folder.

```python
import pandas as pd
{first} = pd.read_parquet("{dirs[first]}")
```

```python
import polars as pl
{first} = pl.scan_parquet("{dirs[first]}/**/*.parquet", hive_partitioning=True).collect()
```

```sql
-- DuckDB
{views}
```

```python
# Spark
{first} = spark.read.parquet("{dirs[first]}")
```
"""


def write_card(folder: Path | str, manifest: Manifest, knob_help: Mapping[str, str]) -> None:
    text = render(manifest, examples(folder, manifest), knob_help)
    Location(str(folder)).write_bytes(CARD, text.encode("utf-8"))
