"""One spelling per value before a keyed token or a fake is made from it, so two spellings of one e-mail address,
phone number or IBAN get the same token and joins across tables survive.

- email: no surrounding spaces or `mailto:`, lower case (providers treat addresses case-insensitively);
- phone: E.164 digits (country code and national number) when it parses as a valid number, else its digits;
- iban, national_id: upper case without spaces or dashes; credit_card: its digits;
- ip_address: the address as `ipaddress` writes it; a MAC address: lower case, colon-separated (other online
  identifiers, such as wallet addresses, are case-sensitive and taken as they are).

Other classes are taken as they are: a name spelt two ways may be two people.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from sandbox.privacy.numbers import PHONE_REGIONS

_SEPARATORS = re.compile(r"[\s\-./]")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(?:[:\-.][0-9A-Fa-f]{2}){5}$")


def canonical(cls: str | None, value: str) -> str:
    """The one spelling of `value` for its class."""
    if cls == "email":
        text = value.strip()
        return (text[7:] if text.lower().startswith("mailto:") else text).strip().lower()
    if cls == "phone":
        return _phone(value)
    if cls in ("iban", "national_id"):
        return _SEPARATORS.sub("", value).upper()
    if cls == "credit_card":
        digits = "".join(ch for ch in value if ch.isdigit())
        return digits or value
    if cls == "ip_address":
        try:
            return ipaddress.ip_address(value.strip()).compressed
        except ValueError:
            return value
    if cls == "online_identifier" and _MAC.match(value.strip()):
        return _SEPARATORS.sub(":", value.strip().lower())
    return value


@functools.lru_cache(maxsize=1 << 17)
def _phone(value: str) -> str:
    """Cached: an export's phones recur in every batch (a customer's number on each of their orders), and
    parsing one costs ~60 us (bench/RESULTS.md, 2026-12-03)."""
    import phonenumbers

    text = value.strip()
    text = text[4:] if text.lower().startswith("tel:") else text
    regions = ("US",) if text.startswith(("+", "00")) else PHONE_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return f"+{number.country_code}{number.national_number}"
    digits = "".join(ch for ch in text if ch.isdigit())
    return ("+" if text.startswith("+") else "") + digits if digits else value
