"""`redact`: personal data inside free text replaced by labels, and the check that nothing is left.

Four passes over a column's distinct values:
1. RE2 patterns over the whole array (fast, unconfirmed: they err toward removing);
2. the detectors at the strict setting on the values the prefilter still flags (a bare run of digits valid as
   a phone in some region, an unlabelled tax id, a wallet, an e-mail spelt out);
3. street addresses in en/de/fr/es/it forms and Japanese addresses written without spaces;
4. names (sandbox.privacy.names).
`leftovers` runs the strict detectors again over the result: a redacted column must hold nothing they find.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.chunks import whole
from sandbox.privacy.detect import STRICT_PREFILTER, active_detectors, spans
from sandbox.privacy.names import redact_names
from sandbox.privacy.rewrite import replace_matches

#: What the first pass replaces, in order, as RE2 patterns over whole arrays.
_PATTERNS = (
    (r"(?i)mailto:", ""),
    (r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", "[EMAIL]"),
    (r"\b[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]){11,30}\b|\b[a-z]{2}\d{2}(?:[ \-]?[a-z0-9]){11,30}\b", "[IBAN]"),
    (r"\b[0-9A-Fa-f]{2}(?:[:\-][0-9A-Fa-f]{2}){5}\b|\b[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\b", "[DEVICE-ID]"),
    (r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:?){0,6}", "[IP]"),
    (r"\b(?:\d{1,3}\.){3}\d{1,3}\b", "[IP]"),
    (
        r"\b\d{3}[-. ]\d{2}[-. ]\d{4}\b|\b[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]\b"
        r"|\b[12] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}\b"
        r"|\b[XYZxyz]-?\d{7}-?[A-Za-z]\b|\b\d{8}-?[A-Za-z]\b"
        r"|\b[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z]\b",
        "[ID]",
    ),
    (r"\b\d(?:[ \-]?\d){12,18}\b", "[CARD]"),
    (r"\+\d[\d ().\-/]{6,}\d|\(?0[1-9][\d ().\-/]{5,}\d|\(?[2-9]\d{2}\)?[ .\-]?\d{3}[ .\-]\d{4}", "[PHONE]"),
)
LABELS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "credit_card": "[CARD]",
    "iban": "[IBAN]",
    "national_id": "[ID]",
    "ip_address": "[IP]",
    "online_identifier": "[DEVICE-ID]",
}
_STREET_EN = (
    r"Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|Terrace|Close|Crescent|"
    r"Square|Parkway|Pkwy|Highway|Hwy"
)
_KANJI_NUMBER = r"[0-9０-９一二三四五六七八九十]+"
#: Street addresses by form, as RE2 patterns (each replaced by [ADDRESS]).
ADDRESSES = (
    rf"\b\d{{1,5}}[A-Za-z]?\s+(?:\p{{Lu}}[\p{{L}}'.-]*\s+){{1,4}}(?:{_STREET_EN})\b\.?"
    r"(?:,?\s*(?:Apt|Suite|Unit|#)\.?\s*[\w-]+)?",
    r"\b(?:\p{Lu}[\p{L}-]*\s)?\p{Lu}?[\p{L}-]*(?i:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|chaussee)"
    r"\s?\d{1,4}\s?[a-zA-Z]?\b",
    r"\b(?:Am|An der|Im|Auf dem|Zum|Zur|In der)\s+\p{Lu}[\p{L}-]+\s+\d{1,4}[a-z]?\b",
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route|cours)"
    r"\s[^,.;\n\d]{1,40}",
    r"(?i:\b(?:calle|c/|avenida|avda\.?|av\.|plaza|pza\.|paseo|camino|carretera|ronda|travesía|via|viale|piazza|"
    r"piazzale|corso|largo|vicolo|strada|contrada))\s*[^,.;\n\d]{1,40},?\s*(?:n[ºo°]\.?\s*)?\d{1,4}"
    r"(?:\s*[ºª°]?\s*\d{0,2}[A-Za-z]?)?",
)
#: Japanese addresses written without spaces: each needs a kanji (市区町村郡) or 〒, so only text beyond ASCII is
#: searched.
JAPANESE_ADDRESSES = (
    rf"(?:〒\s?\d{{3}}-?\d{{4}}\s?)?(?:東京都|北海道|(?:京都|大阪)府|\p{{Han}}{{2,3}}県)?[\p{{Han}}\p{{Hiragana}}\p{{Katakana}}ー]{{1,8}}"
    rf"[市区町村郡][\p{{Han}}\p{{Hiragana}}\p{{Katakana}}ー]{{0,10}}{_KANJI_NUMBER}(?:丁目|-|－|ー)"
    rf"[0-9０-９]+(?:番地?|-|－)?[0-9０-９]*号?",
    r"〒\s?\d{3}-?\d{4}",
)


def _strict(text: pa.Array) -> pa.Array:
    """Every span the detectors find at the strict setting, replaced by its class's label."""
    flagged = pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(text, STRICT_PREFILTER), False))
    if not len(flagged):
        return text
    values = text.to_pylist()
    picked = text.take(flagged)
    for position, value, active in zip(
        flagged.to_pylist(), picked.to_pylist(), active_detectors(picked, strict=True), strict=True
    ):
        found = sorted(spans(value, active, strict=True), reverse=True)
        for start, end, cls, _value, _reserved in found:
            value = value[:start] + LABELS[cls] + value[end:]
        values[position] = value
    return pa.array(values, pa.string())


