"""Engines run the chunk plan: serially, on a local process pool, or (later) on Dask."""
