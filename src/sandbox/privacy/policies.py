"""Column policies, each vectorised over distinct values: keep, drop, pseudonymise, mask, fake, generalise,
redact. Pseudonymised and faked values depend only on (key, value), so joins survive across tables."""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.privacy import reserved
from sandbox.privacy.canonical import canonical
from sandbox.privacy.detect import first_names

TOKEN_CHARS = 24


def _digest(key: bytes, value: str) -> bytes:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest()


#: Hex digits moved onto letters: a token holds no digit at all, so no scanner can take one for a card or
#: phone number (plain hex tokens did, about one in 2,000).
_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def token(key: bytes, value: str) -> str:
    """`tok_` and 24 letters (96 bits of the keyed HMAC-SHA256)."""
    return "tok_" + _digest(key, value).hex()[:TOKEN_CHARS].translate(_LETTERS)


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


def pseudonymise(values: pa.Array, key: bytes, cls: str | None = None) -> pa.Array:
    """A keyed token per value, made from its one spelling for `cls` (sandbox.privacy.canonical)."""
    return _over_distinct(values, lambda v: token(key, canonical(cls, v)))


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


#: What redaction replaces, in order, as RE2 patterns over whole arrays. Unlike the scan, nothing is
#: confirmed (no Luhn, no numbering plan): redaction errs toward removing, and the scan that follows still
#: checks every value, so a span these miss fails the run closed.
_REDACTIONS = (
    (r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", "[EMAIL]"),
    (r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", "[IBAN]"),
    (r"\b[0-9A-Fa-f]{2}(?:[:\-][0-9A-Fa-f]{2}){5}\b", "[DEVICE-ID]"),
    (r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:?){0,6}", "[IP]"),
    (r"\b(?:\d{1,3}\.){3}\d{1,3}\b", "[IP]"),
    (
        r"\b\d{3}-\d{2}-\d{4}\b|\b[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]\b"
        r"|\b[12] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}\b",
        "[ID]",
    ),
    (r"\b\d(?:[ \-]?\d){12,18}\b", "[CARD]"),
    (r"\+\d[\d ().\-/]{6,}\d|\(?0[1-9][\d ().\-/]{5,}\d|\(?[2-9]\d{2}\)?[ .\-]\d{3}[ .\-]\d{4}", "[PHONE]"),
)


@functools.lru_cache(maxsize=1)
def _first_names() -> pa.Array:
    return pa.array(sorted(first_names()), pa.string())


#: Below this many words `redact_names` splits and looks them up in Python: RE2 compiles the Unicode classes
#: of its two patterns on every call, which is most of the time a chunk's few notes take (bench/RESULTS.md).
_FEW_WORDS = 10_000
_AFFIXES = r"^(?P<lead>[^\p{L}]*)(?P<core>.*?)(?P<trail>[^\p{L}]*)$"


def _affixes(word: str) -> tuple[str | None, str | None, str | None, bool]:
    r"""`_AFFIXES` on one word (None where RE2 finds no match: `.` does not cross a newline), and whether its
    core starts with an upper-case letter and another letter (`^\p{Lu}\p{L}`)."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]  # str.isalpha is \p{L}: Lu, Ll, Lt, Lm, Lo
    if not letters:
        return word, "", "", False
    core = word[letters[0] : letters[-1] + 1]
    if "\n" in core:
        return None, None, None, False
    capital = len(core) > 1 and unicodedata.category(core[0]) == "Lu" and core[1].isalpha()
    return word[: letters[0]], core, word[letters[-1] + 1 :], capital


def redact_names(text: pa.Array) -> pa.Array:
    """Known first names, and the capitalised word right after one (the surname), become [NAME].

    Word by word, vectorised: split on spaces, strip the punctuation around each word, look the word up in
    the first-name lists (`is_in`), then join again. (One RE2 alternation of ~7,000 names was far slower.)
    """
    words = pc.split_pattern(text, " ")
    flat = pc.list_flatten(words)
    if not len(flat):
        return text
    if len(flat) < _FEW_WORDS:  # a few notes: Python beats compiling the patterns and building is_in's table
        names = first_names()
        affixes = [_affixes(word) for word in flat.to_pylist()]
        lead, core, trail = (pa.array([a[i] for a in affixes], pa.string()) for i in range(3))
        is_name = np.fromiter((a[1] in names for a in affixes), bool, len(affixes))
        capital = np.fromiter((a[3] for a in affixes), bool, len(affixes))
    else:
        parts = pc.extract_regex(flat, _AFFIXES)
        lead, core, trail = (parts.field(n) for n in ("lead", "core", "trail"))
        is_name = np.asarray(pc.fill_null(pc.is_in(core, value_set=_first_names()), False))
        capital = np.asarray(pc.fill_null(pc.match_substring_regex(core, r"^\p{Lu}\p{L}"), False))
    parent = pc.list_parent_indices(words).to_numpy()
    same_text = np.r_[False, parent[1:] == parent[:-1]]
    surname = np.r_[False, is_name[:-1]] & same_text & capital & ~is_name
    # a name takes the trailing punctuation of its surname, and the surname word goes
    trail_after = pa.concat_arrays([trail.slice(1), pa.array([""], pa.string())])

    closing = pc.if_else(pa.array(np.r_[surname[1:], False]), trail_after, trail)
    named = pc.binary_join_element_wise(lead, "[NAME]", closing, "")
    flat = pc.if_else(pa.array(is_name), named, flat)
    keep = ~surname
    counts = np.bincount(parent[keep], minlength=len(words))
    offsets = pa.array(np.r_[0, np.cumsum(counts)].astype(np.int32))
    rebuilt = pa.ListArray.from_arrays(offsets, flat.filter(pa.array(keep)))
    joined = pc.binary_join(rebuilt, " ")
    return pc.if_else(text.is_null(), text, joined)


def redact(values: pa.Array) -> pa.Array:
    """PII spans replaced by [EMAIL], [PHONE], [CARD], [IBAN], [ID], [IP], [DEVICE-ID], names by [NAME]:
    vectorised over the distinct values (RE2 in pyarrow)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.DictionaryArray):
        values = pc.dictionary_encode(pc.cast(values, pa.string()))
    text = pc.cast(values.dictionary, pa.string())
    for pattern, label in _REDACTIONS:
        text = pc.replace_substring_regex(text, pattern=pattern, replacement=label)
    text = redact_names(text)
    return pa.DictionaryArray.from_arrays(values.indices, text)


def redact_text(value: str) -> str:
    """`redact` for one string."""
    return str(redact(pa.array([value]))[0])


def apply(values: pa.Array, policy: str, cls: str | None, key: bytes) -> pa.Array | None:
    """The column after its policy; None means the column is dropped."""
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
        return redact(values)

    raise ValueError(f"unknown policy {policy!r}")
