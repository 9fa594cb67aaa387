"""Content detectors: which PII classes a column's distinct values hold, and where inside free text.

One combined RE2 prefilter runs over the distinct values in pyarrow; only candidates reach the exact
validators (phonenumbers for phones, python-stdnum for check digits, ipaddress for IPs).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.privacy import reserved, wallets

PHONE_REGIONS = ("US", "GB", "DE", "FR", "JP", "AU", "ES", "IT", "NL", "CA")


@dataclass(frozen=True)
class Detector:
    cls: str
    pattern: str
    #: Confirms one matched span; returns the normalised value, or None when it is not this class.
    confirm: Callable[[str], str | None]
    reserved: Callable[[str], bool]
    label: str
    #: Rejects a match by its surroundings (text, start, end, hinted), e.g. a version number that looks like
    #: an IP; `hinted` is true when the column's name suggests this class.
    context: Callable[[str, int, int, bool], bool] | None = None


def _email(span: str) -> str | None:
    return span


def _luhn_ok(digits: str) -> bool:
    from stdnum import luhn

    return luhn.is_valid(digits)


#: Card brands by issuer prefix (a range over the first digits) and the lengths they issue: Visa, Mastercard,
#: American Express, Discover, JCB, Diners, UnionPay, Maestro, UATP. A Luhn-valid number outside these is
#: a tracking number, an account or an id: one random digit string in ten passes Luhn.
_BRANDS = (
    (1, 4, 4, (13, 16, 19)),
    (2, 51, 55, (16,)),
    (4, 2221, 2720, (16,)),
    (2, 34, 34, (15,)),
    (2, 37, 37, (15,)),
    (4, 6011, 6011, (16, 17, 18, 19)),
    (3, 644, 649, (16, 17, 18, 19)),
    (2, 65, 65, (16, 17, 18, 19)),
    (4, 3528, 3589, (16, 17, 18, 19)),
    (3, 300, 305, (14, 15, 16, 17, 18, 19)),
    (2, 36, 36, (14, 15, 16, 17, 18, 19)),
    (2, 38, 39, (14, 15, 16, 17, 18, 19)),
    (2, 62, 62, (16, 17, 18, 19)),
    (2, 50, 50, (13, 14, 15, 16, 17, 18, 19)),
    (2, 56, 69, (13, 14, 15, 16, 17, 18, 19)),
    (1, 1, 1, (15,)),
)


def _card_brand(digits: str) -> bool:
    return any(lo <= int(digits[:k]) <= hi and len(digits) in lengths for k, lo, hi, lengths in _BRANDS)


def _card(span: str) -> str | None:
    digits = re.sub(r"\D", "", span)
    if 13 <= len(digits) <= 19 and _card_brand(digits) and _luhn_ok(digits) and len(set(digits)) > 1:
        return digits
    return None


def _iban(span: str) -> str | None:
    from stdnum import iban

    compact = span.replace(" ", "").upper()
    return compact if iban.is_valid(compact) else None


def _ip(span: str) -> str | None:
    try:
        return str(ipaddress.ip_address(span))
    except ValueError:
        return None


_NINO = re.compile(r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")


def _national_id(span: str) -> str | None:
    from stdnum.de import idnr
    from stdnum.fr import nir
    from stdnum.us import ssn

    compact = re.sub(r"[\s-]", "", span).upper()
    if compact.startswith("QQ") and re.fullmatch(r"QQ\d{6}[A-D]", compact):
        return compact  # the documentation NINO prefix: reserved, reported as such
    if re.fullmatch(r"\d{3}-\d{2}-\d{4}", span.strip()):
        return compact if ssn.is_valid(compact) or compact.startswith("98765432") else None
    if _NINO.match(compact):
        return compact
    if len(compact) == 15 and nir.is_valid(compact):
        return compact
    if len(compact) == 11 and compact.isdigit() and idnr.is_valid(compact):
        return compact
    return None


_PRODUCT_TOKEN = re.compile(r"[A-Za-z][\w.-]*/$")


def _version_number(text: str, start: int, end: int, hinted: bool) -> bool:
    """`Chrome/126.0.0.0`: a dotted quad right after a product token is a version, not an address."""
    return bool(_PRODUCT_TOKEN.search(text[max(0, start - 40) : start]))


_LABEL = re.compile(
    r"(?i)(?:imei|idnr|id-?nr|steuer-?\s?id|tax\s?id|ssn|nir|insee|identifi\w*|n[°o]\.?|number|"
    r"nummer|numéro|numero)\W{0,3}$"
)


_CODE_PREFIX = re.compile(r"([A-Za-z]+)-$")
#: Words that, before a dash, label a phone number rather than name a code (`Tel-030 1234567`).
_PHONE_WORDS = frozenset({"tel", "phone", "fon", "telefon", "mobil", "mobile", "mob", "handy", "cell", "fax"})


def _not_a_phone(text: str, start: int, end: int, hinted: bool) -> bool:
    """`00:00:05.123412`: digits right after `N:` or `N.` continue a time or a decimal; `ORD-01000000`: digits
    right after a code's letters and a dash are the rest of the code (an order or invoice number)."""
    if start < 2:
        return False
    before, code = text[start - 1], text[start - 2]
    if before in ":.,":
        return code.isdigit()
    prefix = _CODE_PREFIX.search(text, 0, start) if before == "-" and not hinted else None
    return prefix is not None and prefix.group(1).lower() not in _PHONE_WORDS


