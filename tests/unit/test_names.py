from __future__ import annotations

import pytest

from server.domain.errors import InvalidInput
from server.domain.names import clean_display_name, normalise_name


@pytest.mark.parametrize("a,b", [("Ana", "ana"), ("ＡＮＡ", "ana"), ("  Ana   Li ", "ana li"),
                                 ("A\u200bna", "ana"), ("Straße", "strasse")])
def test_normalise_name(a: str, b: str) -> None:
    assert normalise_name(a) == b


@pytest.mark.parametrize("name", ["Teacher", "the teacher", "Ms. Teacher", "T-E-A-C-H-E-R",
                                  "Теacher", "t3acher", "Co-host", "ADMIN", "Rapport bot"])
def test_staff_names_refused(name: str) -> None:
    with pytest.raises(InvalidInput, match="teacher"):
        clean_display_name(name)


@pytest.mark.parametrize("name", ["", "   ", "!!!", "x" * 41, 5, None, "\u200b"])
def test_bad_names_refused(name: object) -> None:
    with pytest.raises(InvalidInput):
        clean_display_name(name)


@pytest.mark.parametrize("name", ["Ana", "José", "李雷", "Ngozi O.",
                                  "<img src=x onerror=alert(1)>"])
def test_good_names_kept_as_typed(name: str) -> None:
    shown, norm = clean_display_name(f"  {name} ")
    assert shown == name and norm == normalise_name(name)
