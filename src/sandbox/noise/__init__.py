"""Seeded corruptions that real data has, each returning its ground-truth rows for `truth/defects`."""