def _bare_digits_need_a_hint(text: str, start: int, end: int, hinted: bool) -> bool:
    """A bare run of 11 or 15 digits (German tax id, French NIR, IMEI) is PII only when the column's name or a
    label right before it says so: random ids of that length pass those check digits one time in ten."""
    span = text[start:end]
    if not span.isdigit() or hinted:
        return False
    return not _LABEL.search(text[max(0, start - 25) : start])


def _online_id(span: str) -> str | None:
    from stdnum import imei

    if ":" in span or "-" in span:
        return span.lower()  # a MAC address
    return span if imei.is_valid(span) else None


_DATE_LIKE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2}")
MIN_PHONE_DIGITS = 8


def _phone(span: str) -> str | None:
    """E.164 digits of a valid number; a national number read as reserved in any region counts as reserved."""
    import phonenumbers

    if sum(ch.isdigit() for ch in span) < MIN_PHONE_DIGITS or _DATE_LIKE.search(span):
        return None
    found = None
    regions = ("US",) if span.lstrip().startswith("+") else PHONE_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(span, region)
        except phonenumbers.NumberParseException:
            continue
        digits = f"{number.country_code}{number.national_number}"
        if reserved.reserved_phone(digits):
            return digits  # fictional ranges are often not "valid" (never allocated): reserved either way
        if phonenumbers.is_valid_number(number):
            found = found or digits
    return found


