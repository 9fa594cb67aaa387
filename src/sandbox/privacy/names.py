"""Person names: the per-locale name lists, and their redaction inside free text.

Lists are Faker's first and last names of all its locales, looked up without case, and the names in the
table's own person-name columns (a note names the customer its row names); forms
catch names the lists miss: a title before a capitalised word (`Frau Okonkwo`, `M. Dubois`, `Sr. Ibarra`),
`Last, First`, a known last name after a capitalised word, and a Japanese name before an honorific (`様`).
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.privacy.rewrite import replace_matches


def _locales() -> tuple[str, ...]:
    """Every locale Faker has person names for (86 in Faker 3x): an export's names come from anywhere."""
    import pkgutil

    import faker.providers.person as person

    return tuple(sorted(m.name for m in pkgutil.iter_modules(person.__path__)))


def _take(value: object) -> list[str]:
    if isinstance(value, dict):
        return list(value)
    return list(value) if isinstance(value, list | tuple | set | frozenset) else []


def _names(attrs: tuple[str, ...], locales: tuple[str, ...] | None = None) -> set[str]:
    names: set[str] = set()
    for locale in _locales() if locales is None else locales:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attr in attrs:
            names.update(_take(getattr(provider, attr, ())))
    return names


@functools.lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """First names of every Faker locale (~31,000), for advisory name detection and redaction."""
    names = _names(("first_names", "first_names_male", "first_names_female"))
    return frozenset(n for n in names if len(n) > 2 and n.isalpha())


@functools.lru_cache(maxsize=1)
def last_names() -> frozenset[str]:
    """Last names of the same locales (and the romanised Japanese ones)."""
    names = _names(("last_names",)) | _names(("last_romanized_names",), ("ja_JP",))
    return frozenset(n for n in names if len(n) > 2 and n.isalpha()) - first_names()


@functools.lru_cache(maxsize=1)
def _cjk_pattern() -> str:
    """Japanese names written without spaces: the kanji and kana name lists, longest first."""
    names = _names(("first_names", "last_names", "first_kana_names", "last_kana_names"), ("ja_JP",))
    return "|".join(sorted((n for n in names if n and not n.isascii()), key=lambda n: (-len(n), n)))


_TITLES = (
    r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Hr|Fr|Mme|Mlle|Sr|Sra|Srta|Don|Doña|Dña|Sig|Sig\.ra|Signor|Signora|"
    r"Dott|Dott\.ssa"
)
#: A title and the one or two capitalised words after it (`M.` needs its dot: a bare M is an initial).
TITLED = rf"\b((?:{_TITLES})\.?|M\.)\s+\p{{Lu}}[\p{{L}}'’-]+(?:\s+\p{{Lu}}[\p{{L}}'’-]+)?"
HONORIFIC = r"[\p{Han}\p{Katakana}ー]{1,5}(様|さん|殿|氏|くん|ちゃん)"


def redact_forms(text: pa.Array, extra: frozenset[str] = frozenset()) -> pa.Array:
    """Titled names, Japanese names (listed, in `extra`, or before an honorific) become [NAME]."""
    text = replace_matches(text, TITLED, r"\1 [NAME]")
    text = replace_matches(text, HONORIFIC, r"[NAME]\1", wide=True)
    unspaced = sorted((n for n in extra if not n.isascii() and unicodedata.east_asian_width(n[0]) == "W"), key=len)
    pattern = "|".join([*(re.escape(n) for n in reversed(unspaced)), _cjk_pattern()])
    return replace_matches(text, pattern, "[NAME]", wide=True)  # every one of them holds a kanji or a kana


@functools.lru_cache(maxsize=2)
def _lowered(last: bool) -> frozenset[str]:
    return frozenset(n.lower() for n in (last_names() if last else first_names()))


