"""A generator for each column of a schema, chosen by its type and name, that fits what the database declares
(lengths, precision and scale, NOT NULL, CHECK lists and bounds, uniqueness) and is born safe: e-mails and
phones from reserved space, names and places from Faker's fictional pools.

Each choice returns the column's recipe spec and a note for the draft's comment; an unknown type gets a text
fallback, and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.draft.schema import Column, Table

#: A nullable column's share of nulls in the draft (its data has legitimate gaps; edit to taste).
NULL_SHARE = 0.05
#: A nullable foreign key's share of rows with no parent (a track without an album, the top manager).
NULL_REFERENCE = 0.1
#: The longest born-safe e-mail (`safe_pool("email")`, 20,000 values: 34 characters).
SAFE_EMAIL_CHARS = 34

_INTEGERS = {"TINYINT": 127, "SMALLINT": 32_767, "INT": 2**31 - 1, "MEDIUMINT": 2**23 - 1, "BIGINT": 2**63 - 1}
_SERIALS = {"SERIAL": "INT", "SMALLSERIAL": "SMALLINT", "BIGSERIAL": "BIGINT"}
_TEXT = {"VARCHAR", "CHAR", "NCHAR", "NVARCHAR", "BPCHAR", "TEXT", "NAME", "CITEXT"}
_FLOATS = {"FLOAT", "DOUBLE", "REAL", "DECIMAL32", "DECIMAL64"}
_TIMESTAMPS = {"TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMPLTZ", "DATETIME", "TIMESTAMPNTZ", "DATETIME64"}

#: Column names (whole words of it) -> a Faker provider, most specific first.
_TEXT_BY_NAME: tuple[tuple[str, str], ...] = (
    (r"first_?name|given_?name|forename", "first_name"),
    (r"last_?name|surname|family_?name", "last_name"),
    (r"contact_?name|full_?name|customer_?name|employee_?name|person|author|composer", "name"),
    (r"company|supplier_?name|vendor|organi[sz]ation|publisher", "company"),
    (r"street|address", "street_address"),
    (r"city|town", "city"),
    (r"state|province|region|county", "state"),
    (r"country", "country"),
    (r"postal_?code|post_?code|zip(_?code)?", "postcode"),
    (r"url|website|homepage", "url"),
    (r"user_?name|login|handle", "user_name"),
    (r"job|title|position|role", "job"),
    (r"description|comment|note|summary|bio|text|message", "sentence"),
    (r"currency", "currency_code"),
    (r"color|colour", "color_name"),
    (r"uuid|guid", "uuid4"),
)
_MONEY = re.compile(r"price|amount|total|cost|rate|freight|fee|salary|balance|payment|revenue|charge|tax")
_COUNT = re.compile(r"quantity|qty|count|units|stock|items|seats|copies")
_PERSONAL = {"first_name": "person_name", "last_name": "person_name", "name": "person_name"}


@dataclass
class Drafted:
    spec: dict[str, Any]
    note: str


def _matches(pattern: str, name: str) -> bool:
    return re.search(rf"(^|_)({pattern})($|_)", name.lower()) is not None


def _family(column: Column) -> str | None:
    return _SERIALS.get(column.family or "", column.family)


def known(column: Column) -> bool:
    """Whether the column's type has a generator of its own (else the draft falls back to words)."""
    family = _family(column)
    return bool(column.choices) or family in {
        *_INTEGERS,
        *_TEXT,
        *_FLOATS,
        *_TIMESTAMPS,
        "DECIMAL",
        "BOOLEAN",
        "DATE",
        "UUID",
    }


def draft_column(table: Table, column: Column, rows: int) -> Drafted:
    """The recipe spec of one column that is not a foreign key (those are `ref`s: `recipe`)."""
    drafted = _by_kind(table, column, rows)
    if column.length and _family(column) in _TEXT and "max_length" not in drafted.spec:
        drafted.spec["max_length"] = column.length
    if not column.not_null and column.name not in table.primary_key and not drafted.spec.get("unique"):
        drafted.spec["null_rate"] = NULL_SHARE
    return drafted


def _by_kind(table: Table, column: Column, rows: int) -> Drafted:
    family = _family(column)
    if column.choices:
        return Drafted({"choice": list(column.choices)}, f"CHECK IN: {len(column.choices)} values, uniformly")
    if column.name in table.primary_key and family in _INTEGERS:
        return Drafted({"sequence": 1}, "primary key: 1, 2, 3, ...")
    if family in _INTEGERS:
        return _integer(column, _INTEGERS[family])
    if family == "DECIMAL":
        return _decimal(column)
    if family in _FLOATS:
        return _float(column)
    if family == "BOOLEAN":
        return Drafted({"bool": 0.5}, "true half the time")
    if family == "DATE":
        return _date(column)
    if family in _TIMESTAMPS:
        return Drafted({"timestamp": {"start": "2024-01-01", "end": "2026-01-01"}}, f"{column.declared}, two years")
    if family in _TEXT:
        return _text(table, column, rows)
    if family == "UUID":
        return Drafted({"faker": "uuid4", "pool": max(10_000, 2 * rows), "unique": column.unique}, "random UUIDs")
    what = column.declared if family is None else f"{column.declared} ({family})"
    return Drafted({"faker": "word", "pool": 1000}, f"UNKNOWN TYPE {what}: drafted as words; edit this column")