DETECTORS = (
    Detector(
        "email",
        r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
        _email,
        reserved.reserved_email,
        "email address",
    ),
    Detector("iban", r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", _iban, reserved.reserved_iban, "IBAN"),
    Detector(
        "credit_card",
        r"(?:^|[^\d])(\d(?:[ \-]?\d){12,18})(?:$|[^\d])",
        _card,
        reserved.reserved_card,
        "card number (Luhn)",
    ),
    Detector(
        "national_id",
        r"(?:^|[^\w])(\d{3}-\d{2}-\d{4}|[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]|"
        r"[12] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}|\d{11})(?:$|[^\w])",
        _national_id,
        reserved.reserved_national_id,
        "national id (check digits)",
        _bare_digits_need_a_hint,
    ),
    Detector(
        "online_identifier",
        r"(?:^|[^\w:])([0-9A-Fa-f]{2}(?:[:\-][0-9A-Fa-f]{2}){5}|\d{15})(?:$|[^\w:])",
        _online_id,
        reserved.reserved_online_id,
        "MAC or IMEI",
        _bare_digits_need_a_hint,
    ),
    Detector("online_identifier", wallets.PATTERN, wallets.wallet, lambda value: False, "crypto wallet (checksum)"),
    Detector(
        "ip_address",
        r"(?:^|[^\d.])((?:\d{1,3}\.){3}\d{1,3})(?:$|[^\d.])|"
        r"((?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|"
        r"(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{0,4}::(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{0,4})",
        _ip,
        reserved.reserved_ip,
        "IP address",
        _version_number,
    ),
    Detector(
        "phone",
        r"(?:^|[^\w+])(\+\d[\d ().\-/]{6,}\d|\(?0[1-9][\d ().\-/]{5,}\d|"
        r"\(?[2-9]\d{2}\)?[ .\-]\d{3}[ .\-]\d{4})(?:$|[^\w])",
        _phone,
        reserved.reserved_phone,
        "phone number",
        _not_a_phone,
    ),
)
PREFILTER = "|".join(f"(?:{d.pattern})" for d in DETECTORS)
#: By detector: a class may have several (MAC and IMEI, wallets are all online identifiers).
_COMPILED = {d.label: re.compile(d.pattern) for d in DETECTORS}


def spans(
    text: str, only: Iterable[Detector] | None = None, hint: str | None = None
) -> Iterator[tuple[int, int, str, str, bool]]:
    """(start, end, class, normalised value, reserved) for every confirmed PII span in `text`.

    `only` limits the work to detectors whose prefilter already matched (see `active_detectors`); `hint`
    is the class the column's name suggests.
    """
    taken: list[tuple[int, int]] = []
    for detector in DETECTORS if only is None else only:
        for match in _COMPILED[detector.label].finditer(text):
            group = next((g for g in range(1, (match.lastindex or 0) + 1) if match.group(g)), 0)
            start, end = match.span(group)
            if any(s < end and start < e for s, e in taken):
                continue
            if detector.context and detector.context(text, start, end, hint == detector.cls):
                continue

            value = detector.confirm(match.group(group))
            if value is not None:
                taken.append((start, end))
                yield start, end, detector.cls, value, detector.reserved(value)


def active_detectors(values: pa.Array) -> list[list[Detector]]:
    """For each value, the detectors whose pattern matches it (one vectorised RE2 pass per detector)."""
    if not len(values):
        return []
    hits = [
        pc.fill_null(pc.match_substring_regex(values, d.pattern), False).to_numpy(zero_copy_only=False)
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

    hexy = pc.and_(matches(_HEX), matches("[A-Fa-f]"))
    coded = pc.or_(matches(_UUID), hexy).to_numpy(zero_copy_only=False).copy()
    barcodes = pc.indices_nonzero(matches(_BARCODE)).to_numpy()
    for i, value in zip(barcodes.tolist(), values.take(pa.array(barcodes)).to_pylist(), strict=True):
        coded[i] = ean.is_valid(value.strip())
    return pa.array(coded)


def candidates(values: pa.Array) -> list[int]:
    """Positions of values the combined prefilter flags (vectorised, RE2).

    A value that is only a date or a timestamp holds no PII, though its digits and dashes look like a phone, and
    nor does one that is only an id of a known shape (`_codes`);
    nor do the timestamps inside a text (keys such as `{"sensor_id":7,"ts":"2025-03-05 04:47:40+00:00"}`),
    so the prefilter looks at the text without them (a space in their place keeps the digits either side
    apart).
    """
    if values.null_count == len(values):
        return []
    timeless = pc.replace_substring_regex(values, _TIMESTAMP, " ")
    hit = pc.fill_null(pc.match_substring_regex(timeless, PREFILTER), False)
    dated = pc.fill_null(pc.match_substring_regex(values, _ONLY_DATE), False)
    found = pc.indices_nonzero(pc.and_(hit, pc.invert(dated)))
    if not len(found):
        return []
    return found.filter(pc.invert(_codes(values.take(found)))).to_pylist()  # the few flagged, not every value


@functools.lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """First names of several locales (from Faker's lists), for advisory name detection and redaction."""
    import importlib

    names: set[str] = set()
    for locale in ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR"):
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            value = getattr(provider, attr, ())
            names.update(value.keys() if isinstance(value, dict) else value)
    return frozenset(n for n in names if len(n) > 2)
