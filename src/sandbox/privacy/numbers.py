"""Validators for the numbers and codes that identify a person: cards, IBANs, national ids, phones.

Each takes a `Spot` and returns the value's one spelling when check digits, issuer ranges, numbering plans
and surroundings say it is one, else None. The field's libraries decide where they can: python-stdnum for
check digits (Luhn, ISO 7064, mod 97, the national ids) and phonenumbers for numbering plans.
"""

from __future__ import annotations

import re

from sandbox.privacy import reserved
from sandbox.privacy.spot import Spot

#: Regions a national-format phone (no country code) is read in.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "JP", "AU", "ES", "IT", "NL", "CA", "CN")
MIN_PHONE_DIGITS = 8

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


def card(spot: Spot) -> str | None:
    """A card number: an issuer's prefix and length, Luhn, not all one digit; not a `+49 ...` phone and not
    the digits of an IBAN-shaped run."""
    from stdnum import luhn

    digits = re.sub(r"\D", "", spot.span)
    if not (13 <= len(digits) <= 19 and _card_brand(digits) and luhn.is_valid(digits) and len(set(digits)) > 1):
        return None
    if spot.before(1) == "+" or spot.before(1).isalpha() or spot.after(1).isalpha() or spot.inside_code:
        return None  # a phone, or the digits of a code (`JJD0123...`, a parcel's tracking number)
    return digits


def iban(spot: Spot) -> str | None:
    """ISO 13616: the country's length and the mod-97 check (in any case, grouped by spaces or dashes). The
    national check digits inside some BBANs are not required: the mod-97 check already covers the number."""
    from stdnum import iban as stdnum_iban
    from stdnum.exceptions import ValidationError

    compact = re.sub(r"[ \-]", "", spot.span)
    if compact.upper() != compact and compact.lower() != compact:
        return None  # one case throughout (`LV80 bANK ...` is a typo'd or made-up string)
    compact = compact.upper()
    try:
        return stdnum_iban.validate(compact, check_country=False)
    except ValidationError:
        return None


_NINO = re.compile(r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")
_LABEL = re.compile(
    r"(?i)(?:imei|idnr|id-?nr|steuer-?\s?id|steuer-?identifikationsnummer|tax\s?id|ssn|itin|nir|insee|nif|nie|"
    r"dni|identifi\w*|codice fiscale|n[°o]\.?|number|nummer|numéro|número|numero)(?:\s+(?:is|ist|est|es|è))?\W{0,3}$"
)
#: The middle two digits of an ITIN (IRS, since 2011): 50-65, 70-88, 90-92 and 94-99.
_ITIN_GROUP = re.compile(r"^9\d{2}(?:5\d|6[0-5]|7\d|8[0-8]|9[0-24-9])\d{4}$")
_CF = re.compile(r"^[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]$")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def labelled(spot: Spot) -> bool:
    """The column's name or a label right before the span says what it is (`Steuer-ID:`, `IMEI`, `my SSN`)."""
    return spot.hinted or spot.strict or bool(_LABEL.search(spot.before(25)))


def _ssn_like(span: str, compact: str, spot: Spot) -> str | None:
    """US SSN (or ITIN for 9xx) written 3-2-4 with one separator; other groupings and bare digits need a label."""
    from stdnum.us import ssn

    separators = set(re.findall(r"\D", span))
    grouped = bool(re.fullmatch(r"\d{3}([-. ])\d{2}\1\d{4}", span))
    if not grouped and (len(separators) > 1 or not labelled(spot)):
        return None
    if compact.startswith("98765432"):
        return compact  # the documentation range (reserved)
    if compact.startswith("9"):
        return compact if _ITIN_GROUP.match(compact) else None
    return compact if ssn.is_valid(compact) else None


def _spanish(compact: str) -> str | None:
    """Spanish DNI (8 digits, 7 with a leading zero dropped) or NIE (X, Y or Z and 7 digits), with the mod-23
    check letter."""
    if re.fullmatch(r"\d{7}[A-Z]", compact):
        compact = "0" + compact
    number = compact
    if compact[:1] in "XYZ":
        number = str("XYZ".index(compact[0])) + compact[1:]
    if not re.fullmatch(r"\d{8}[A-Z]", number):
        return None
    return compact if _DNI_LETTERS[int(number[:8]) % 23] == number[8] else None


def _idnr(compact: str) -> bool:
    """German tax id: ISO 7064 mod 11,10, no leading zero, no digit more than three times in the first ten.
    (python-stdnum also wants exactly one digit repeated, which BZSt's published examples such as
    12345678903 do not meet; a labelled number is taken the looser way.)"""
    from stdnum.iso7064 import mod_11_10

    head = compact[:10]
    return compact[0] != "0" and max(head.count(d) for d in set(head)) <= 3 and mod_11_10.is_valid(compact)


def national_id(spot: Spot) -> str | None:
    """US SSN and ITIN, UK NINO, French NIR, German tax id (IdNr), Spanish DNI and NIE, Italian codice fiscale."""
    from stdnum.fr import nir
    from stdnum.it import codicefiscale

    span = spot.span.strip()
    compact = re.sub(r"[\s.\-]", "", span).upper()
    if compact.startswith("QQ") and re.fullmatch(r"QQ\d{6}[A-D]", compact):
        return compact  # the documentation NINO prefix: reserved, reported as such
    if re.fullmatch(r"\d{9}", compact):
        return _ssn_like(span, compact, spot)
    if _NINO.match(compact):
        return compact
    if len(compact) == 15 and nir.is_valid(compact):
        return compact
    if re.fullmatch(r"\d{11}", compact):
        return compact if span.isdigit() and labelled(spot) and _idnr(compact) else None
    if len(compact) == 16 and compact.isalnum():
        # the shape is specific enough to count with a mistyped check letter; omocodes (letters for digits) need it
        return compact if _CF.match(compact) or codicefiscale.is_valid(compact) else None
    return _spanish(compact) if 8 <= len(compact) <= 9 else None


_DATE_LIKE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2}")
_CODE_PREFIX = re.compile(r"([A-Za-z]+)-$")


