"""Display names: what a student may call themselves, and when two names are the same.

Two names are the same when their normalised forms are equal: NFKC (so full-width "ＡＮＡ" is
"ANA"), case-folded, invisible format characters dropped, common Cyrillic/Greek look-alikes
folded to Latin, white space collapsed. A name whose letters spell a staff role is refused, so
no student can pose as the teacher.
"""

from __future__ import annotations

import re
import unicodedata

from server.domain.errors import InvalidInput

MAX_NAME_LENGTH = 40

# Letters that render like Latin ones; folding them stops "Теacher" (Cyrillic Т, е).
_LOOKALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ѵ": "v", "ӏ": "l",
    "0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s",
})
_RESERVED_WORDS = ("teacher", "cohost", "admin", "moderator", "rapport", "staff", "instructor")
_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """The form in which two names are compared for sameness."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))
    return _SPACES.sub(" ", text.casefold()).strip()


def _skeleton(norm: str) -> str:
    """Letters only, look-alikes folded: 'T.e.a.c.h.3.r' and 'Теacher' both give 'teacher'."""
    folded = norm.translate(_LOOKALIKES)
    return "".join(ch for ch in folded if ch.isalpha())


def clean_display_name(raw: object) -> tuple[str, str]:
    """Check a proposed display name; return (name as shown, normalised form)."""
    if not isinstance(raw, str):
        raise InvalidInput("Your name must be text.")
    shown = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    shown = "".join(ch for ch in shown if unicodedata.category(ch) not in ("Cc", "Cf"))
    if not shown:
        raise InvalidInput("Please type your name.")
    if len(shown) > MAX_NAME_LENGTH:
        raise InvalidInput(f"Names can be at most {MAX_NAME_LENGTH} characters.")
    if not any(ch.isalnum() for ch in shown):
        raise InvalidInput("Your name needs at least one letter or number.")
    norm = normalise_name(shown)
    skeleton = _skeleton(norm)
    if any(word in skeleton for word in _RESERVED_WORDS):
        raise InvalidInput("That name is kept for the teacher. Please use your own name.")
    return shown, norm
