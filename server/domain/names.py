"""Display names: what a student may call themselves, and when two names are the same.

Two names are the same when their confusable skeletons are equal (`server/domain/text.py`:
UTS #39 on Unicode's data, after NFKC, case folding, small capitals, combining marks and
invisible characters are folded away): "Аna" with a Cyrillic А is "Ana". A name is refused
when its skeleton contains a staff word in a language Rapport ships (or English, German,
French) or the teacher's or co-host's own display name, so no student can pose as staff.
Invisible, filler and bidi-control characters are removed; a name left blank is refused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

from server.domain.common import MAX_NAME_LENGTH
from server.domain.errors import InvalidInput
from server.domain.text import (
    collapse_spaces,
    letters_skeleton,
    skeleton,
    strip_invisible,
    token_skeletons,
)

# Staff words in the languages the product ships (prompts/i18n: ar, es, uk, vi, zh-Hans),
# plus English, German and French. One word: refused anywhere inside a name ("MrTeacher").
_STAFF_WORDS = (
    "teacher", "cohost", "admin", "moderator", "rapport", "staff", "instructor",
    "lehrer", "lehrerin", "maestro", "maestra", "profesor", "profesora", "professor",
    "professora", "professeur", "enseignant", "enseignante", "docente",
    "معلم", "معلمة", "مدرس", "مدرسة", "老师", "老師", "教师", "教師",
    "вчитель", "вчителька", "учитель", "учительница", "викладач",
)
# Several words: refused as whole words in a row ("Cô Giáo Lan", not "Marco Giao").
_STAFF_PHRASES = ("giáo viên", "thầy giáo", "cô giáo")
STAFF_NAME_TAKEN = "That name is kept for the teacher. Please use your own name."


def normalise_name(name: str) -> str:
    """The form in which two names are compared for sameness: the confusable skeleton, with
    runs of spaces as one. The only such rule: seats, the roster import and its duplicate
    check all use it."""
    return collapse_spaces(skeleton(name))


@cache
def _staff_skeletons() -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    return (tuple(letters_skeleton(w) for w in _STAFF_WORDS),
            tuple(tuple(token_skeletons(p)) for p in _STAFF_PHRASES))


def _has_run(tokens: list[str], run: tuple[str, ...] | list[str]) -> bool:
    n = len(run)
    return n > 0 and any(tuple(tokens[i:i + n]) == tuple(run)
                         for i in range(len(tokens) - n + 1))


def poses_as_staff(name: str, staff_names: Iterable[str] = ()) -> bool:
    """True when `name` looks like a staff word or like the teacher's or co-host's name."""
    letters = letters_skeleton(name)
    tokens = token_skeletons(name)
    words, phrases = _staff_skeletons()
    if any(word in letters for word in words) or any(_has_run(tokens, p) for p in phrases):
        return True
    for staff in staff_names:
        staff_letters = letters_skeleton(staff)
        if staff_letters and (staff_letters == letters
                              or _has_run(tokens, token_skeletons(staff))):
            return True
    return False


def clean_display_name(raw: object, staff_names: Iterable[str] = ()) -> tuple[str, str]:
    """Check a proposed display name; return (name as shown, normalised form)."""
    if not isinstance(raw, str):
        raise InvalidInput("Your name must be text.")
    shown = strip_invisible(unicodedata.normalize("NFC", raw), name=True)
    shown = "".join(ch for ch in shown if unicodedata.category(ch) not in ("Cc", "Cf"))
    shown = collapse_spaces(shown)
    if not shown:
        raise InvalidInput("Please type your name.")
    if len(shown) > MAX_NAME_LENGTH:
        raise InvalidInput(f"Names can be at most {MAX_NAME_LENGTH} characters.")
    if not any(ch.isalnum() for ch in shown):
        raise InvalidInput("Your name needs at least one letter or number.")
    if poses_as_staff(shown, staff_names):
        raise InvalidInput(STAFF_NAME_TAKEN)
    return shown, normalise_name(shown)
