"""PII classes, column policies, and classification of a column by the tokens of its name."""

from __future__ import annotations

import functools
import re

FATAL_CLASSES = ("email", "phone", "credit_card", "iban", "national_id", "ip_address", "online_identifier")
ADVISORY_CLASSES = (
    "person_name",
    "street_address",
    "postcode",
    "birth_date",
    "geo_coordinates",
    "user_agent",
    "free_text",
    "location",
)
#: Advisory classes that identify a person: a policy that keeps such a column as it is must say why (`allow:`).
IDENTIFYING_CLASSES = ("person_name", "street_address", "postcode", "birth_date", "geo_coordinates", "free_text")
#: What a policy or a draft writes for a column that holds no personal data.
NO_CLASS = "none"
PII_CLASSES = (*FATAL_CLASSES, *ADVISORY_CLASSES, NO_CLASS)


def personal(cls: str | None) -> bool:
    """Whether a recorded class means personal data (`none`, the draft's word for clean columns, does not)."""
    return bool(cls) and cls != NO_CLASS


POLICIES = ("keep", "drop", "pseudonymise", "mask", "fake", "generalise", "redact")

#: Name tokens (and token pairs) per class, in several languages. Order matters: first match wins.
_NAME_TOKENS: tuple[tuple[str, frozenset[str]], ...] = (
    ("email", frozenset({"email", "e mail", "mail", "courriel", "correo", "emailaddress", "mailadresse"})),
    (
        "phone",
        frozenset(
            {
                "phone",
                "telephone",
                "tel",
                "telefon",
                "telefono",
                "téléphone",
                "mobile",
                "mobil",
                "handy",
                "cell",
                "cellphone",
                "fax",
                "msisdn",
                "portable",
                "movil",
                "móvil",
                "denwa",
            }
        ),
    ),
    (
        "credit_card",
        frozenset(
            {
                "card number",
                "credit card",
                "cc number",
                "pan",
                "creditcard",
                "kreditkarte",
                "carte bancaire",
                "tarjeta",
                "cardnumber",
            }
        ),
    ),
    ("iban", frozenset({"iban", "bank account", "account number", "kontonummer", "bic iban"})),
    (
        "national_id",
        frozenset(
            {
                "ssn",
                "social security",
                "nino",
                "national insurance",
                "national id",
                "nir",
                "insee",
                "steuer id",
                "steuerid",
                "sozialversicherungsnummer",
                "dni",
                "nif",
                "nie",
                "passport",
                "tax id",
                "personalausweis",
                "my number",
                "mynumber",
            }
        ),
    ),
    ("ip_address", frozenset({"ip", "ip address", "ipv4", "ipv6", "ipaddr", "ipaddress", "remote addr"})),
    (
        "online_identifier",
        frozenset(
            {
                "mac",
                "mac address",
                "imei",
                "idfa",
                "gaid",
                "aaid",
                "advertising id",
                "ad id",
                "cookie",
                "cookie id",
                "device fingerprint",
            }
        ),
    ),
    (
        "birth_date",
        frozenset(
            {
                "birth",
                "birthday",
                "dob",
                "birth date",
                "date of birth",
                "birthdate",
                "geburtsdatum",
                "geburtstag",
                "date naissance",
                "naissance",
                "fecha nacimiento",
            }
        ),
    ),
    (
        "postcode",
        frozenset(
            {"zip", "zipcode", "postcode", "postal code", "plz", "postleitzahl", "code postal", "codigo postal", "cp"}
        ),
    ),
    (
        "street_address",
        frozenset({"address", "street", "adresse", "strasse", "straße", "rue", "calle", "direccion", "anschrift"}),
    ),
    ("geo_coordinates", frozenset({"lat", "lon", "lng", "latitude", "longitude", "geo", "coordinates", "gps"})),
    ("user_agent", frozenset({"user agent", "useragent", "ua"})),
    (
        "free_text",
        frozenset(
            {
                "note",
                "notes",
                "comment",
                "comments",
                "remark",
                "remarks",
                "message",
                "text",
                "bemerkung",
                "kommentar",
                "commentaire",
                "nachricht",
                "description",
                "entry",
                "memo",
            }
        ),
    ),
    (
        "person_name",
        frozenset(
            {
                "name",
                "first name",
                "last name",
                "surname",
                "firstname",
                "lastname",
                "full name",
                "fullname",
                "vorname",
                "nachname",
                "nom",
                "prenom",
                "prénom",
                "nombre",
                "apellido",
                "contact",
                "author",
                "technician",
                "customer name",
                "given name",
                "family name",
            }
        ),
    ),
)
#: Names that contain a token above but are not about a person (`product_name`, `file_name`...).
_NOT_PERSONAL = frozenset(
    {
        "product",
        "file",
        "host",
        "site",
        "brand",
        "category",
        "company",
        "city",
        "country",
        "table",
        "column",
        "event",
        "page",
        "domain",
        "model",
        "vendor",
        "kind",
        "type",
        "status",
        "street name",
        "supplier",
        "sku",
        "title",
        "job",
    }
)
#: Words that make coordinates a business's place (a warehouse, a store), not a person's.
_PLACES = frozenset(
    {"warehouse", "store", "shop", "depot", "branch", "plant", "factory", "office", "site", "hub", "station"}
)
_SPLIT = re.compile(r"[_\-\s./]+|(?<=[a-z0-9])(?=[A-Z])")


def name_tokens(name: str) -> list[str]:
    """`customerEmail_2` -> ['customer', 'email', '2']: split on _, -, spaces, dots and camelCase."""
    return [t.lower() for t in _SPLIT.split(name) if t]


#: Last words of a column name that make it a time (a column of dates is never a name).
_TIME_WORDS = frozenset({"date", "time", "at", "on", "ts", "timestamp", "day", "month", "year", "datetime"})


@functools.lru_cache(maxsize=4096)
def classify_name(name: str) -> str | None:
    """The PII class a column name suggests, or None (cached: every chunk's scan asks for every column)."""
    tokens = name_tokens(name)
    if (
        tokens
        and tokens[-1] in ("id", "key", "no", "nr", "number")
        and tokens[0] in ("device", "customer", "order", "user")
    ):
        return None  # row-index keys (customer_id, device_id) are not PII
    grams = set(tokens) | {" ".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)}
    grams |= {" ".join(tokens[i : i + 3]) for i in range(len(tokens) - 2)}
    for cls, words in _NAME_TOKENS:
        if grams & words:
            if cls in ("person_name", "free_text") and grams & _NOT_PERSONAL:
                return None
            if cls == "geo_coordinates" and grams & _PLACES:
                return None  # warehouse_lat, store_lon: where a business is, not a person
            if cls == "person_name" and tokens[-1] in _TIME_WORDS:
                return None  # last_contact_date, first_order_at: a time, not a name
            return cls
    return None


def is_fatal(cls: str | None) -> bool:
    return cls in FATAL_CLASSES
