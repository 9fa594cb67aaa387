"""Where a candidate span sits: its text, its surroundings, and how strictly to judge it.

Detectors decide on a `Spot`, not on the span alone: `Chrome/126.0.0.0` is a version, the digits inside
`DE89 3704 0044 0532` are the rest of an IBAN, and a bare run of digits is a phone only when a word nearby,
the column's name or its formatting says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Words right before a number that make it a phone: `Tel.`, `mobile:`, `Handy`, `電話`, `call me on`.
_PHONE_WORDS = (
    r"tel|tél|tele?fono?|telefon\w*|téléphone|phone|fon|mobil\w*|mobile|móvil|movil|cell\w*|handy|portable|"
    r"fax|call|ring|whatsapp|sms|contact|kontakt|rufnummer|anrufen|appel\w*|llama\w*|chiama\w*"
)
_PHONE_CONTEXT = re.compile(
    rf"(?i)(?:\b(?:{_PHONE_WORDS})\b|電話|携帯|ＴＥＬ|tel:)[^\n]{{0,25}}$"
    r"|\b(?:my|our|your|his|her|meine?|mon|ma|mi|mio|mia)\b[^.\n]{0,20}"
    r"\b(?:number|nummer|numéro|número|numero)\b(?:\s*(?:is|ist|est|es|è|=))?\W{0,5}$"
)
#: An IBAN-shaped run: a country, two check digits, then groups of letters and digits.
_IBAN_RUN = re.compile(r"(?i)\b[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]{1,4}){2,9}")


@dataclass(frozen=True)
class Spot:
    text: str
    start: int
    end: int
    #: The column's name suggests the detector's class (`phone`, `steuer_id`).
    hinted: bool = False
    #: After redaction, and for redaction itself: every span that could be this class counts.
    strict: bool = False

    @property
    def span(self) -> str:
        return self.text[self.start : self.end]

    def before(self, chars: int = 40) -> str:
        return self.text[max(0, self.start - chars) : self.start]

    def after(self, chars: int = 1) -> str:
        return self.text[self.end : self.end + chars]

    @property
    def phone_context(self) -> bool:
        """A phone word before the span (or the column's name) says it is a phone."""
        return self.hinted or bool(_PHONE_CONTEXT.search(self.before()))

    @property
    def inside_code(self) -> bool:
        """The span continues an IBAN-shaped run that starts before it (`BE71 0961 2345 6760`): its digits are
        the rest of an account number, wrong check digits or not, not a phone or a card of their own."""
        for run in _IBAN_RUN.finditer(self.text, max(0, self.start - 40), self.end):
            if run.start() < self.start < run.end():
                return True
        return False
