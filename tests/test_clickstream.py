"""The clickstream domain: DuckDB proves every consistency rule; realised rates land on their knobs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pytest

import sandbox
from sandbox.errors import RecipeError
from sandbox.recipe.validate import load

TABLES = (
    "sessions",
    "customers",
    "products",
    "events",
    "orders",
    "order_items",
    "payments",
    "returns",
    "promotions",
    "stockouts",
    "fx_rates",
)


def connect(base: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in TABLES:
        con.execute(f"create view {table} as select * from read_parquet('{base}/tables/{table}/*.parquet')")
    con.execute(f"create view defects as select * from read_parquet('{base}/truth/defects/*.parquet')")
    con.execute("""create view bots as select cast(json_extract(row_key, '$.session_id') as bigint) as session_id
                   from defects where kind = 'bot_session'""")
    con.execute("""create view late as select cast(json_extract(row_key, '$.event_id') as bigint) as event_id
                   from defects where kind = 'late_event'""")
    return con


RULES = {
    "events reference sessions": "select count(*) from events anti join sessions using (session_id)",
    "sessions reference customers": """select count(*) from sessions s anti join customers c using (customer_id)
                                       where s.customer_id is not null""",
    "orders reference sessions": "select count(*) from orders anti join sessions using (session_id)",
    "order items reference orders": "select count(*) from order_items anti join orders using (order_id)",
    "order items reference products": "select count(*) from order_items anti join products using (product_id)",
    "events reference products": """select count(*) from events e anti join products p using (product_id)
                                    where e.product_id is not null""",
    "one purchase event per order, at ordered_at": """
        select count(*) from orders o
        where (select count(distinct e.event_id) from events e
               where e.session_id = o.session_id and e.event_type = 'purchase') <> 1
           or not exists (select 1 from events e where e.session_id = o.session_id and e.event_type = 'purchase'
                          and (e.ts = o.ordered_at or e.event_id in (select event_id from late)))""",
    "subtotal is the sum of line totals": """
        select count(*) from orders o join (select order_id, sum(line_total) as s from order_items group by 1) i
        using (order_id) where o.subtotal <> i.s""",
    "total is subtotal - discount + shipping + tax": """
        select count(*) from orders where total <> subtotal - discount + shipping + tax""",
    "tax is on the goods after a percent or fixed discount": """
        select count(*) from orders o left join promotions p using (promotion_code)
        join (values ('DE', 0.19), ('FR', 0.20), ('NL', 0.21), ('GB', 0.20), ('US', 0.0)) v(country, rate)
          on v.country = o.shipping_country
        where o.tax <> round((o.subtotal - case when p.kind = 'free_shipping' then 0 else o.discount end)
                             * v.rate, 2)""",
    "a discount is the promotion's": """
        select count(*) from orders o left join promotions p using (promotion_code)
        where (p.promotion_code is null) <> (o.promotion_code is null)
           or (p.kind = 'percent' and o.discount <> floor(o.subtotal * p.value) / 100)
           or (p.kind = 'free_shipping' and o.discount <> o.shipping)
           or (p.kind = 'fixed' and o.discount > o.subtotal)
           or (p.promotion_code is null and o.discount <> 0)""",
    "a promotion is used while it runs": """
        select count(*) from orders o join promotions p using (promotion_code)
        where o.ordered_at < p.starts_at or o.ordered_at >= p.ends_at""",
    "orders are in the shipping country's currency": """
        select count(*) from orders join (values ('DE', 'EUR'), ('FR', 'EUR'), ('NL', 'EUR'), ('GB', 'GBP'),
                                                 ('US', 'USD')) v(country, money) on v.country = shipping_country
        where currency <> money""",
    "a unit price is the product's euro price at the order day's rate": """
        select count(*) from order_items i join orders o using (order_id) join products p using (product_id)
        left join fx_rates r on r.currency = o.currency and r.date = cast(o.ordered_at as date)
        where r.rate is null or i.unit_price <> round(p.price * r.rate, 2)""",
    "payments sum to the total of every order not cancelled": """
        select count(*) from orders o left join (select order_id, sum(amount) paid from payments group by 1) p
        using (order_id)
        where (o.status = 'cancelled' and p.paid is not null)
           or (o.status <> 'cancelled' and (p.paid is null or p.paid <> o.total))""",
    "payments come after their order": """
        select count(*) from payments p join orders o using (order_id) where p.paid_at < o.ordered_at""",
    "returns come after delivery, and refunds after returns": """
        select count(*) from returns r join orders o using (order_id)
        where o.delivered_at is null or r.requested_at <= o.delivered_at or r.refunded_at <= r.requested_at
           or o.status <> 'returned'""",
    "a refund never exceeds its line, nor an order's refunds what was paid": """
        select (select count(*) from returns r left join order_items i using (order_id, line_no)
                where i.line_total is null or r.refund_amount > i.line_total or r.quantity > i.quantity
                   or r.quantity < 1)
             + (select count(*) from (select order_id, sum(refund_amount) refunded from returns group by 1) r
                left join (select order_id, sum(amount) paid from payments group by 1) p using (order_id)
                where p.paid is null or r.refunded > p.paid)""",
    "returned orders have a return": """
        select count(*) from orders o where o.status = 'returned'
        and not exists (select 1 from returns r where r.order_id = o.order_id)""",
    "no event of a product lies inside its stock-out": """
        select count(*) from events e join stockouts s using (product_id)
        where e.ts >= s.starts_at and e.ts < s.ends_at and e.event_id not in (select event_id from late)""",
    "stock-outs of a product do not overlap": """
        select count(*) from (select product_id, starts_at,
                                     lag(ends_at) over (partition by product_id order by starts_at) prev_end
                              from stockouts) where prev_end > starts_at""",
    "bounced marks exactly the sessions with one event": """
        select count(*) from sessions s join (select session_id, count(distinct event_id) n from events group by 1)
        using (session_id) where s.bounced <> (n = 1)""",
    "line total is quantity x unit price": "select count(*) from order_items where line_total <> quantity * unit_price",
    "every event lies inside its session": """
        select count(*) from events e join sessions s using (session_id)
        where (e.ts < s.started_at or e.ts > s.ended_at) and e.event_id not in (select event_id from late)""",
    "seq is 1..n without gaps": """
        select count(*) from (select session_id, count(distinct seq) n, min(seq) lo, max(seq) hi from events
                              group by 1) where n <> hi or lo <> 1""",
    "a cart precedes every purchase": """
        select count(*) from (select session_id, min(seq) filter (where event_type = 'add_to_cart') as cart,
                                     min(seq) filter (where event_type = 'purchase') as bought
                              from events group by 1) where bought is not null and (cart is null or cart > bought)""",
    "anonymous sessions have no orders": """select count(*) from orders join sessions s using (session_id)
                                            where s.customer_id is null""",
    "bots never buy": "select count(*) from orders join bots using (session_id)",
    "converted marks exactly the sessions with an order": """
        select count(*) from sessions s left join orders o using (session_id)
        where s.converted <> (o.order_id is not null)""",
    "duplicated events are logged": """
        select count(*) from (select event_id from events group by 1 having count(*) > 1) d
        where d.event_id not in (select cast(json_extract(row_key, '$.event_id') as bigint) from defects
                                 where kind = 'duplicate_event')""",
    "missing product ids are logged": """
        select count(*) from events where event_type = 'product_view' and product_id is null
        and event_id not in (select cast(json_extract(row_key, '$.event_id') as bigint) from defects
                             where kind = 'missing_product_id')""",
}


def rates(base: Path) -> dict[str, float]:
    con = connect(base)
    one = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
    human = one("select count(*) from sessions where session_id not in (select session_id from bots)")
    carts = one("""select count(distinct session_id) from events where event_type = 'add_to_cart'
                   and session_id not in (select session_id from bots)""")
    orders = one("select count(*) from orders")
    return {
        "human": human,
        "carts": carts,
        "conversion": orders / human,
        "abandonment": 1 - orders / carts,
        "bots": one("select count(*) from bots") / one("select count(*) from sessions"),
    }


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shop") / "shop"
    sandbox.build("ecommerce", out, rows=20_000, seed=1, workers=2)
    return out


@pytest.mark.parametrize("rule", list(RULES))
def test_consistency_rule_holds_on_observed_rows(shop: Path, rule: str) -> None:
    assert connect(shop).execute(RULES[rule]).fetchall() == [(0,)]


def test_every_table_has_rows_and_the_faults_are_all_there(shop: Path) -> None:
    con = connect(shop)
    for table in TABLES:
        assert con.execute(f"select count(*) from {table}").fetchall()[0][0] > 0, table
    kinds = {k for (k,) in con.execute("select distinct kind from defects").fetchall()}
    assert kinds == {"bot_session", "duplicate_event", "late_event", "missing_product_id"}


def test_device_and_referral_move_conversion(shop: Path) -> None:
    con = connect(shop)
    by = dict(
        con.execute("""select device, avg(converted::int) from sessions
                             where session_id not in (select session_id from bots) group by 1""").fetchall()
    )
    assert by["desktop"] > by["mobile"]
    pages = dict(
        con.execute("""select device, avg(n) from (select s.device, count(*) n from events e
                                join sessions s using (session_id) where e.event_type = 'page_view'
                                and e.session_id not in (select session_id from bots)
                                group by e.session_id, s.device) group by 1""").fetchall()
    )

    assert pages["mobile"] > pages["desktop"]


def test_search_queries_relate_to_categories(shop: Path) -> None:
    con = connect(shop)
    queries = {
        q for (q,) in con.execute("select distinct search_query from events where search_query is not null").fetchall()
    }
    assert "hose" in queries or "kettle" in queries


def test_knobs_are_validated(write_recipe: Callable[..., Path]) -> None:
    text = sandbox.builtin_recipes()["ecommerce"].read_text().replace("conversion_rate: 0.025", "conversion_rate: 0.4")
    with pytest.raises(RecipeError) as caught:
        load(text, "ecommerce.yaml")
    assert caught.value.issues[0].code == "bad-range"
    assert "busiest segment would need a cart rate" in caught.value.issues[0].message


def within(value: float, target: float, n: int) -> bool:
    return abs(value - target) <= max(0.1 * target, 4 * np.sqrt(target * (1 - target) / n))


@pytest.mark.slow
@pytest.mark.parametrize(("conversion", "abandonment", "bots"), [(0.025, 0.70, 0.02), (0.05, 0.60, 0.10)])
@pytest.mark.parametrize("seed", range(5))
def test_realised_rates_land_on_their_knobs(
    write_recipe: Callable[..., Path], tmp_path: Path, conversion: float, abandonment: float, bots: float, seed: int
) -> None:
    text = (
        sandbox.builtin_recipes()["ecommerce"]
        .read_text()
        .replace("conversion_rate: 0.025", f"conversion_rate: {conversion}")
        .replace("cart_abandonment: 0.70", f"cart_abandonment: {abandonment}")
        .replace("bot_share: 0.02", f"bot_share: {bots}")
    )
    sessions = round(100_000 / (1 - bots))  # 100k human sessions
    sandbox.build(write_recipe(text), tmp_path / "out", rows=sessions, seed=seed, workers=2)
    got = rates(tmp_path / "out")
    assert got["human"] == 100_000
    assert within(got["conversion"], conversion, got["human"]), got
    assert within(got["abandonment"], abandonment, got["carts"]), got
    assert within(got["bots"], bots, sessions), got
