"""Column policies, each vectorised over distinct values: keep, drop, pseudonymise, mask, fake, generalise,
redact. Pseudonymised and faked values depend only on (key, value), so joins survive across tables."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.chunks import whole
from sandbox.privacy import reserved
from sandbox.privacy.canonical import canonical
from sandbox.privacy.names import first_names
from sandbox.privacy.redaction import redact

TOKEN_CHARS = 24


def _digest(key: bytes, value: str) -> bytes:
    return hmac.digest(key, value.encode("utf-8"), "sha256")  # one-shot: OpenSSL's, without an HMAC object


#: Hex digits moved onto letters: a token holds no digit at all, so no scanner can take one for a card or
#: phone number (plain hex tokens did, about one in 2,000).
_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def token(key: bytes, value: str) -> str:
    """`tok_` and 24 letters (96 bits of the keyed HMAC-SHA256)."""
    return "tok_" + _digest(key, value).hex()[:TOKEN_CHARS].translate(_LETTERS)


def _over_distinct(values: pa.Array, fn: Callable[[str], str | None]) -> pa.Array:
    """Apply a string function once per distinct value; the result is dictionary-encoded."""
    values = whole(values)
    if not isinstance(values, pa.DictionaryArray):
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            values = pc.cast(values, pa.string())
        values = pc.dictionary_encode(values)
    dictionary = pc.cast(values.dictionary, pa.string()).to_pylist()
    mapped = pa.array([None if v is None else fn(v) for v in dictionary], pa.string())
    return pa.DictionaryArray.from_arrays(values.indices, mapped)


@functools.lru_cache(maxsize=1 << 18)
def _pseudonym(key: bytes, cls: str | None, value: str) -> str:
    """Cached: an export's identifiers recur in every batch (a customer's e-mail on each of their orders)."""
    return token(key, canonical(cls, value))


def pseudonymise(values: pa.Array, key: bytes, cls: str | None = None) -> pa.Array:
    """A keyed token per value, made from its one spelling for `cls` (sandbox.privacy.canonical)."""
    return _over_distinct(values, lambda v: _pseudonym(key, cls, v))


def mask_value(value: str, keep_last: int = 4) -> str:
    """Every letter and digit but the last `keep_last` replaced by '*'; separators stay."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    hidden = set(positions[:-keep_last] if keep_last else positions)
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def _fake_value(cls: str | None, key: bytes, value: str) -> str:
    value = canonical(cls, value)
    n = int.from_bytes(_digest(key, value)[:8], "little")
    if cls == "email":
        return f"user{n % 10**8:08d}@{reserved.EMAIL_DOMAINS[n % len(reserved.EMAIL_DOMAINS)]}"
    if cls == "phone":
        return f"+1 {('212', '312', '415', '617')[n % 4]}-555-01{n % 100:02d}"
    if cls == "ip_address":
        return f"192.0.2.{n % 254 + 1}" if ":" not in value else f"2001:db8::{n % 65536:x}"
    if cls == "credit_card":
        return reserved.TEST_CARDS[n % len(reserved.TEST_CARDS)]
    if cls == "iban":
        return reserved.EXAMPLE_IBANS[n % len(reserved.EXAMPLE_IBANS)]
    if cls == "national_id":
        return f"987-65-432{n % 10}"
    if cls == "online_identifier":
        return f"00:00:5e:00:53:{n % 256:02x}"
    if cls == "person_name":
        names = sorted(first_names())
        return f"{names[n % len(names)]} {names[(n >> 20) % len(names)]}"
    return token(key, value)


def _generalise_text(cls: str | None, value: str) -> str:
    if cls == "ip_address":
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return "*"
        prefix = 24 if address.version == 4 else 48
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    if cls == "postcode":
        head = value.split()[0] if " " in value.strip() else value[:2]
        return head + "*"
    if cls == "birth_date":  # a date written as text: its decade, as for a typed date
        year = re.search(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", value)
        return f"{int(year[1]) // 10 * 10}-{int(year[1]) // 10 * 10 + 9}" if year else "*"
    return value[:2] + "*"


def generalise(values: pa.Array, cls: str | None) -> pa.Array:
    """Dates to months (birth dates to decades), IPs to /24 or /48, postcodes to a prefix, numbers to bins."""
    values = whole(values)
    kind = values.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        day = pc.cast(values, pa.date32()) if pa.types.is_timestamp(kind) else values
        if cls == "birth_date":
            years = pc.year(day).to_numpy(zero_copy_only=False).astype(float)
            decades = np.where(np.isnan(years), np.nan, np.floor(years / 10) * 10)
            texts = [None if np.isnan(d) else f"{int(d)}-{int(d) + 9}" for d in decades]
            return pa.array(texts, pa.string())
        return pc.floor_temporal(day, unit="month")
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        as_float = pc.cast(values, pa.float64())
        return pc.multiply(pc.floor(pc.divide(as_float, 10.0)), 10.0)
    return _over_distinct(values, lambda v: _generalise_text(cls, v))


def apply(
    values: pa.Array, policy: str, cls: str | None, key: bytes, names: frozenset[str] = frozenset()
) -> pa.Array | None:
    """The column after its policy; None means the column is dropped. `names` (lower-cased) are redacted from
    free text besides the name lists: the words of the table's person-name columns."""
    if policy == "keep":
        return values
    if policy == "drop":
        return None
    if policy == "pseudonymise":
        return pseudonymise(values, key, cls)
    if policy == "mask":
        return _over_distinct(values, mask_value)
    if policy == "fake":
        return _over_distinct(values, lambda v: _fake_value(cls, key, v))
    if policy == "generalise":
        return generalise(values, cls)
    if policy == "redact":
        return redact(values, names)

    raise ValueError(f"unknown policy {policy!r}")
