"""The clickstream domain's tables: what each holds, its key, the ids it references and its personal columns."""

from __future__ import annotations

from sandbox.domains.interface import TableInfo
from sandbox.privacy.columns import advisory, born_safe


def visitors() -> list[TableInfo]:
    """Sessions and the people with an account."""
    return [
        TableInfo(
            "sessions",
            "One row per visit (bots included: they are answer-key defects).",
            key=("session_id",),
            references={"customer_id": "customers.customer_id"},
            arrival="started_at",
            privacy={"ip_address": born_safe("ipv4", "ip_address"), "user_agent": advisory("user_agent")},
        ),
        TableInfo(
            "customers",
            "People with an account.",
            key=("customer_id",),
            privacy={
                "name": advisory("person_name"),
                "email": born_safe("email", "email"),
                "phone": born_safe("phone", "phone"),
                "street_address": advisory("street_address"),
                "postcode": advisory("postcode"),
                "birth_date": advisory("birth_date"),
            },
        ),
    ]


def shop() -> list[TableInfo]:
    """The catalogue, the clickstream and what was bought, paid and sent back."""
    return [
        TableInfo("products", "The catalogue.", key=("product_id",)),
        TableInfo(
            "events",
            "Tracked events in session order.",
            key=("event_id",),
            references={
                "session_id": "sessions.session_id",
                "customer_id": "customers.customer_id",
                "product_id": "products.product_id",
            },
            arrival="ts",
        ),
        TableInfo(
            "orders",
            "One order per purchase.",
            key=("order_id",),
            references={
                "session_id": "sessions.session_id",
                "customer_id": "customers.customer_id",
                "promotion_code": "promotions.promotion_code",
            },
            arrival="ordered_at",
        ),
        TableInfo(
            "order_items",
            "Order lines: the cart at purchase.",
            key=("order_id", "line_no"),
            references={"order_id": "orders.order_id", "product_id": "products.product_id"},
        ),
        TableInfo(
            "payments",
            "What paid each order that was not cancelled.",
            key=("payment_id",),
            references={"order_id": "orders.order_id"},
            arrival="paid_at",
        ),
        TableInfo(
            "returns",
            "Order lines sent back after delivery, and their refunds.",
            key=("return_id",),
            references={"order_id": "orders.order_id"},
            arrival="requested_at",
        ),
        TableInfo("promotions", "Promotion codes and when they run.", key=("promotion_code",)),
        TableInfo(
            "stockouts",
            "When each product was out of stock.",
            key=("product_id", "starts_at"),
            references={"product_id": "products.product_id"},
        ),
        TableInfo("fx_rates", "Units of each order currency per euro, per day.", key=("date", "currency")),
    ]
