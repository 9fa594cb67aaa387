"""Engines run the chunk plan: serially, on a local process pool, or on Dask."""
