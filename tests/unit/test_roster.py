"""Tests for the roster CSV parser."""

from __future__ import annotations

import pytest

from server.roster import RosterEntry, RosterError, parse_roster_csv


def test_header_is_optional_and_case_insensitive() -> None:
    with_header = parse_roster_csv("Name,EMAIL,Tags\nAnna,anna@school.example,blue\n")
    without = parse_roster_csv("Anna,anna@school.example,blue\n")
    assert with_header == without == [RosterEntry("Anna", "anna@school.example", ("blue",))]


def test_fields_are_trimmed_and_tags_split() -> None:
    entries = parse_roster_csv('  Ben  ,  ben@x.org , "a;b  c ;; d"\nCleo\n\nDev,,\n')
    assert entries == [
        RosterEntry("Ben", "ben@x.org", ("a", "b", "c", "d")),
        RosterEntry("Cleo", None, ()),
        RosterEntry("Dev", None, ()),
    ]


def test_name_only_header_and_bom() -> None:
    assert parse_roster_csv("\ufeffname\nZoë\n") == [RosterEntry("Zoë", None, ())]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Anna\n,x@y.org\n", "line 2: empty name"),
        ("A" * 61 + "\n", "line 1: name longer"),
        ("Anna,not-an-email\n", "line 1: 'not-an-email' does not look like an e-mail"),
        ("Anna,a@" + "b" * 250 + ".org\n", "line 1: e-mail longer"),
        ("Anna,," + "t" * 21 + "\n", "line 1: tag longer"),
        ("Anna,,bad!tag\n", "line 1: tag 'bad!tag'"),
        ("name,email\nAnna\nANNA\n", "line 3: duplicate name 'ANNA' (first on line 2)"),
        ("Straße\nSTRASSE\n", "line 2: duplicate name"),
        ("ﬁona\nfiona\n", "line 2: duplicate name"),  # NFKC folds the ligature
        ("Anna,a@b.org,x,extra\n", "line 1: expected at most 3 fields"),
    ],
)
def test_rejections_name_the_line(text: str, message: str) -> None:
    with pytest.raises(RosterError) as caught:
        parse_roster_csv(text)
    assert message in str(caught.value)


def test_max_rows() -> None:
    text = "".join(f"Student {i}\n" for i in range(5))
    assert len(parse_roster_csv(text, max_rows=5)) == 5
    with pytest.raises(RosterError, match="line 6: more than 5 students"):
        parse_roster_csv(text + "One more\n", max_rows=5)


def test_roster_error_is_value_error() -> None:
    assert issubclass(RosterError, ValueError)
