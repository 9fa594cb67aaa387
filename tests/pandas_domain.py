"""A domain of one's own that uses pandas: the toy's meters as a DataFrame with a categorical column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import pyarrow as pa

from sandbox.domains import DomainContext
from tests.toy_domain import Counters


class PandasCounters(Counters):
    name = "pandas_counters"
    description = "Toy domain built with pandas."

    def produce(self, knobs: Mapping[str, Any], payload: Mapping[str, Any], ctx: DomainContext) -> dict[str, pa.Table]:
        tables = super().produce(knobs, payload, ctx)
        meters = pd.DataFrame(tables["meters"].to_pydict()).astype({"kind": "category"})
        tables["meters"] = pa.Table.from_pandas(meters, preserve_index=False)
        return tables
