"""Charts of an ecommerce sandbox: the purchase funnel and sessions by hour of day (needs matplotlib).

sandbox build ecommerce --out shop/
python examples/ecommerce_charts.py shop/ docs/
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FUNNEL = ["page_view", "product_view", "add_to_cart", "begin_checkout", "purchase"]


def main(shop: Path, out: Path) -> None:
    con = duckdb.connect()
    con.execute(f"create view events as select * from '{shop}/tables/events/*.parquet'")
    con.execute(f"create view sessions as select * from '{shop}/tables/sessions/*.parquet'")
    con.execute(f"""create view humans as select * from sessions where session_id not in (
        select cast(json_extract(row_key, '$.session_id') as bigint) from '{shop}/truth/defects/*.parquet'
        where kind = 'bot_session')""")
    reached = dict(
        con.execute("""select event_type, count(distinct session_id) from events
                                  where session_id in (select session_id from humans) group by 1""").fetchall()
    )
    steps = [reached.get(step, 0) for step in FUNNEL]
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.barh(FUNNEL[::-1], steps[::-1], color="#3b6ea5")
    for y, value in enumerate(steps[::-1]):
        ax.text(value, y, f" {value:,} ({value / steps[0]:.1%})", va="center", fontsize=9)
    ax.set_xlabel("human sessions reaching the step")
    ax.set_title("Purchase funnel (ecommerce sandbox)")
    ax.set_xlim(0, steps[0] * 1.35)
    fig.tight_layout()
    fig.savefig(out / "ecommerce-funnel.png", dpi=110)
    hours = con.execute(
        """select hour(started_at) h, device, count(*) from humans group by 1, 2 order by 1"""
    ).fetchall()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for device in ("mobile", "desktop", "tablet"):
        counts = [sum(c for h, d, c in hours if h == hour and d == device) for hour in range(24)]
        ax.plot(range(24), counts, marker="o", markersize=3, label=device)
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("hour of day (UTC)")
    ax.set_ylabel("sessions")
    ax.set_title("Sessions by hour and device")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "ecommerce-sessions-by-hour.png", dpi=110)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
