"""Reserved space: values set aside for documentation, testing and fiction, so no one can own them.

Born-safe generators draw only from here, and the scan recognises these values as reserved rather than
leaked. Where a country has no reserved phone range, values are masked (subscriber digits as X) instead;
`SPACES` says which, and the manifest repeats it.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable

import numpy as np

#: RFC 2606 / RFC 6761: second-level names and top-level domains reserved for examples and tests.
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
EMAIL_DOMAINS = (*RESERVED_DOMAINS, "mail.example", "shop.test", "corp.example", "post.invalid")

#: RFC 5737 (TEST-NET-1..3) and RFC 3849 (IPv6 documentation prefix).
DOC_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)

#: Card numbers issuers publish for testing (Visa, Mastercard, Amex, Discover, Diners, JCB).
TEST_CARDS = (
    "4111111111111111",
    "4012888888881881",
    "4222222222222",
    "5555555555554444",
    "5105105105105100",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "30569309025904",
    "38520000023237",
    "3530111333300000",
    "3566002020360505",
)

#: The example IBANs of the SWIFT IBAN registry (valid check digits, published as examples).
EXAMPLE_IBANS = (
    "DE89370400440532013000",
    "GB29NWBK60161331926819",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "AT611904300234573201",
    "CH9300762011623852957",
    "IE29AIBK93115212345678",
)

#: Phone ranges set aside for fiction, as E.164 digit prefixes with the number of free trailing digits.
#: US/CA: NANPA 555-0100..0199 (any area code). GB: Ofcom drama numbers. AU: ACMA fictitious ranges.
PHONE_RANGES: dict[str, tuple[tuple[str, int], ...]] = {
    "US": tuple(
        (f"1{area}55501", 2)
        for area in ("212", "312", "415", "617", "202", "305", "713", "206", "303", "404", "512", "615")
    ),
    "GB": (
        ("442079460", 3),
        ("441214960", 3),
        ("441174960", 3),
        ("441134960", 3),
        ("441614960", 3),
        ("441914980", 3),
        ("442896496", 3),
        ("442920180", 3),
        ("441632960", 3),
        ("447700900", 3),
    ),
    "AU": (("6125550", 4), ("6137010", 4), ("6175550", 4), ("6185550", 4)),
}
#: Countries without a reserved range: a national format with the subscriber digits masked.
MASKED_PHONES = {
    "DE": "+49 30 XXXX XXXX",
    "FR": "+33 1 XX XX XX XX",
    "JP": "+81 3-XXXX-XXXX",
    "ES": "+34 91 XXX XX XX",
    "IT": "+39 06 XXXX XXXX",
    "NL": "+31 20 XXX XXXX",
}
SPACES = {
    "email": "RFC 2606/6761 reserved domains (example.com/.net/.org, *.example, *.test, *.invalid)",
    "ipv4": "RFC 5737 documentation networks",
    "ipv6": "RFC 3849 documentation prefix 2001:db8::/32",
    "credit_card": "issuers' published test card numbers",
    "iban": "SWIFT IBAN registry example IBANs",
    "ssn": "US SSNs 987-65-4320..4329 (reserved for advertising)",
    "nino": "UK NINO prefix QQ (never issued)",
    "mac": "RFC 7042 documentation MAC block 00-00-5E-00-53-xx",
    "advertising_id": "UUIDs under 00000000-0000- (the all-zero 'limited tracking' prefix)",
    "phone": "fictional ranges: US 555-0100..0199, UK Ofcom drama numbers, AU ACMA; masked elsewhere",
}


def _digits(rng: np.random.Generator, k: int, size: int) -> list[str]:
    return [str(v).zfill(k) for v in rng.integers(0, 10**k, size)]


def _format_phone(country: str, digits: str) -> str:
    if country == "US":
        return f"+1 {digits[1:4]}-{digits[4:7]}-{digits[7:]}"
    if country == "GB":
        national = "0" + digits[2:]
        if national.startswith(("020", "028", "029")):
            return f"{national[:3]} {national[3:7]} {national[7:]}"
        if national.startswith("07700") or national.startswith("01632"):
            return f"{national[:5]} {national[5:]}"
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    return f"+{digits[:2]} {digits[2:3]} {digits[3:7]} {digits[7:]}"


def phone_pool(countries: tuple[str, ...], size: int, rng: np.random.Generator) -> list[str]:
    out: list[str] = []
    per = -(-size // len(countries))
    for country in countries:
        if country in MASKED_PHONES:
            out.append(MASKED_PHONES[country])
            continue
        ranges = PHONE_RANGES[country]
        picks = rng.integers(0, len(ranges), per)
        for (prefix, free), tail in zip((ranges[i] for i in picks), _digits(rng, 4, per), strict=True):
            out.append(_format_phone(country, prefix + tail[-free:]))
    return out


def _ipv4(rng: np.random.Generator, size: int) -> list[str]:
    nets = ("192.0.2", "198.51.100", "203.0.113")
    return [f"{nets[n]}.{h}" for n, h in zip(rng.integers(0, 3, size), rng.integers(1, 255, size), strict=True)]


def _ipv6(rng: np.random.Generator, size: int) -> list[str]:
    words = rng.integers(0, 0x10000, (size, 3))
    return [f"2001:db8:{a:x}::{b:x}:{c:x}" for a, b, c in words]


def _ssn(rng: np.random.Generator, size: int) -> list[str]:
    return [f"987-65-432{d}" for d in rng.integers(0, 10, size)]


def _nino(rng: np.random.Generator, size: int) -> list[str]:
    return [
        f"QQ {d[:2]} {d[2:4]} {d[4:]} {'ABCD'[s]}"
        for d, s in zip(_digits(rng, 6, size), rng.integers(0, 4, size), strict=True)
    ]


def _mac(rng: np.random.Generator, size: int) -> list[str]:
    return [f"00:00:5e:00:53:{b:02x}" for b in rng.integers(0, 256, size)]


def _advertising_id(rng: np.random.Generator, size: int) -> list[str]:
    tails = rng.integers(0, 2**48, size)
    mids = rng.integers(0, 0x1000, size)
    return [f"00000000-0000-4{m:03x}-8000-{t:012x}" for m, t in zip(mids, tails, strict=True)]


def _choose(values: tuple[str, ...]) -> Callable[[np.random.Generator, int], list[str]]:
    return lambda rng, size: [values[i] for i in rng.integers(0, len(values), size)]


#: kind -> pool builder (rng, size) -> values; `email` and `phone` are built in columns/safe.py.
SIMPLE_POOLS: dict[str, Callable[[np.random.Generator, int], list[str]]] = {
    "ipv4": _ipv4,
    "ipv6": _ipv6,
    "credit_card": _choose(TEST_CARDS),
    "iban": _choose(EXAMPLE_IBANS),
    "ssn": _ssn,
    "nino": _nino,
    "mac": _mac,
    "advertising_id": _advertising_id,
}

# -- recognising reserved values (the scan) ----------------------------------------------------------

_TEST_CARDS = frozenset(TEST_CARDS)
_IBANS = frozenset(EXAMPLE_IBANS)
_NON_DIGITS = re.compile(r"\D")


def reserved_email(value: str) -> bool:
    domain = value.rsplit("@", 1)[-1].lower().rstrip(".")
    return domain in RESERVED_DOMAINS or domain.rsplit(".", 1)[-1] in RESERVED_TLDS


def reserved_ip(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return any(address in net for net in DOC_NETWORKS if net.version == address.version)


@functools.lru_cache(maxsize=1)
def _phone_ranges() -> tuple[frozenset[tuple[str, int]], tuple[int, ...]]:
    """(prefix, total length) of every reserved range, and the prefix lengths to try."""
    ranges = frozenset((prefix, len(prefix) + free) for rs in PHONE_RANGES.values() for prefix, free in rs)
    return ranges, tuple(sorted({len(prefix) for prefix, _ in ranges}))


def reserved_phone(e164_digits: str) -> bool:
    ranges, widths = _phone_ranges()
    return any((e164_digits[:k], len(e164_digits)) in ranges for k in widths)


def reserved_card(value: str) -> bool:
    return _NON_DIGITS.sub("", value) in _TEST_CARDS


def reserved_iban(value: str) -> bool:
    return value.replace(" ", "").upper() in _IBANS


def reserved_national_id(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    return compact.startswith("QQ") or _NON_DIGITS.sub("", value).startswith("98765432")


def reserved_online_id(value: str) -> bool:
    lowered = value.lower().replace("-", ":")
    return lowered.startswith("00:00:5e:00:53") or lowered.startswith("00000000:0000:")
