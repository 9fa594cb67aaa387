"""Writing sandboxes: atomic folders, Parquet parts, the manifest."""
