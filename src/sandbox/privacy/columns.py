"""Each column's PII class, policy and born-safe status, from its generator, `pii:`, defaults and name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.privacy.classes import FATAL_CLASSES, classify_name, personal
from sandbox.privacy.reserved import SPACES

#: Faker providers by the class of what they return; the first set is born safe (reserved domains).
SAFE_FAKER = frozenset({"email", "safe_email", "ascii_safe_email", "safe_domain_name"})
FAKER_CLASSES = {
    "email": {
        "email",
        "safe_email",
        "ascii_safe_email",
        "free_email",
        "company_email",
        "ascii_email",
        "ascii_free_email",
        "ascii_company_email",
    },
    "phone": {"phone_number", "msisdn", "cellphone_number", "basic_phone_number"},
    "credit_card": {"credit_card_number", "credit_card_full"},
    "iban": {"iban", "bban"},
    "national_id": {"ssn", "itin", "ein", "nino", "idnr", "nir", "passport_number", "vat_id", "doc_id"},
    "ip_address": {"ipv4", "ipv6", "ipv4_public", "ipv4_private", "ipv4_network_class"},
    "online_identifier": {"mac_address", "imei", "uuid4"},
    "person_name": {
        "name",
        "first_name",
        "last_name",
        "name_male",
        "name_female",
        "first_name_male",
        "first_name_female",
        "last_name_male",
        "last_name_female",
        "name_nonbinary",
    },
    "street_address": {"address", "street_address", "street_name", "building_number"},
    "postcode": {"postcode", "zipcode", "postalcode", "zipcode_plus4"},
    "birth_date": {"date_of_birth"},
    "geo_coordinates": {"latitude", "longitude", "coordinate", "latlng", "local_latlng"},
    "user_agent": {"user_agent", "chrome", "firefox", "safari", "opera", "internet_explorer"},
}
_BY_PROVIDER = {p: cls for cls, providers in FAKER_CLASSES.items() for p in providers}
#: The born-safe generator (`safe: KIND`) to suggest for a fatal class.
SAFE_KIND = {
    "email": "email",
    "phone": "phone",
    "ip_address": "ipv4",
    "credit_card": "credit_card",
    "iban": "iban",
    "national_id": "ssn",
    "online_identifier": "mac",
}

_NEVER_PII = frozenset({"sequence", "ref", "bool"})


@dataclass(frozen=True)
class ColumnPrivacy:
    cls: str | None
    policy: str | None
    born_safe: bool
    #: Why this class: "declared", "generator" or "name".
    reason: str = ""
    space: str | None = None

    @property
    def unhandled(self) -> bool:
        return self.cls in FATAL_CLASSES and self.policy is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.cls,
            "policy": self.policy,
            "born_safe": self.born_safe,
            "reason": self.reason,
            "space": self.space,
        }


#: The PII class of each `safe` generator kind (values from reserved space, never real).
SAFE_CLASS_OF = {
    "email": "email",
    "phone": "phone",
    "ipv4": "ip_address",
    "ipv6": "ip_address",
    "credit_card": "credit_card",
    "iban": "iban",
    "ssn": "national_id",
    "nino": "national_id",
    "mac": "online_identifier",
    "advertising_id": "online_identifier",
}


def generator_class(gen: str, head: Any) -> str | None:
    if gen == "safe":
        return SAFE_CLASS_OF.get(str(head))
    if gen == "faker":
        return _BY_PROVIDER.get(str(head))
    return None


def policy_for(
    name: str, gen: str, head: Any, pii: Mapping[str, Any] | None, defaults: Mapping[str, str]
) -> ColumnPrivacy:
    """The column's class and policy; a fatal class without a policy is `unhandled` (a build stops)."""
    pii = pii or {}
    born_safe = gen == "safe" or (gen == "faker" and str(head) in SAFE_FAKER)
    by_generator = generator_class(gen, head)
    by_name = None if gen in _NEVER_PII else classify_name(name)
    if pii.get("class"):
        cls, reason = pii["class"], "declared"
    elif by_generator:
        cls, reason = by_generator, "generator"
    else:
        cls, reason = by_name, "name" if by_name else ""
    if not personal(cls):
        cls = None
    policy = pii.get("policy") or (defaults.get(cls) if cls else None)
    if policy is None and (born_safe or (cls is not None and cls not in FATAL_CLASSES)):
        policy = "keep"
    space = None
    if born_safe:
        space = SPACES.get(str(head) if gen == "safe" else "email")
    return ColumnPrivacy(cls, policy, born_safe, reason, space)


def born_safe(kind: str, cls: str) -> ColumnPrivacy:
    """A domain column drawn from reserved space (`kind` as in `safe:`), kept as it is."""
    from sandbox.privacy.reserved import SPACES

    return ColumnPrivacy(cls, "keep", True, "generator", SPACES[kind])


def advisory(cls: str) -> ColumnPrivacy:
    """A domain column in an advisory class (names, addresses, user agents), kept and reported."""
    return ColumnPrivacy(cls, "keep", False, "generator")


def redacted_text() -> ColumnPrivacy:
    """Free text that may name people or give phone numbers: PII spans are redacted."""
    return ColumnPrivacy("free_text", "redact", False, "declared")
