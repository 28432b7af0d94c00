"""User text: invisible characters out, and the confusable skeleton names are compared by.

Invisible, filler and bidirectional-control characters let one person's text pose as empty
or reorder what others read: they are removed from every piece of user text. Zero-width
joiners and variation selectors stay in cards and replies (emoji and several scripts need
them) but not in names.

The skeleton follows UTS #39 (Unicode Security Mechanisms, section 4): two strings are
confusable when their skeletons are equal. The data is Unicode's confusables.txt as shipped
by the `confusable-homoglyphs` package (MIT; its `update` command regenerates it from
unicode.org; Rapport takes a newer release through `bash .ci/lock --upgrade-package
confusable-homoglyphs`). Before mapping, case and format are folded (NFKC, case folding,
Latin small capitals, combining marks and format characters dropped), and the mapping is
applied until it no longer changes the string (a prototype may be an upper-case letter).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from functools import cache
from importlib.resources import files

from server.domain.errors import InvalidInput

# Bidirectional controls, zero-width and other invisible code points, Hangul and Braille
# fillers (render as blank but count as letters), tag characters. Not ZWJ/ZWNJ (U+200C/D)
# nor variation selectors: emoji and scripts such as Persian need them in running text.
_INVISIBLE = frozenset([
    0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x200B, 0x200E, 0x200F,
    0x2800, 0x3164, 0xFEFF, 0xFFA0, 0xFFFC,
    *range(0x202A, 0x202F), *range(0x2060, 0x2070), *range(0xE0000, 0xE0080)])
_NAME_EXTRA = frozenset([0x200C, 0x200D, *range(0xFE00, 0xFE10), *range(0x180B, 0x1810)])
_SMALL_CAPITAL = re.compile(r"^LATIN LETTER SMALL CAPITAL ([A-Z])$")
_LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s"})


def strip_invisible(text: str, *, name: bool = False) -> str:
    """`text` without invisible, filler and bidi-control characters (for a name, without
    any format character, joiners and variation selectors included)."""
    return "".join(
        ch for ch in text
        if ord(ch) not in _INVISIBLE
        and not (name and (ord(ch) in _NAME_EXTRA or unicodedata.category(ch) == "Cf")))


@cache
def _prototypes() -> dict[str, str]:
    """Each confusable character -> the representative of its class (UTS #39 prototype)."""
    data = json.loads(files("confusable_homoglyphs").joinpath("confusables.json")
                      .read_text(encoding="utf-8"))
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def plain(shown: str) -> str:  # the data wraps right-to-left characters in LRM marks
        return shown.replace("\u200e", "").replace("\u200f", "")

    for char, alikes in data.items():
        for alike in alikes:
            parent[find(plain(char))] = find(plain(alike["c"]))
    classes: dict[str, list[str]] = defaultdict(list)
    for member in list(parent):
        classes[find(member)].append(member)
    mapping: dict[str, str] = {}
    small = _small_capitals()
    for members in classes.values():
        # A multi-character member is the prototype (sources are single code points); else
        # prefer a plain ASCII letter (a small capital counts as its letter), so that case
        # folding still applies to the result.
        longer = sorted(m for m in members if len(m) > 1)
        rep = longer[0] if longer else min((m.translate(small) for m in members), key=lambda m: (
            not (m.isascii() and m.islower()), not (m.isascii() and m.isalpha()),
            not m.isascii(), m))
        for member in members:
            if len(member) == 1 and member != rep:
                mapping[member] = rep
    return mapping


@cache
def _small_capitals() -> dict[int, str]:
    table = {}
    for code in (*range(0x0250, 0x02B0), *range(0x1D00, 0x1DC0), *range(0xA720, 0xA800)):
        found = _SMALL_CAPITAL.match(unicodedata.name(chr(code), ""))
        if found:
            table[code] = found.group(1).lower()
    return table


def load_confusables() -> None:
    """Read the confusables data now (the server calls this at start-up)."""
    _prototypes()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().translate(_small_capitals())
    text = unicodedata.normalize("NFD", strip_invisible(text, name=True))
    return "".join(ch for ch in text
                   if unicodedata.category(ch) not in ("Mn", "Me", "Cf", "Cc"))


def skeleton(text: str) -> str:
    """Case- and format-folded UTS #39 skeleton: equal for strings that look alike."""
    prototypes = _prototypes()
    current = _fold(text)
    for _ in range(4):  # a prototype can be upper case or decompose: fold again until still
        mapped = _fold("".join(prototypes.get(ch, ch) for ch in current))
        if mapped == current:
            break
        current = mapped
    return current


def letters_skeleton(text: str) -> str:
    """The skeleton's letters and digits only, digits used as letters folded ("t3acher")."""
    return "".join(ch for ch in skeleton(text.translate(_LEET)) if ch.isalnum())


def token_skeletons(text: str) -> list[str]:
    """The skeleton of each word of `text` (split at anything not a letter or digit)."""
    return [t for t in re.split(r"[^\w]+|_", skeleton(text)) if t]


_SPACES = re.compile(r"\s+")


def collapse_spaces(text: str) -> str:
    """Runs of white space as one space, none at either end (names, staff names)."""
    return _SPACES.sub(" ", text).strip()


def clean_text(raw: str, limit: int, what: str) -> str:
    """A card, reply or note as kept: NFC, invisible and control characters out (newlines and
    tabs stay), trimmed, not empty and at most `limit` characters."""
    text = strip_invisible(unicodedata.normalize("NFC", raw)).strip()
    text = "".join(ch for ch in text
                   if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    if not text:
        raise InvalidInput(f"The {what} is empty.")
    if len(text) > limit:
        raise InvalidInput(f"The {what} can be at most {limit} characters.")
    return text
