"""Flag possibly offensive text for the teacher's review. Flagging never deletes anything."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from better_profanity import Profanity


class _WordIndex:
    """better_profanity's word list with the same `in` test, found through an index.

    The library keeps its words in a list and compares a text word with every one of them
    (about 70 ms of CPU for a 150-character card, blocking the event loop). Every variant the
    library accepts has the same *skeleton* as the word (each character replaced by its
    substitution group: a/@/4/*, s/$/5, ...), so only the few words sharing the text word's
    skeleton are compared, with the library's own comparison.
    """

    def __init__(self, words: Iterable[Any], char_map: dict[str, tuple[str, ...]]) -> None:
        parent: dict[str, str] = {}

        def find(ch: str) -> str:
            while parent.get(ch, ch) != ch:
                ch = parent[ch]
            return ch

        for key, subs in char_map.items():
            for sub in subs:
                if len(sub) == 1:
                    parent[find(sub)] = find(key)
        self._table = str.maketrans({ch: find(ch) for ch in parent})
        self._words = list(words)
        self._by_skeleton: dict[str, list[Any]] = {}
        for word in self._words:
            self._by_skeleton.setdefault(str(word).translate(self._table), []).append(word)

    def __contains__(self, text: object) -> bool:
        if not isinstance(text, str):
            return False
        return any(word == text for word in self._by_skeleton.get(text.translate(self._table), ()))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)


@cache
def _filter() -> Profanity:
    checker = Profanity()
    checker.load_censor_words()  # the word list ships inside the package: no network
    checker.CENSOR_WORDSET = _WordIndex(checker.CENSOR_WORDSET, checker.CHARS_MAPPING)
    return checker


def needs_review(text: str) -> bool:
    return bool(text) and _filter().contains_profanity(text)
