"""Column generators: pure functions (spec, chunk context) -> pyarrow.Array, registered by name."""

from sandbox.columns import categorical, keys, numeric, safe, temporal, text  # noqa: F401  (they register)
from sandbox.columns.registry import GENERATORS, ChunkContext, ColumnGenerator, ColumnSpec

__all__ = ["GENERATORS", "ChunkContext", "ColumnGenerator", "ColumnSpec"]
