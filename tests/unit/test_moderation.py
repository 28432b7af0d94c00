"""Card moderation: identity is never flagged, abuse is, and the corpus figures are reported."""

from __future__ import annotations

import pytest

from server.domain.moderation import (
    IDENTITY_WORDS,
    LEXICON,
    MAX_LETTER_SYMBOL_PAIRS,
    needs_review,
)
from tests.unit.moderation_corpus import (
    BENIGN,
    BENIGN_IDENTITY,
    HELD_OUT_BENIGN,
    HELD_OUT_OFFENSIVE,
    OFFENSIVE,
)

# Floors at the figures the check achieves (see docs/SECURITY.md), so a change that makes it
# worse fails here.
PRECISION_FLOOR = 0.98
RECALL_FLOOR = 0.98


def _scores(benign: list[str], offensive: list[str]) -> tuple[float, float, list[str],
                                                              list[str]]:
    false_positives = [text for text in benign if needs_review(text)]
    missed = [text for text in offensive if not needs_review(text)]
    caught = len(offensive) - len(missed)
    precision = caught / max(1, caught + len(false_positives))
    recall = caught / max(1, len(offensive))
    return precision, recall, false_positives, missed


def test_corpus_is_big_enough() -> None:
    assert len(BENIGN_IDENTITY) + len(BENIGN) >= 150
    assert len(OFFENSIVE) >= 60
    assert len(set(BENIGN_IDENTITY + BENIGN + OFFENSIVE)) == len(
        BENIGN_IDENTITY + BENIGN + OFFENSIVE), "duplicate sentences"


def test_no_identity_statement_is_flagged() -> None:
    flagged = [text for text in BENIGN_IDENTITY if needs_review(text)]
    assert flagged == []


def test_identity_words_are_on_no_list() -> None:
    listed = {word for words in LEXICON.values() for word in words}
    assert listed.isdisjoint(IDENTITY_WORDS), listed & set(IDENTITY_WORDS)
    assert [word for word in IDENTITY_WORDS if needs_review(word)] == []
    assert [word for word in IDENTITY_WORDS if needs_review(f"I am {word}")] == []


def test_precision_and_recall_on_the_corpus() -> None:
    precision, recall, false_positives, missed = _scores(BENIGN_IDENTITY + BENIGN, OFFENSIVE)
    report = (f"moderation corpus: {len(BENIGN_IDENTITY) + len(BENIGN)} benign, "
              f"{len(OFFENSIVE)} offensive; precision {precision:.3f}, recall {recall:.3f}; "
              f"false positives {false_positives}; missed {missed}")
    print(report)
    assert precision >= PRECISION_FLOOR and recall >= RECALL_FLOOR, report


def test_held_out_figures_are_reported() -> None:
    if not HELD_OUT_BENIGN:
        pytest.skip("no held-out sentences")
    precision, recall, false_positives, missed = _scores(HELD_OUT_BENIGN, HELD_OUT_OFFENSIVE)
    report = (f"held-out: {len(HELD_OUT_BENIGN)} benign, {len(HELD_OUT_OFFENSIVE)} offensive; "
              f"precision {precision:.3f}, recall {recall:.3f}; "
              f"false positives {false_positives}; missed {missed}")
    print(report)
    assert precision >= 0.95 and recall >= 0.85, report


@pytest.mark.parametrize("text", [
    "", "   ", "a" * 2000, "🙂" * 500, "\u200b" * 100, "f" + "\u200bu" * 500,
    "*" * 300, "k y s " * 300, "1" * 2000, "you " * 500,
])
def test_odd_input_does_not_crash(text: str) -> None:
    needs_review(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Niger", False), ("niggers", True), ("cook", False), ("cock", False), ("you cock", True),
    ("ass", False), ("asss", False), ("kiss my asss", True), ("glass", False),
    ("Scunthorpe", False), ("sniggering", False), ("pass the bass", False),
    ("fuuuuck", True), ("f u c k", True), ("a b c", False), ("I am a b c", False),
    ("f*ck", True), ("f***", True), ("I got an A* in maths", False), ("****", False),
    ("*hugs*", False), ("d*ck", True), ("shut up you guys, I am so excited", False),
])
def test_obfuscation_does_not_create_matches(text: str, expected: bool) -> None:
    assert needs_review(text) is expected


def test_a_card_too_costly_to_decode_is_held_not_decoded() -> None:
    ordinary = "I play GTA5 and FIFA23, I was born on the 3rd of May at 10am"
    assert needs_review(ordinary) is False
    assert needs_review(" ".join(f"q{n}z" for n in range(MAX_LETTER_SYMBOL_PAIRS))) is True
