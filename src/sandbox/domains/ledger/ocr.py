"""What OCR makes of a printed field, as its own defect kinds: `ocr` (a burst of misread characters, 0/O, rn/m),
`ocr_word` (a garbled token), `ocr_decimal` (the decimal separator dropped or moved) and `ocr_symbol` (a currency
sign or punctuation misread). Each is one edit of one string, so a defect's truth and observed value replay it.

The rate is per OCR-read field, by scan quality (`ocr_quality`); how the errors split into kinds depends on
what the field holds (an amount has a separator and a sign to misread, a date its punctuation, text words).
"""

from __future__ import annotations

import numpy as np

from sandbox.noise import corruptions

#: OCR errors per OCR-read field, by scan quality. clean: optical scanning with verification, 0.74% of fields
#: (published data-entry studies; ../shared/ANCHORS.md); average and poor: scans of worn or faxed pages, where raw
#: OCR of receipts misreads 22-41% of key fields (SROIE, Tesseract 5): these are the records a clerk checked, so
#: most of those misreads were caught, and 2% and 4.5% remain (an assumption within the studies' range).
QUALITY = {"clean": 0.0074, "average": 0.02, "poor": 0.045}
AMOUNTS = ("net", "vat", "gross", "unit_price", "line_total")
DATES = ("issued_on", "due_on", "paid_on")
#: How a field's OCR errors split into kinds, by what the field holds (shares sum to 1).
MIX = {
    "amount": {"ocr": 0.35, "ocr_decimal": 0.25, "ocr_symbol": 0.25, "ocr_word": 0.15},
    "figure": {"ocr": 0.55, "ocr_symbol": 0.3, "ocr_word": 0.15},
    "text": {"ocr": 0.6, "ocr_word": 0.4},
    "count": {"ocr": 1.0},  # a quantity: a digit or two, nothing to garble
    "code": {"ocr_word": 1.0},  # a currency code: EUR, GBP, USD hold few of the confused glyphs
}
KINDS = ("ocr", "ocr_word", "ocr_decimal", "ocr_symbol")
#: Misread characters in one `ocr` defect: 1 plus a Poisson count, since a smudge or a bad scan line spoils
#: neighbouring characters together (an assumption; UNLV's tests count most errors as 1-3 characters).
EXTRA_MISREADS = 0.5
#: Currency signs and punctuation, and what OCR reads them as.
SYMBOLS = {
    "€": ["C", "E", "¢", "e"],
    "$": ["S", "5", "8"],
    "£": ["E", "f", "L"],
    "%": ["96", "%o", "o/o"],
    ".": [",", ":", "·"],
    ",": [".", ";"],
    "/": ["l", "1", "I"],
    "-": ["~", "_"],
}
#: What the glyphs of a garbled token come out as.
GARBLE = "il1|!.,:;'`~^-_rnmcoeau"
#: What each of those glyphs can be misread as: any other of them.
_GARBLED = {g: GARBLE.replace(g, "") for g in GARBLE}


def family(column: str) -> str:
    """Which mix of OCR kinds a column's errors follow."""
    if column in AMOUNTS:
        return "amount"
    if column in DATES or column == "vat_rate":
        return "figure"
    return {"quantity": "count", "currency": "code"}.get(column, "text")


def rate(quality: str, column: str, kind: str) -> float:
    """Share of a column's OCR-read fields with an error of `kind`."""
    return QUALITY[quality] * MIX[family(column)].get(kind, 0.0)


def misread(value: str, rng: np.random.Generator) -> str | None:
    """One or more character confusions (0/O, 1/l/I, 5/S, rn/m, ...), each at a place where one applies."""
    out: str | None = value
    for _ in range(1 + int(rng.poisson(EXTRA_MISREADS))):
        nxt = corruptions.ocr(out, rng) if out is not None else None
        if nxt is None:
            break
        out = nxt
    return out if out != value else None


def garble(value: str, rng: np.random.Generator) -> str | None:
    """A token of two or more characters with about half its glyphs (at least two) misread."""
    tokens = value.split(" ")
    long = [i for i, t in enumerate(tokens) if len(t) >= 2]
    if not long:
        return None
    i = long[corruptions.one_of(rng, len(long))]
    token = list(tokens[i])
    misread = max(2, len(token) // 2)
    # one draw for all: a random order of the glyphs, whose first ones are misread, then what each becomes
    draws = rng.random(len(token) + misread).tolist()
    places = sorted(range(len(token)), key=draws.__getitem__)[:misread]
    for at, u in zip(places, draws[len(token) :], strict=True):
        choices = _GARBLED.get(token[at], GARBLE)
        token[at] = choices[int(u * len(choices))]
    tokens[i] = "".join(token)
    return " ".join(tokens)


def shift(value: str, separator: str, right: bool) -> str | None:
    """The decimal separator one digit to the left or right (12.50 -> 1.250 or 125.0)."""
    at = value.rfind(separator)
    target = at + 2 if right else at - 1
    if at < 0 or target < 1 or target > len(value) or not value[target - 1].isdigit():
        return None
    digits = value[:at] + value[at + 1 :]
    if right:
        return digits[: target - 1] + separator + digits[target - 1 :]
    return digits[:target] + separator + digits[target:]


def decimal(value: str, separator: str, rng: np.random.Generator) -> str | None:
    """The decimal separator lost (12,50 -> 1250) or read one digit off (12,50 -> 1,250 or 125,0)."""
    at = value.rfind(separator)
    if at < 0:
        return None
    way = corruptions.one_of(rng, 3)
    moved = shift(value, separator, way == 2) if way else None
    return moved if moved is not None else value[:at] + value[at + 1 :]


def symbol(value: str, rng: np.random.Generator) -> str | None:
    """A currency sign or a punctuation mark read as something else (€ -> C, % -> 96, / -> l)."""
    places = [i for i, ch in enumerate(value) if ch in SYMBOLS]
    if not places:
        return None
    i = places[corruptions.one_of(rng, len(places))]
    options = SYMBOLS[value[i]]
    return value[:i] + options[corruptions.one_of(rng, len(options))] + value[i + 1 :]


def edit_distances(pairs: list[tuple[str, str]]) -> np.ndarray:
    """`edit_distance` of many pairs at once: the same dynamic programme, one numpy step per cell for every pair
    together (5,000 pairs of fields: 0.31 s one by one in Python, a few milliseconds here)."""
    out = np.zeros(len(pairs), dtype=np.int64)
    if not pairs:
        return out
    left, right = (_code_points([pair[k] for pair in pairs]) for k in (0, 1))
    (a, la), (b, lb) = left, right
    previous = np.broadcast_to(np.arange(b.shape[1] + 1), (len(pairs), b.shape[1] + 1)).copy()
    out[la == 0] = lb[la == 0]
    for i in range(1, a.shape[1] + 1):
        current = np.empty_like(previous)
        current[:, 0] = i
        differ = a[:, i - 1 : i] != b
        for j in range(1, b.shape[1] + 1):
            current[:, j] = np.minimum(
                np.minimum(previous[:, j], current[:, j - 1]) + 1, previous[:, j - 1] + differ[:, j - 1]
            )
        done = la == i
        out[done] = current[done, lb[done]]
        previous = current
    return out


def _code_points(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts as rows of code points (zero-padded to the longest) and their lengths."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    points = np.zeros((len(texts), int(lengths.max(initial=0))), dtype=np.uint32)
    for row, text in enumerate(texts):
        points[row, : len(text)] = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return points, lengths


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), for short fields."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
