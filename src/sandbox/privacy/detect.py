"""Content detectors: which PII classes a column's distinct values hold, and where inside free text.

One combined RE2 prefilter runs over the distinct values in pyarrow; only candidates reach the exact
validators (phonenumbers for phones, python-stdnum for check digits, ipaddress for IPs).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.utf8 import utf8_bytes
from sandbox.privacy import numbers, reserved, wallets
from sandbox.privacy.numbers import labelled
from sandbox.privacy.spot import Spot


@dataclass(frozen=True)
class Detector:
    cls: str
    pattern: str
    #: Confirms one matched span where it sits; returns the normalised value, or None when it is not this class.
    confirm: Callable[[Spot], str | None]
    reserved: Callable[[str], bool]
    label: str
    #: A cheaper pattern that matches wherever `pattern` does, for the vectorised prefilter: counted repetitions
    #: of several detectors in one RE2 union blow up its DFA (the IBAN's `{11,30}` beside the card's `{12,18}`
    #: made the union 4x slower than its parts, bench/RESULTS.md).
    prefilter: str | None = None
    #: The prefilter at the strict setting (redaction, and a column named for the class), when it differs.
    strict_prefilter: str | None = None
    #: When the whole match fails, try it cut back at each space or dash (`AL47... ALL CAPS`, an IBAN followed
    #: by words its pattern took in; two phones in one cell, `030 1234567 / 089 7654321`).
    shrink: bool = False


def _email(spot: Spot) -> str | None:
    return spot.span


_SPELT = re.compile(r"(?i)\s*(?:\(at\)|\[at\]|\{at\}| at )\s*|\s*(?:\(dot\)|\[dot\]|\{dot\}| dot )\s*")


def _spelt_email(spot: Spot) -> str | None:
    """`jane at example dot com`, `jane(at)example(dot)com`: the address it spells."""
    parts = _SPELT.split(spot.span)
    separators = [s.strip(" ()[]{}").lower() for s in _SPELT.findall(spot.span)]
    if separators.count("at") != 1:
        return None
    at = separators.index("at")
    return ".".join(parts[: at + 1]) + "@" + ".".join(p.strip(".") for p in parts[at + 1 :])


def _ip(spot: Spot) -> str | None:
    """An IPv4 or IPv6 address standing alone: not glued to letters or digits (`IP192.168.1.1text`, `std::cout`),
    not a version after a product token (`Chrome/126.0.0.0`), not an IPv6 head of a longer dotted run."""
    span, before, after = spot.span, spot.before(1), spot.after(2)
    glued = bool(before) and (before.isalnum() or before in ":_")
    if glued and not (":" in span and "." in span):  # `text::ffff:192.0.2.1` still holds an address
        return None
    if after[:1] and (after[:1].isalnum() or after[:1] in ":_"):
        return None
    if after[:1] == "." and after[1:2].isdigit():
        return None
    if "." in span and ":" not in span and _PRODUCT_TOKEN.search(spot.before()):
        return None
    try:
        return str(ipaddress.ip_address(span))
    except ValueError:
        return None


_PRODUCT_TOKEN = re.compile(r"[A-Za-z][\w.-]*/$")


def _mac_or_imei(spot: Spot) -> str | None:
    """A MAC address (one separator throughout, colon, dash or Cisco's dotted quads; not all-zero or broadcast)
    or a labelled 15-digit IMEI whose Luhn check holds."""
    from stdnum import imei

    span = spot.span
    if span.isdigit():
        return span if labelled(spot) and imei.is_valid(span) else None
    hexes = re.sub(r"[:\-.]", "", span).lower()
    if len(set(re.findall(r"[:\-.]", span))) != 1 or len(set(hexes)) == 1:
        return None
    return ":".join(hexes[i : i + 2] for i in range(0, 12, 2))


_WALLET_WORDS = re.compile(r"(?i)\b(?:wallet|eth|ether|ethereum|metamask|crypto|address|adresse|dirección|indirizzo)\b")


def _ethereum(spot: Spot) -> str | None:
    """`0x` and 40 hex digits: an Ethereum account when a wallet word is near or the column says so (the same
    shape is a transaction or contract hash elsewhere; the EIP-55 checksum needs Keccak, not in the stdlib)."""
    near = _WALLET_WORDS.search(spot.before(60)) or spot.hinted or spot.strict
    return spot.span.lower() if near else None


def _wallet(spot: Spot) -> str | None:
    return wallets.wallet(spot.span)


_HEX4 = "[0-9A-Fa-f]{4}"
#: Phone numbers as people write them: with a country code, a trunk 0, or grouped like a NANP or Spanish number.
_PHONE_SHAPES = (
    r"\+\d[\d ().\-/]{6,}\d|(?:00|\(0|0)[1-9][\d ().\-/]{5,}\d|"
    r"\(?[2-9]\d{2}\)? ?[.\-]?\d{3}[ .\-]\d{4}|[1-9]\d{2}[ .]\d{2,3}[ .]\d{2}[ .]\d{2}"
)
#: Stems of every phone word `Spot.phone_context` knows (a superset: `ring` also matches `string`).
_PHONE_STEMS = (
    r"tel|tél|phone|fon|mobil|móvil|movil|cell|handy|portable|fax|call|ring|whatsapp|sms|contact|kontakt|nummer|"
    r"anruf|appel|llam|chiam|number|numéro|número|numero|電話|携帯|ＴＥＬ"
)
#: National ids as written: SSN/ITIN 3-2-4 with separators, NINO, NIR, DNI/NIE, codice fiscale.
_ID_SHAPES = (
    r"\d{3}[-. ]\d{2}[-. ]\d{4}|[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]|"
    r"[12] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}|\d{7,8}-?[A-Za-z]|"
    r"[XYZxyz]-?\d{7}-?[A-Za-z]|[A-Za-z]{6}[0-9LMNP-Vlmnp-v]{2}[A-Za-z][0-9LMNP-Vlmnp-v]{2}[A-Za-z]"
    r"[0-9LMNP-Vlmnp-v]{3}[A-Za-z]"
)
#: Bare or oddly grouped digits that are ids only with a label: an SSN without dashes, a German tax id.
_ID_BARE = r"\d{9}|\d{3}-\d{6}|\d{5}-\d{4}|\d{11}"
#: Stems of every label `numbers.labelled` knows (a superset).
_ID_STEMS = (
    r"imei|idnr|id-nr|steuer|tax|ssn|itin|nir|insee|nif|nie|dni|identifi|fiscal|n°|no|number|nummer|numéro|número|"
    r"numero"
)
DETECTORS = (
    Detector(
        "email",
        r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
        _email,
        reserved.reserved_email,
        "email address",
    ),
    Detector(
        "email",
        r"[A-Za-z0-9._%+\-]+(?:\s?(?:\([Dd][Oo][Tt]\)|\[[Dd][Oo][Tt]\]| dot )\s?[A-Za-z0-9._%+\-]+)*"
        r"\s?(?:\([Aa][Tt]\)|\[[Aa][Tt]\]|\{[Aa][Tt]\}| at )\s?[A-Za-z0-9\-]+"
        r"(?:\s?(?:\([Dd][Oo][Tt]\)|\[[Dd][Oo][Tt]\]|\{[Dd][Oo][Tt]\}| dot |\.)\s?[A-Za-z0-9\-]+)*"
        r"\s?(?:\([Dd][Oo][Tt]\)|\[[Dd][Oo][Tt]\]|\{[Dd][Oo][Tt]\}| dot )\s?"
        r"(?:com|net|org|info|biz|io|eu|uk|de|fr|es|it|jp|nl|be|at|ch|us|ca|au)\b",
        _spelt_email,
        reserved.reserved_email,
        "e-mail spelt out",
    ),
    Detector(
        "iban",
        r"\b[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]){11,30}\b",
        numbers.iban,
        reserved.reserved_iban,
        "IBAN",
        prefilter=r"[A-Za-z]{2}\d{2}[ \-]?[A-Za-z0-9]{2}",
        shrink=True,
    ),
    Detector(
        "credit_card",
        r"(?:^|[^\d])(\d(?:[ \-]?\d){12,18})(?:$|[^\d])",
        numbers.card,
        reserved.reserved_card,
        "card number (Luhn)",
        shrink=True,
    ),
    Detector(
        "national_id",
        rf"(?:^|[^\w])({_ID_SHAPES}|{_ID_BARE})(?:$|[^\w])",
        numbers.national_id,
        reserved.reserved_national_id,
        "national id (check digits)",
        # bare runs of 9 or 11 digits are ids only after a label (or when strict): keys of that length are common
        # (`NO-2020-81391`, an invoice number, has the stem `no` and digits, but no bare id's shape)
        prefilter=rf"(?:^|[^\w])(?:{_ID_SHAPES})(?:$|[^\w])|"
        rf"(?i:{_ID_STEMS})[^\n]{{0,25}}[^\w](?:{_ID_BARE})(?:$|[^\w])",
        strict_prefilter=rf"(?:^|[^\w])({_ID_SHAPES}|{_ID_BARE})(?:$|[^\w])",
    ),
    Detector(
        "online_identifier",
        rf"(?:^|[^\w:.])([0-9A-Fa-f]{{2}}(?:[:\-][0-9A-Fa-f]{{2}}){{5}}|{_HEX4}\.{_HEX4}\.{_HEX4}|\d{{15}})"
        r"(?:$|[^\w:])",
        _mac_or_imei,
        reserved.reserved_online_id,
        "MAC or IMEI",
    ),
    Detector("online_identifier", wallets.PATTERN, _wallet, lambda value: False, "crypto wallet (checksum)"),
    Detector(
        "online_identifier", r"\b0x[0-9A-Fa-f]{40}\b", _ethereum, lambda value: False, "Ethereum address (context)"
    ),
    Detector(
        "ip_address",
        r"((?:\d{1,3}\.){3}\d{1,3})|((?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?)",
        _ip,
        reserved.reserved_ip,
        "IP address",
    ),
    Detector(
        "phone",
        rf"(?:^|[^\w+])({_PHONE_SHAPES}|\d{{8,12}})(?:$|[^\w])",
        numbers.phone,
        reserved.reserved_phone,
        "phone number",
        # a bare run of digits is a phone only with a phone word before it (or when strict): without the word it
        # need not reach Python (`{"event_id":10054003}` keys in every defect row did)
        prefilter=rf"(?:^|[^\w+])(?:{_PHONE_SHAPES})(?:$|[^\w])|(?i:{_PHONE_STEMS})[^\n]{{0,40}}\d{{8,12}}",
        strict_prefilter=rf"(?:^|[^\w+])({_PHONE_SHAPES}|\d{{8,12}})(?:$|[^\w])",
        shrink=True,
    ),
)
PREFILTER = "|".join(f"(?:{d.prefilter or d.pattern})" for d in DETECTORS)
STRICT_PREFILTER = "|".join(f"(?:{d.strict_prefilter or d.prefilter or d.pattern})" for d in DETECTORS)


def _prefilter_of(detector: Detector, strict: bool) -> str:
    return (detector.strict_prefilter if strict else None) or detector.prefilter or detector.pattern


#: By detector: a class may have several (MAC and IMEI, wallets are all online identifiers).
_COMPILED = {d.label: re.compile(d.pattern) for d in DETECTORS}


def _cuts(text: str, start: int, end: int) -> Iterator[int]:
    """Ends to try for a match that failed whole: before each space or dash, right to left."""
    for i in range(end - 1, start, -1):
        if text[i] in " -":
            yield i


def spans(
    text: str, only: Iterable[Detector] | None = None, hint: str | None = None, strict: bool = False
) -> Iterator[tuple[int, int, str, str, bool]]:
    """(start, end, class, normalised value, reserved) for every confirmed PII span in `text`.

    `only` limits the work to detectors whose prefilter already matched (see `active_detectors`); `hint`
    is the class the column's name suggests; `strict` counts every span that could be its class (a bare run of
    digits valid as a phone somewhere, an unlabelled tax id): for redaction and the check after it.
    """
    taken: list[tuple[int, int]] = []
    # the class the column's name suggests goes first: a French NIR is 15 digits that may also pass as a UATP card
    for detector in sorted(DETECTORS if only is None else only, key=lambda d: d.cls != hint):
        pattern, at = _COMPILED[detector.label], 0
        while (match := pattern.search(text, at)) is not None:
            group = next((g for g in range(1, (match.lastindex or 0) + 1) if match.group(g)), 0)
            start, end = match.span(group)
            at = max(match.end(), at + 1)
            if any(s < end and start < e for s, e in taken):
                continue
            ends = [end, *_cuts(text, start, end)] if detector.shrink else [end]
            for stop in ends:
                value = detector.confirm(Spot(text, start, stop, hint == detector.cls, strict))
                if value is not None:
                    taken.append((start, stop))
                    yield start, stop, detector.cls, value, detector.reserved(value)
                    at = stop  # what the match took in past the value may hold the next (`A / B`)
                    break


def active_detectors(values: pa.Array, strict: bool = False) -> list[list[Detector]]:
    """For each value, the detectors whose prefilter matches it (one vectorised RE2 pass per detector)."""
    if not len(values):
        return []
    hits = [
        pc.fill_null(pc.match_substring_regex(values, _prefilter_of(d, strict)), False).to_numpy(zero_copy_only=False)
        for d in DETECTORS
    ]
    return [[d for d, hit in zip(DETECTORS, row, strict=True) if hit] for row in zip(*hits, strict=True)]


#: A value that is only a date: ISO (with a time), dd.mm.yy(yy), mm/dd/yyyy, or `3 Feb 1998`.
_ONLY_DATE = (
    r"^\s*(?:\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})|\d{1,2} [A-Za-z]{3,9}\.? \d{4})\s*$"
)


#: A timestamp inside a text: a date with its time of day (`2025-03-05 04:47:40.198247+00:00`).
_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"


#: A value that is only an id of a known shape: a UUID, a hex digest (with at least one letter), a barcode.
_UUID = r"^\s*[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\s*$"
_HEX = r"^\s*[0-9A-Fa-f]{16,}\s*$"
_BARCODE = r"^\s*\d{12,13}\s*$"


def _codes(values: pa.Array) -> pa.Array:
    """Which values are ids of a known shape: UUIDs, hex digests, and UPC-A, EAN-13 or ISBN-13 barcodes whose
    check digit holds. Their digit runs look like phones and cards; their shape and check digits say otherwise."""
    from stdnum import ean

    def matches(pattern: str) -> pa.Array:
        return pc.fill_null(pc.match_substring_regex(values, pattern), False)

    # a lower-case IBAN of a hex-letter country (`de89 3704 ...` without spaces) is all hex digits too
    hexy = pc.and_(pc.and_(matches(_HEX), matches("[A-Fa-f]")), pc.invert(matches(r"^\s*[A-Fa-f]{2}\d{2}")))
    coded = pc.or_(matches(_UUID), hexy).to_numpy(zero_copy_only=False).copy()
    barcodes = pc.indices_nonzero(matches(_BARCODE)).to_numpy()
    for i, value in zip(barcodes.tolist(), values.take(pa.array(barcodes)).to_pylist(), strict=True):
        coded[i] = ean.is_valid(value.strip())
    return pa.array(coded)


def _colons(values: pa.Array) -> np.ndarray:
    """How many colons each string holds, counted in its UTF-8 bytes (a colon's byte is never part of another
    character): 4x a substring search per value."""
    bounds, data = utf8_bytes(values)
    if not len(data) or not len(values):
        return np.zeros(len(values), np.int64)
    at = np.flatnonzero(data[bounds[0] : bounds[-1]] == ord(":")) + bounds[0]
    return np.bincount(np.searchsorted(bounds, at, side="right") - 1, minlength=len(values))


def candidates(values: pa.Array, strict: bool = False) -> list[int]:
    """Positions of values the combined prefilter flags (vectorised, RE2).

    A value that is only a date or a timestamp holds no PII, though its digits and dashes look like a phone, and
    nor does one that is only an id of a known shape (`_codes`);
    nor do the timestamps inside a text (keys such as `{"sensor_id":7,"ts":"2025-03-05 04:47:40+00:00"}`),
    so the prefilter looks at the text without them (a space in their place keeps the digits either side
    apart; only a value with two colons can hold one).
    """
    if values.null_count == len(values):
        return []
    # the prefilter on the text without its timestamps (only values with two colons can hold one): in one pass over
    # them all when most have a colon, else over the others as they are and again over those without timestamps
    union = STRICT_PREFILTER if strict else PREFILTER
    colons = pa.array(np.flatnonzero(_colons(values) >= 2), pa.int64())  # a time of day has two
    if 2 * len(colons) > len(values):
        timeless = pc.replace_substring_regex(values, _TIMESTAMP, " ")
        hits = pc.fill_null(pc.match_substring_regex(timeless, union), False).to_numpy(zero_copy_only=False)
    else:
        hits = pc.fill_null(pc.match_substring_regex(values, union), False).to_numpy(zero_copy_only=False).copy()
        if len(colons):
            timeless = pc.replace_substring_regex(values.take(colons), _TIMESTAMP, " ")
            hits[colons.to_numpy()] = pc.fill_null(pc.match_substring_regex(timeless, union), False).to_numpy(
                zero_copy_only=False
            )
    found = pa.array(np.flatnonzero(hits), pa.int64())
    if not len(found):
        return []
    picked = values.take(found)
    only_date = pc.fill_null(pc.match_substring_regex(picked, _ONLY_DATE), False)
    keep = pc.and_(pc.invert(only_date), pc.invert(_codes(picked)))
    return found.filter(keep).to_pylist()  # the few flagged, not every value
