"""Benchmark the card moderation check (server/domain/moderation.py) per card.

Usage: python bench/moderation.py [--repeat N]
Prints CPU microseconds per card (process time, best of N passes: steadier than wall time
on a shared machine) for short cards, 500-character cards
(the longest a card may be), 2000-character texts, and adversarial texts built to make the
check work hardest (spaced single letters, masks, repeated letters, digits, all-new words),
each warm (words seen before) and cold (per-word cache emptied). When the old
better_profanity library is installed it is timed on the short cards too, for the ratio.
Always exits 0.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from server.domain.moderation import _read_token, needs_review  # noqa: E402
from tests.unit.moderation_corpus import BENIGN, BENIGN_IDENTITY, OFFENSIVE  # noqa: E402


def cards_of_length(sentences: list[str], length: int, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    cards = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 2 for p in parts) < length:
            parts.append(rng.choice(sentences))
        cards.append(". ".join(parts)[:length])
    return cards


def adversarial(length: int, seed: int) -> list[tuple[str, str]]:
    """Texts built to make the check work hardest; every word different where that matters,
    so the per-word cache cannot help."""
    rng = random.Random(seed)
    letters = string.ascii_lowercase

    def unique(make: Callable[[], str]) -> str:
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < length:
            words.append(make())
        return " ".join(words)[:length]

    return [
        ("spaced letters 'a b a b'", ("a b " * length)[:length]),
        ("unique masks 'q*zx'", unique(lambda: rng.choice(letters) + "*" * rng.randint(1, 3)
                                       + "".join(rng.choices(letters, k=rng.randint(1, 3))))),
        ("unique leet 'h3l0'", unique(lambda: "".join(rng.choices(letters + "013457@$",
                                                                  k=rng.randint(3, 7))))),
        ("unique repeats 'ssoo'", unique(lambda: "".join(
            ch * rng.randint(1, 3) for ch in rng.choices(letters, k=4)))),
        ("unique plain words", unique(lambda: "".join(rng.choices(letters,
                                                                  k=rng.randint(2, 9))))),
        ("modifiers 'you are a so'", ("you are a so such " * length)[:length]),
        ("one long word", "x" * length),
        ("look-alikes and accents",
         ("\uff48\u00e9ll\u00f6 \u1d21\u03c3rld \u00df " * length)[:length]),
        ("emoji with joiners", ("👩‍👩‍👧 🏳️‍🌈 " * length)[:length]),
    ]


def per_card_us(check: Callable[[str], bool], cards: list[str], repeat: int,
                cold: bool = False) -> float:
    """CPU µs per card, best pass (other load only adds time); `cold` empties the per-word
    cache before each card, as for a card whose words the process has never seen."""
    passes = []
    for _ in range(repeat):
        spent = 0.0
        for card in cards:
            if cold:
                _read_token.cache_clear()
            start = time.process_time()
            check(card)
            spent += time.process_time() - start
        passes.append(spent / len(cards) * 1e6)
    return min(passes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    benign = BENIGN_IDENTITY + BENIGN
    needs_review("warm up")
    rows = [
        ("short benign cards (corpus)", benign),
        ("short offensive cards (corpus)", OFFENSIVE),
        ("500-char benign cards", cards_of_length(benign, 500, 200, seed=1)),
        ("2000-char benign texts", cards_of_length(benign, 2000, 100, seed=2)),
    ]
    for length in (500, 2000):
        rows += [(f"{length}-char {label}", [text])
                 for label, text in adversarial(length, seed=length)]
    start = time.process_time()
    sum(range(1_000_000))
    print(f"calibration: sum(range(1_000_000)) took {(time.process_time() - start) * 1e3:.1f} "
          "ms of CPU on this machine now (compare runs by this)")
    print(f"python {sys.version.split()[0]}, CPU time, best of {args.repeat} passes; "
          "warm: words seen before (the usual case), cold: per-word cache emptied per card")
    print(f"{'cards':<42} {'n':>5} {'warm µs':>9} {'cold µs':>9}")
    for label, cards in rows:
        warm = per_card_us(needs_review, cards, args.repeat)
        cold = per_card_us(needs_review, cards, args.repeat, cold=True)
        print(f"{label:<42} {len(cards):>5} {warm:>9.1f} {cold:>9.1f}")
    try:  # the library this check replaced, if still installed: for the ratio only
        from better_profanity import Profanity
    except ImportError:
        return
    from importlib.metadata import version
    old = Profanity()
    old.load_censor_words()
    sample = benign[:40]
    ours = per_card_us(needs_review, sample, 3, cold=True)
    theirs = per_card_us(old.contains_profanity, sample, 3)
    print(f"better_profanity {version('better-profanity')} (its own word list, unindexed), "
          f"40 short benign cards: {theirs:.1f} µs/card, {theirs / ours:.0f}x ours cold "
          f"({ours:.1f})")


if __name__ == "__main__":
    main()
