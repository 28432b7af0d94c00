"""Flag possibly offensive text for the teacher's review. Flagging never deletes anything."""

from __future__ import annotations

from functools import cache

from better_profanity import Profanity


@cache
def _filter() -> Profanity:
    checker = Profanity()
    checker.load_censor_words()  # the word list ships inside the package: no network
    return checker


def needs_review(text: str) -> bool:
    return bool(text) and _filter().contains_profanity(text)