def _affixes(word: str) -> tuple[str, str, str, bool]:
    """A word's leading punctuation, its core (first to last letter), its trailing punctuation, and whether the
    core starts with an upper-case letter and another letter."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]  # str.isalpha is \p{L}: Lu, Ll, Lt, Lm, Lo
    if not letters:
        return word, "", "", False
    core = word[letters[0] : letters[-1] + 1]
    capital = len(core) > 1 and unicodedata.category(core[0]) == "Lu" and core[1].isalpha()
    return word[: letters[0]], core, word[letters[-1] + 1 :], capital


@dataclass(frozen=True)
class _Words:
    """Each word of the texts: its leading and trailing punctuation, and what they and its letters say."""

    lead: pa.Array
    trail: pa.Array
    is_first: np.ndarray  # a first name: a capitalised word of the lists (without case), or one of `extra`
    is_last: np.ndarray  # a known last name
    capital: np.ndarray  # capitalised, and not a label (`[ADDRESS]`)
    ends: np.ndarray  # its punctuation ends a sentence or a clause (`.!?;:`)
    comma: np.ndarray  # a comma follows it


def _words(flat: pa.Array, extra: frozenset[str]) -> _Words:
    """What each word is (`_Words`).

    Worked out once per distinct word, then spread by index: the words of 50,000 notes are a few ten thousand
    distinct ones (RE2 extraction and `is_in` over every word took ~1 s per batch, bench/RESULTS.md)."""
    encoded = flat.dictionary_encode()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    affixes = [_affixes(word) for word in encoded.dictionary.to_pylist()]
    lead, trail = (pa.array([a[i] for a in affixes], pa.string()).take(encoded.indices) for i in (0, 2))
    lowered = pc.utf8_lower(pa.array([a[1] for a in affixes], pa.string())).to_pylist()
    first, last = _lowered(False), _lowered(True)
    capitals = [a[3] for a in affixes]
    # the lists' names count when capitalised (`Will`, `JÜRGEN`; `will` is a verb); the table's own in any case
    is_first = np.fromiter(
        ((w in first and cap) or w in extra for w, cap in zip(lowered, capitals, strict=True)), bool, len(lowered)
    )

    def each(rule: Callable[[tuple[str, str, str, bool]], bool]) -> np.ndarray:
        return np.fromiter((rule(a) for a in affixes), bool, len(affixes))[indices]

    return _Words(
        lead,
        trail,
        is_first[indices],
        np.fromiter((w in last for w in lowered), bool, len(lowered))[indices],
        each(lambda a: a[3] and not a[0].endswith("[")),
        each(lambda a: any(c in ".!?;:" for c in a[2])),
        each(lambda a: a[2].startswith(",")),
    )


def name_tokens(values: pa.Array) -> frozenset[str]:
    """The words of a person-name column, lower-cased (for `redact_names(extra=...)`)."""
    words = pc.list_flatten(pc.split_pattern_regex(pc.utf8_lower(pc.drop_null(values)), r"[^\p{L}]+"))
    return frozenset(w for w in pc.unique(words).to_pylist() if w and len(w) > 1)


def redact_names(text: pa.Array, extra: frozenset[str] = frozenset()) -> pa.Array:
    """Names in free text become [NAME]: known first names with the capitalised word after them (the surname),
    `Last, First`, a capitalised word beside a known last name, then the forms of `redact_forms`. Capitalised
    words are looked up without case (`JÜRGEN MÜLLER`); `extra` adds names, lower-cased, that count in any case
    (the words of the table's person-name columns: `jürgen müller`).

    Word by word: split on spaces, then each distinct word's punctuation stripped and looked up once (`_words`),
    then joined again. (One RE2 alternation of ~7,000 names was far slower.)
    """
    text = redact_forms(text, extra)
    words = pc.split_pattern(text, " ")
    flat = pc.list_flatten(words)
    if not len(flat):
        return text
    found = _words(flat, extra)
    lead, trail, is_first, is_last, capital = found.lead, found.trail, found.is_first, found.is_last, found.capital
    parent = pc.list_parent_indices(words).to_numpy()
    # neighbours are words of the same text and sentence (`Madrid. Llamar`: two capitals, no name)
    same_text = np.r_[False, (parent[1:] == parent[:-1]) & ~found.ends[:-1]]
    same_next = np.r_[same_text[1:], False]
    comma = found.comma
    prev_capital, next_capital = np.r_[False, capital[:-1]] & same_text, np.r_[capital[1:], False] & same_next
    known_last = is_last & capital
    is_name = (
        is_first
        | (capital & comma & np.r_[is_first[1:], False] & same_next)  # Last, First
        | (known_last & (prev_capital | next_capital))
        | (capital & np.r_[known_last[1:], False] & same_next)
    )
    surname = np.r_[False, is_first[:-1]] & same_text & capital & ~is_name
    # a name takes the trailing punctuation of its surname, and the surname word goes
    trail_after = pa.concat_arrays([trail.slice(1), pa.array([""], pa.string())])

    closing = pc.if_else(pa.array(np.r_[surname[1:], False]), trail_after, trail)
    named = pc.binary_join_element_wise(lead, "[NAME]", closing, "")
    flat = pc.if_else(pa.array(is_name), named, flat)
    keep = ~surname
    counts = np.bincount(parent[keep], minlength=len(words))
    offsets = pa.array(np.r_[0, np.cumsum(counts)].astype(np.int32))
    rebuilt = pa.ListArray.from_arrays(offsets, flat.filter(pa.array(keep)))
    joined = pc.binary_join(rebuilt, " ")
    return pc.if_else(text.is_null(), text, joined)
