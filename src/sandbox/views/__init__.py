"""Each built-in domain's own report views (matplotlib figures; the `report` extra)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.opened import Sandbox


def fault_ids(box: Sandbox, kind: str, key: str) -> pa.Array:
    """The integer `key` of every truth/defects row of `kind` (row_key is JSON such as {"session_id":17})."""
    keys = box.dataset("defects").to_table(columns=["row_key"], filter=pc.field("kind") == kind)["row_key"]
    found = pc.extract_regex(keys.combine_chunks(), rf'"{key}":\s*(?P<id>\d+)').field("id")
    return pc.cast(found, pa.int64())
