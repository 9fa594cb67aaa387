"""Column generators: pure functions (spec, chunk context) -> pyarrow.Array, registered by name."""

import pyarrow as pa

from sandbox.columns import categorical, keys, numeric, safe, temporal, text  # noqa: F401  (they register)
from sandbox.columns.arrays import cut, with_nulls
from sandbox.columns.registry import GENERATORS, ChunkContext, ColumnGenerator, ColumnSpec

__all__ = ["GENERATORS", "ChunkContext", "ColumnGenerator", "ColumnSpec", "draw"]


def draw(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    """One column of a chunk: its generator's values, cut to `max_length`, nulls laid at `null_rate`."""
    array = GENERATORS[spec.gen].make(spec, ctx)
    if spec.max_length is not None:
        array = cut(array, spec.max_length)
    if spec.null_rate > 0:
        array = with_nulls(array, ctx.rng(f"null:{spec.name}").random(ctx.n) < spec.null_rate)
    return array