#: Any of the first pass's patterns: one pass finds the values any of them matches (a pass each cost 4x).
_ANY_PATTERN = "|".join(f"(?:{pattern})" for pattern, _ in _PATTERNS)


def _patterns(text: pa.Array) -> pa.Array:
    """The first pass: each pattern in turn over the values one of them matches. The others stay as they are: no
    pattern matches them, and none changes them for the next one."""
    hit = pc.fill_null(pc.match_substring_regex(text, _ANY_PATTERN), False)
    if not pc.any(hit).as_py():
        return text
    matched = text.filter(hit)
    for pattern, label in _PATTERNS:
        matched = replace_matches(matched, pattern, label)
    return pc.replace_with_mask(text, hit, matched)


def redact_array(text: pa.Array, names: frozenset[str] = frozenset()) -> pa.Array:
    """The four passes over an array of strings; `names` are more names to look for (lower-cased)."""
    text = _patterns(text)
    text = _strict(text)
    for pattern in ADDRESSES:
        text = replace_matches(text, pattern, "[ADDRESS]")
    for pattern in JAPANESE_ADDRESSES:
        text = replace_matches(text, pattern, "[ADDRESS]", wide=True)
    return redact_names(text, names)


def redact(values: pa.Array, names: frozenset[str] = frozenset()) -> pa.Array:
    """PII spans replaced by [EMAIL], [PHONE], [CARD], [IBAN], [ID], [IP], [DEVICE-ID], [ADDRESS] and [NAME],
    once per distinct value; the result is dictionary-encoded."""
    values = whole(values)
    if not isinstance(values, pa.DictionaryArray):
        values = pc.dictionary_encode(pc.cast(values, pa.string()))
    return pa.DictionaryArray.from_arrays(values.indices, redact_array(pc.cast(values.dictionary, pa.string()), names))


def redact_text(value: str) -> str:
    """`redact` for one string."""
    return str(redact(pa.array([value]))[0])


def leftovers(values: pa.Array | pa.ChunkedArray) -> dict[str, int]:
    """Distinct values per class in which the strict detectors still find something (after `redact`: none)."""
    values = whole(values)
    if isinstance(values, pa.DictionaryArray):
        values = values.dictionary
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return {}
    distinct = pc.unique(pc.drop_null(values))
    flagged = pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(distinct, STRICT_PREFILTER), False))
    out: dict[str, int] = {}
    picked = distinct.take(flagged)
    for value, active in zip(picked.to_pylist(), active_detectors(picked, strict=True), strict=True):
        for cls in {cls for _s, _e, cls, _v, _r in spans(value, active, strict=True)}:
            out[cls] = out.get(cls, 0) + 1
    return out
