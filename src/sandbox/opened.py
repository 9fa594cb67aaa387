"""`sandbox.open_sandbox(path)`: a built sandbox as an object to read tables from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sandbox.errors import MissingExtra, UsageError
from sandbox.output.manifest import read_manifest
from sandbox.suggest import did_you_mean

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow.dataset as ds


@dataclass(frozen=True)
class Sandbox:
    path: Path
    manifest: dict[str, Any]

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
        import pyarrow.dataset as ds  # here, not at import: it imports pandas, which builds never need

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
