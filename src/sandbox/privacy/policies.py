"""Column policies, each vectorised over distinct values: keep, drop, pseudonymise, mask, fake, generalise,
redact. Pseudonymised and faked values depend only on (key, value), so joins survive across tables."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.privacy import reserved
from sandbox.privacy.detect import first_names, spans

LABELS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "credit_card": "[CARD]",
    "iban": "[IBAN]",
    "national_id": "[ID]",
    "ip_address": "[IP]",
    "online_identifier": "[DEVICE-ID]",
}
TOKEN_CHARS = 20


def _digest(key: bytes, value: str) -> bytes:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest()


def token(key: bytes, value: str) -> str:
    """`tok_` and 20 base32 characters (100 bits): letters and the digits 2-7 only, so a token never holds a
    digit run that a scanner could take for a card or phone number (hex tokens did, about one in 2,000)."""
    return "tok_" + base64.b32encode(_digest(key, value)).decode("ascii").lower()[:TOKEN_CHARS]


def _over_distinct(values: pa.Array, fn: Callable[[str], str | None]) -> pa.Array:
    """Apply a string function once per distinct value; the result is dictionary-encoded."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.DictionaryArray):
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            values = pc.cast(values, pa.string())
        values = pc.dictionary_encode(values)
    dictionary = pc.cast(values.dictionary, pa.string()).to_pylist()
    mapped = pa.array([None if v is None else fn(v) for v in dictionary], pa.string())
    return pa.DictionaryArray.from_arrays(values.indices, mapped)


def pseudonymise(values: pa.Array, key: bytes) -> pa.Array:
    return _over_distinct(values, lambda v: token(key, v))


def mask_value(value: str, keep_last: int = 4) -> str:
    """Every letter and digit but the last `keep_last` replaced by '*'; separators stay."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    hidden = set(positions[:-keep_last] if keep_last else positions)
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def _fake_value(cls: str | None, key: bytes, value: str) -> str:
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
    return value[:2] + "*"


def generalise(values: pa.Array, cls: str | None) -> pa.Array:
    """Dates to months (birth dates to decades), IPs to /24 or /48, postcodes to a prefix, numbers to bins."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
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


def redact_text(value: str) -> str:
    """PII spans replaced by [EMAIL], [PHONE], [CARD], [IBAN], [ID], [IP], [DEVICE-ID]; names by [NAME]."""
    found = sorted(spans(value), key=lambda s: s[0])
    out, last = [], 0
    for start, end, cls, _, _ in found:
        if start >= last:
            out.append(value[last:start] + LABELS[cls])
            last = end
    out.append(value[last:])
    return _redact_names("".join(out))


_CAPITALISED = re.compile(r"\b[A-ZÀ-Ý][^\W\d_]+")


def _redact_names(text: str) -> str:
    """A known first name, and the capitalised word right after it (the surname), become [NAME]."""
    names = first_names()
    words = list(_CAPITALISED.finditer(text))
    out, last, i = [], 0, 0
    while i < len(words):
        word = words[i]
        if word.group(0) not in names:
            i += 1
            continue
        end = word.end()
        if i + 1 < len(words) and text[end : words[i + 1].start()].isspace():
            end = words[i + 1].end()
            i += 1
        out.append(text[last : word.start()] + "[NAME]")
        last = end
        i += 1
    out.append(text[last:])
    return "".join(out)


def apply(values: pa.Array, policy: str, cls: str | None, key: bytes) -> pa.Array | None:
    """The column after its policy; None means the column is dropped."""
    if policy == "keep":
        return values
    if policy == "drop":
        return None
    if policy == "pseudonymise":
        return pseudonymise(values, key)
    if policy == "mask":
        return _over_distinct(values, mask_value)
    if policy == "fake":
        return _over_distinct(values, lambda v: _fake_value(cls, key, v))
    if policy == "generalise":
        return generalise(values, cls)
    if policy == "redact":
        return _over_distinct(values, redact_text)
    raise ValueError(f"unknown policy {policy!r}")