def _continues_something(spot: Spot) -> bool:
    """`00:00:05.123412`: digits right after `N:` or `N.` continue a time or a decimal; `ORD-01000000`: digits
    right after a code's letters and a dash are the rest of the code; `BE71 0961 ...`: the rest of an IBAN."""
    text, start = spot.text, spot.start
    if start >= 2:
        before, code = text[start - 1], text[start - 2]
        if before in ":.," and code.isdigit():
            return True
        prefix = _CODE_PREFIX.search(text, 0, start) if before == "-" and not spot.hinted else None
        if prefix is not None and not spot.phone_context:
            return True
    return spot.inside_code


def _groups(text: str) -> list[int]:
    return [len(g) for g in re.findall(r"\d+", text)]


def phone(spot: Spot) -> str | None:
    """E.164 digits of a valid number, or of a reserved (fictional) one.

    With a country code (`+44 ...`, `0044 ...`) it must be valid there. Without one it must be valid in one of
    `PHONE_REGIONS` and either have a phone word nearby or the column's name, the strict setting, or be grouped
    the way that region writes its numbers (`(415) 555-0132`, `917 53 41 62`): a bare run of digits in a text
    is an order number or an id as often as a phone.
    """
    import phonenumbers

    span = spot.span
    if sum(ch.isdigit() for ch in span) < MIN_PHONE_DIGITS or _DATE_LIKE.search(span) or _continues_something(spot):
        return None
    if " / " in span or span.count("(") != span.count(")"):
        return None  # two numbers (`030 1234567 / 089 7654321`), or a bracket closed outside
    text = "+" + span.lstrip()[2:] if span.lstrip().startswith("00") else span
    international = text.lstrip().startswith("+")
    context = spot.phone_context or spot.strict
    if not (international or context) and len(_groups(span)) < 2:
        return None  # a bare run of digits with nothing to say it is a phone
    for region in ("US",) if international else PHONE_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        digits = f"{number.country_code}{number.national_number}"
        if reserved.reserved_phone(digits):
            return digits  # fictional ranges are often not "valid" (never allocated): reserved either way
        if not phonenumbers.is_valid_number(number):
            continue
        if international or context:
            return digits
        written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        if len(_groups(span)) > 1 and _groups(span) == _groups(written):
            return digits
    return None
