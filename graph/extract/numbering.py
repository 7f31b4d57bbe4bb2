"""Item markers to numbers: "4", "xiii", "VII", "two", "Second", "A", "j".

The texts number their items in every style at once, sometimes within one list
(seed 002 runs "(7)", "(viii)", "(ix)", "(j)", "(xi)"), so a marker is read on
its own and, where it is ambiguous ("i" is roman 1 or the 9th letter), by the
number that would continue the sequence.
"""

from __future__ import annotations

import re

_UNITS = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_UNITS = "first second third fourth fifth sixth seventh eighth ninth".split()
_ORDINAL_TEENS = (
    "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_ORDINAL_TENS = "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split()


def _number_words(units: list[str], teens: list[str], round_tens: list[str]) -> dict[str, int]:
    """Spell 1..99: units, teens, round tens and "<ten>-<unit>" compounds."""
    words = {word: n for n, word in enumerate(units, 1)}
    words |= {word: n for n, word in enumerate(teens, 10)}
    for tens, (ten, round_ten) in enumerate(zip(_TENS, round_tens), 2):
        words[round_ten] = 10 * tens
        words |= {f"{ten}-{unit}": 10 * tens + n for n, unit in enumerate(units, 1)}
    return words


CARDINALS = _number_words(_UNITS, _TEENS, _TENS)
ORDINALS = _number_words(_ORDINAL_UNITS, _ORDINAL_TEENS, _ORDINAL_TENS)

_ARABIC = re.compile(r"[0-9]+")
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_WORD_SEPARATORS = re.compile(r"[\s\-‐‑–]+")


def word_number(token: str) -> int | None:
    """Return the value of an English number or ordinal word ("Three", "twenty-first"), else None."""
    word = _WORD_SEPARATORS.sub("-", token.strip().lower())
    return CARDINALS.get(word, ORDINALS.get(word))


def roman_number(token: str) -> int | None:
    """Return the value of a well-formed roman numeral in one case ("xiii", "VII"), else None."""
    if not token or not (token.isupper() or token.islower()):
        return None
    upper = token.upper()
    if not _ROMAN.fullmatch(upper):
        return None
    values = [_ROMAN_VALUES[c] for c in upper]
    return sum(-v if v < following else v for v, following in zip(values, values[1:] + [0]))


def letter_number(token: str) -> int | None:
    """Return the alphabet position of a single ASCII letter ("A" -> 1, "j" -> 10), else None."""
    if len(token) == 1 and token.isascii() and token.isalpha():
        return ord(token.lower()) - ord("a") + 1
    return None


def parse_marker(token: str, expected: int | None = None) -> int:
    """Return the number an item marker's inside stands for.

    Arabic digits and number words are unambiguous.  A token that is both a roman
    numeral and a letter ("i", "x", "c") takes the reading equal to ``expected``
    (the number that continues the sequence) when there is one, else the roman one.
    """
    token = token.strip()
    if _ARABIC.fullmatch(token):
        return int(token)
    if (word := word_number(token)) is not None:
        return word
    readings = [n for n in (roman_number(token), letter_number(token)) if n is not None]
    if not readings:
        raise ValueError(
            f"not an item marker: {token!r} is neither arabic digits, a roman numeral, "
            "an English number or ordinal word, nor a single letter"
        )
    return expected if expected in readings else readings[0]
