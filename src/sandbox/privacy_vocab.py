"""The PII classes and column policies recipes may name (the privacy stage gives them effect)."""

FATAL_CLASSES = ("email", "phone", "credit_card", "iban", "national_id", "ip_address", "online_identifier")
ADVISORY_CLASSES = (
    "person_name",
    "street_address",
    "postcode",
    "birth_date",
    "geo_coordinates",
    "user_agent",
    "free_text",
)
PII_CLASSES = (*FATAL_CLASSES, *ADVISORY_CLASSES, "none")
POLICIES = ("keep", "drop", "pseudonymise", "mask", "fake", "generalise", "redact")
