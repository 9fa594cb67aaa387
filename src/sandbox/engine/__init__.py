"""The engine: one chunk contract (`contract`), the fixed stages every chunk goes through (`pipeline`), and
where chunks run: this process or a local pool (`local`), or a Dask cluster (`dask`)."""
