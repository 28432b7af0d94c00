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


@pytest.mark.parametrize("name", [
    "ᴛᴇᴀᴄʜᴇʀ",            # Latin small capitals
    "Ꭲeacher",            # Cherokee TA
    "teache\u0155",       # r + combining acute
    "teacher\u0301",
    "Lehrer", "Lehrerin", "Maestra Ana", "El profesor", "Profesora", "Professeur",
    "معلم", "王老师", "Cô giáo Lan", "Thầy giáo", "giáo viên", "Вчитель", "учитель",
    "ＴＥＡＣＨＥＲ", "te\u200dacher", "tea\u00adcher",
])
def test_staff_words_in_shipped_languages_refused_by_skeleton(name: str) -> None:
    with pytest.raises(InvalidInput, match="teacher"):
        clean_display_name(name)


@pytest.mark.parametrize("name", ["Mr. Smith", "mr smith", "MR.SMITH", "Мr. Ѕmith",
                                  "Mr Smith 2", "Ms. Lee"])
def test_the_teachers_and_cohosts_own_names_refused(name: str) -> None:
    with pytest.raises(InvalidInput, match="teacher"):
        clean_display_name(name, staff_names=["Mr. Smith", "Ms. Lee"])


@pytest.mark.parametrize("name", ["Smith", "Anna Smith", "Marco Giao", "Lee", "Maestri"])
def test_names_merely_sharing_a_word_with_staff_are_kept(name: str) -> None:
    assert clean_display_name(name, staff_names=["Mr. Smith", "Ms. Lee"])[0] == name


@pytest.mark.parametrize("name", ["\u3164", "\u3164\u3164", "\u115f", "\uffa0", "\u2800",
                                  "\u202e\u200b", "\u200d"])
def test_names_that_show_as_blank_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        clean_display_name(name)


def test_confusable_names_are_the_same_name() -> None:
    assert normalise_name("Ana") == normalise_name("Аna") == normalise_name("ᴀna")
    assert normalise_name("Ana") != normalise_name("Ann")


def test_invisible_and_bidi_characters_leave_every_user_text() -> None:
    from server.domain.text import clean_text
    text = clean_text("I love \u202emy dog\u202c\u200b and \u3164cats\u2066!\u2069", 500, "card")
    assert text == "I love my dog and cats!"
    # Joiners and variation selectors stay in running text: emoji and scripts need them.
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 \u2764\ufe0f"
    assert clean_text(family, 500, "card") == family
    with pytest.raises(InvalidInput):
        clean_text("\u200b\u202e\u3164", 500, "card")