def _integer(column: Column, top: int) -> Drafted:
    low = int(column.minimum) if column.minimum is not None else 0
    if _COUNT.search(column.name.lower()):
        return Drafted({"zipf": 2.2, "clip": [max(low, 1), min(top, 50)]}, "a count: mostly small, Zipf")
    if re.search(r"year", column.name.lower()):
        return Drafted({"uniform": [1970, 2026], "type": "int"}, "a year")
    if re.search(r"millis|_ms$|bytes|size|length|duration|seconds", column.name.lower()):
        return Drafted(
            {"lognormal": {"mean": 5.5, "sigma": 1.0}, "clip": [max(low, 1), min(top, 10**9)], "type": "int"},
            "a size or duration: lognormal",
        )
    return Drafted({"poisson": 10, "clip": [low, min(top, 10**6)]}, f"an integer (fits {column.declared})")


def _decimal(column: Column) -> Drafted:
    precision, scale = column.precision or 18, column.scale or 0
    top = 10 ** (precision - scale) - 10.0**-scale if scale else 10**precision - 1
    low = column.minimum if column.minimum is not None else 0
    kind = f"decimal({precision},{scale})"
    if _MONEY.search(column.name.lower()):
        spec = {"lognormal": {"mean": 3.0, "sigma": 0.8}, "clip": [low, min(top, 10**7)], "type": kind}
        return Drafted(spec, f"money: lognormal around 20, fits {kind}")
    return Drafted({"uniform": [low, min(top, 1000)], "type": kind}, f"fits {kind}")


def _float(column: Column) -> Drafted:
    if re.search(r"discount|share|ratio|percent|pct", column.name.lower()):
        return Drafted({"choice": [0.0, 0.05, 0.1, 0.15, 0.2], "weights": [0.6, 0.1, 0.15, 0.1, 0.05]}, "a discount")
    low = column.minimum if column.minimum is not None else 0
    return Drafted({"uniform": [low, low + 100]}, f"{column.declared}: uniform")


def _date(column: Column) -> Drafted:
    if re.search(r"birth|dob", column.name.lower()):
        spec = {"date": {"start": "1950-01-01", "end": "2006-01-01"}, "pii": {"class": "birth_date", "policy": "keep"}}
        return Drafted(spec, "a birth date (fictional people: kept)")
    return Drafted({"date": {"start": "2020-01-01", "end": "2026-01-01"}}, "a date in 2020-2025")


def _text(table: Table, column: Column, rows: int) -> Drafted:
    name, length = column.name.lower(), column.length
    pool = max(10_000, 2 * rows)
    if _matches(r"e?mail|email_?address", name):
        return _email(table, column, rows)
    if _matches(r"phone|mobile|fax|tel|telephone", name):
        return Drafted({"safe": "phone", "country": ["US", "GB"], "pool": 5000}, "fictional numbers (555, Ofcom drama)")
    if _matches(r"ip|ip_?address", name):
        return Drafted({"safe": "ipv4", "pool": 5000}, "documentation addresses (RFC 5737)")
    if column.unique or column.name in table.primary_key:
        key = table.primary_key[0] if len(table.primary_key) == 1 and table.primary_key[0] != column.name else None
        if key:
            return Drafted({"template": f"{column.name}-{{{key}}}"}, f"unique: built from {key}")
        return Drafted({"faker": "uuid4", "pool": pool, "unique": True}, "unique: random UUIDs")
    for pattern, provider in _TEXT_BY_NAME:
        if _matches(pattern, name):
            spec: dict[str, Any] = {"faker": provider, "pool": 5000}
            if provider in _PERSONAL:
                spec["pii"] = {"class": _PERSONAL[provider], "policy": "keep"}
            return Drafted(spec, f"Faker {provider}")
    if length is not None and length <= 12:
        return Drafted({"faker": "lexify", "pool": 5000}, f"short codes (up to {length} characters)")
    provider = "sentence" if length is None or length > 60 else "catch_phrase"
    return Drafted({"faker": provider, "pool": 5000}, f"Faker {provider}")


def _email(table: Table, column: Column, rows: int) -> Drafted:
    unique = column.unique or column.name in table.primary_key
    if column.length is None or column.length >= SAFE_EMAIL_CHARS:
        spec: dict[str, Any] = {"safe": "email", "pool": max(10_000, 3 * rows)}
        if unique:
            spec["unique"] = True
        return Drafted(spec, "reserved domains only (example.com, .test, .invalid)")
    key = table.primary_key[0] if len(table.primary_key) == 1 else None
    if key is None:
        return Drafted({"safe": "email", "pool": 10_000}, "reserved domains; may exceed the declared length")
    spec = {"template": f"u{{{key}}}@example.com", "pii": {"class": "email", "policy": "keep"}}
    return Drafted(spec, f"short reserved addresses (the declared {column.length} characters), one per {key}")
