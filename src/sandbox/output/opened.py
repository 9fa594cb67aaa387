"""`sandbox.open_sandbox(path)`: a built sandbox as an object to read tables from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.core.suggest import did_you_mean
from sandbox.errors import MissingExtra, UsageError
from sandbox.output.manifest import Manifest, TableEntry, read_manifest

#: Values per column that `sample_column` reads at most (diff and report compare and plot samples).
SAMPLE = 200_000

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow.dataset as ds


@dataclass(frozen=True)
class Sandbox:
    path: Path
    manifest: Manifest

    @property
    def tables(self) -> list[str]:
        """The data tables (under tables/), in manifest order."""
        return [n for n, t in self.manifest["tables"].items() if t["role"] == "data"]

    @property
    def truth(self) -> list[str]:
        """The answer keys (under truth/), e.g. defects."""
        return [n for n, t in self.manifest["tables"].items() if t["role"] == "truth"]

    def files(self, name: str) -> list[Path]:
        tables = self.manifest["tables"]
        if name not in tables:
            hint = did_you_mean(name, tables)
            raise UsageError(
                f"{self.path}: expected a table of this sandbox ({', '.join(tables)}), got '{name}'"
                + (f" (did you mean {hint}?)" if hint else "")
            )
        return [self.path / f["path"] for f in tables[name]["files"]]

    def dataset(self, name: str) -> ds.Dataset:
        """A pyarrow dataset over the table's parts (hive partitions such as day=... become columns)."""
        files = [str(p) for p in self.files(name)]
        root = self.path / ("tables" if self.manifest["tables"][name]["role"] == "data" else "truth") / name
        import pyarrow.dataset as ds  # here, not at import: only readers of a sandbox need it

        return ds.dataset(files, format="parquet", partitioning="hive", partition_base_dir=str(root))

    def to_arrow(self, name: str) -> pa.Table:
        return self.dataset(name).to_table()

    def to_pandas(self, name: str) -> pd.DataFrame:
        return self.to_arrow(name).to_pandas()

    def duckdb(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with one view per table (and per answer key)."""
        try:
            import duckdb
        except ImportError:
            raise MissingExtra("duckdb", "duckdb") from None
        con = duckdb.connect()
        for name in self.manifest["tables"]:
            files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in self.files(name))
            con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet([{files}], hive_partitioning = true)')
        return con


def open_sandbox(path: str | Path) -> Sandbox:
    """Open the sandbox folder at `path` (it must have its manifest.json, i.e. be complete)."""
    folder = Path(path)
    return Sandbox(folder, read_manifest(folder))


def sample_column(folder: Path, table: TableEntry, column: str) -> pa.Array | None:
    """At most SAMPLE non-null values of a column, evenly spaced over the table's files (deterministic)."""
    rows = table["rows"]
    if not rows:
        return None
    step = max(1, -(-rows // SAMPLE))
    pieces = []
    for entry in table["files"]:
        file = pq.ParquetFile(folder / entry["path"])
        if column not in file.schema_arrow.names:
            return None  # a hive partition key: described by the path, not the data
        values = file.read([column]).column(0).combine_chunks()
        if step > 1:
            values = values.take(pa.array(np.arange(0, len(values), step)))
        pieces.append(values.drop_null())
    data = pa.concat_arrays(pieces) if pieces else pa.array([])
    if pa.types.is_dictionary(data.type):
        data = data.dictionary_decode()
    return data
