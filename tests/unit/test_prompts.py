"""The prompt library: shipped data, strict loader, filter and suggest, custom prompts."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from server.domain.prompts import (
    CATEGORY_SIDES,
    DEFAULT_PROMPTS_DIR,
    DEPTHS,
    GRADE_BANDS,
    Prompt,
    PromptLibrary,
    PromptLibraryError,
    load_library,
    validate_custom_prompt,
)

# --------------------------------------------------------------------------------------------
# Helpers: a tiny valid library we can break one way at a time


def _categories() -> dict[str, dict[str, str]]:
    return {
        cid: {"label": cid.title(), "side": side, "description": f"About {cid}."}
        for cid, side in CATEGORY_SIDES.items()
    }


def _minimal_prompts() -> list[dict[str, Any]]:
    """One prompt per category, together covering every depth and grade band."""
    prompts = []
    for index, cid in enumerate(CATEGORY_SIDES):
        prompts.append({
            "id": f"{cid}-sample",
            "text": f"Show us something about {cid}.",
            "category": cid,
            "depth": DEPTHS[index % len(DEPTHS)],
            "grade_bands": list(GRADE_BANDS),
            "helps": "Something useful.",
        })
    prompts[0]["starter"] = "Something I ..."
    return prompts


def _minimal_doc() -> dict[str, Any]:
    return {"version": 1, "categories": _categories(), "prompts": _minimal_prompts()}


def _write(directory: Path, name: str, doc: Any) -> Path:
    path = directory / name
    text = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def _load_doc(tmp_path: Path, doc: Any, name: str = "library.json") -> PromptLibrary:
    _write(tmp_path, name, doc)
    return load_library(tmp_path)


def _broken_prompt(tmp_path: Path, **changes: Any) -> str:
    """Load a library whose first prompt has `changes` (None deletes); return the error text."""
    doc = _minimal_doc()
    for key, value in changes.items():
        if value is None:
            del doc["prompts"][0][key]
        else:
            doc["prompts"][0][key] = value
    with pytest.raises(PromptLibraryError) as info:
        _load_doc(tmp_path, doc)
    return str(info.value)


# --------------------------------------------------------------------------------------------
# The shipped library


@pytest.fixture(scope="module")
def library() -> PromptLibrary:
    return load_library(DEFAULT_PROMPTS_DIR)


def test_default_dir_points_at_repo_prompts() -> None:
    assert DEFAULT_PROMPTS_DIR.name == "prompts"
    assert (DEFAULT_PROMPTS_DIR / "README.md").is_file()


def test_real_library_size_and_unique_ids(library: PromptLibrary) -> None:
    assert len(library) >= 120
    ids = [p.id for p in library]
    assert len(ids) == len(set(ids))
    for prompt in library:
        assert re.fullmatch(r"[a-z0-9-]{1,60}", prompt.id), prompt.id
        assert 3 <= len(prompt.text) <= 200, prompt.id
        assert prompt.helps, prompt.id
        assert prompt.grade_bands, prompt.id
        assert not prompt.custom


def test_real_library_coverage(library: PromptLibrary) -> None:
    by_category = Counter(p.category for p in library)
    by_depth = Counter(p.depth for p in library)
    by_band = Counter(band for p in library for band in p.grade_bands)
    assert set(library.categories) == set(CATEGORY_SIDES)
    for cid in CATEGORY_SIDES:
        assert by_category[cid] >= 10, cid
    for depth in DEPTHS:
        assert by_depth[depth] >= 20, depth
    for band in GRADE_BANDS:
        assert by_band[band] >= 25, band


def test_real_library_categories_have_sides_and_labels(library: PromptLibrary) -> None:
    for cid, category in library.categories.items():
        assert category.id == cid
        assert category.side == CATEGORY_SIDES[cid]
        assert category.label and category.description
    assert {p.side for p in library.filter(side="teacher")} == {"teacher"}


def test_real_library_file_is_strict_json_schema() -> None:
    # Guard the raw file too: key order and allowed keys, so the data stays reviewable.
    doc = json.loads((DEFAULT_PROMPTS_DIR / "library.json").read_text(encoding="utf-8"))
    assert set(doc) == {"version", "categories", "prompts"}
    allowed = {"id", "text", "category", "depth", "grade_bands", "starter", "helps"}
    for raw in doc["prompts"]:
        assert set(raw) <= allowed
        assert allowed - {"starter"} <= set(raw)


def test_real_library_to_dict_is_json_serialisable(library: PromptLibrary) -> None:
    data = json.loads(json.dumps(library.to_dict()))
    assert data["version"] == 1
    assert len(data["prompts"]) == len(library)
    first = data["prompts"][0]
    assert set(first) == {
        "id", "text", "category", "side", "depth", "grade_bands", "starter", "helps", "custom",
    }


# --------------------------------------------------------------------------------------------
# Loader: each failure is refused with a message naming the file and the prompt


def test_minimal_library_loads(tmp_path: Path) -> None:
    lib = _load_doc(tmp_path, _minimal_doc())
    assert len(lib) == len(CATEGORY_SIDES)
    assert lib.get("professional-sample") is not None
    assert lib.get("professional-sample").starter == "Something I ..."
    assert list(lib.categories) == list(CATEGORY_SIDES)


def test_grade_bands_are_stored_in_canonical_order(tmp_path: Path) -> None:
    doc = _minimal_doc()
    doc["prompts"][0]["grade_bands"] = ["adult", "K-2"]
    lib = _load_doc(tmp_path, doc)
    assert lib.prompts[0].grade_bands == ("K-2", "adult")


def test_unknown_prompt_field(tmp_path: Path) -> None:
    message = _broken_prompt(tmp_path, grade_band="K-2")
    assert "library.json" in message
    assert "prompts[0]" in message and "professional-sample" in message
    assert "unknown field" in message and "grade_band" in message


def test_custom_flag_is_not_a_library_field(tmp_path: Path) -> None:
    assert "unknown field" in _broken_prompt(tmp_path, custom=True)


def test_missing_required_field(tmp_path: Path) -> None:
    message = _broken_prompt(tmp_path, helps=None)
    assert "missing field" in message and "helps" in message


@pytest.mark.parametrize(
    ("field_name", "value", "expected"),
    [
        ("id", 7, "id must be a string"),
        ("text", ["a list"], "text must be a string"),
        ("helps", 3, "helps must be a string"),
        ("starter", None, "starter must be a string"),  # present means a string, not null
        ("grade_bands", "K-2", "grade_bands must be a list"),
        ("category", 1, "unknown category"),
        ("depth", True, "unknown depth"),
    ],
)
def test_wrong_types(tmp_path: Path, field_name: str, value: Any, expected: str) -> None:
    doc = _minimal_doc()
    doc["prompts"][0][field_name] = value
    with pytest.raises(PromptLibraryError, match=re.escape(expected)):
        _load_doc(tmp_path, doc)


@pytest.mark.parametrize(
    "bad_id",
    ["Has-Capitals", "with space", "under_score", "-leading", "trailing-", "double--hyphen", "",
     "x" * 61, "ünïcode"],
)
def test_bad_ids(tmp_path: Path, bad_id: str) -> None:
    message = _broken_prompt(tmp_path, id=bad_id)
    assert "library.json: prompts[0]" in message
    assert "id" in message


def test_id_of_exactly_60_chars_is_fine(tmp_path: Path) -> None:
    doc = _minimal_doc()
    doc["prompts"][0]["id"] = "a" * 60
    assert _load_doc(tmp_path, doc).get("a" * 60) is not None


def test_duplicate_ids_in_one_file(tmp_path: Path) -> None:
    doc = _minimal_doc()
    doc["prompts"][1]["id"] = doc["prompts"][0]["id"]
    with pytest.raises(PromptLibraryError, match=r"prompts\[1\].*duplicate id"):
        _load_doc(tmp_path, doc)


def test_duplicate_ids_across_files_name_both(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", _minimal_doc())
    extra = {"version": 1, "prompts": [copy.deepcopy(_minimal_prompts()[2])]}
    _write(tmp_path, "b.json", extra)
    with pytest.raises(PromptLibraryError) as info:
        load_library(tmp_path)
    message = str(info.value)
    assert "b.json" in message and "a.json" in message and "duplicate id" in message


def test_several_files_merge(tmp_path: Path) -> None:
    doc = _minimal_doc()
    moved = doc["prompts"].pop()
    _write(tmp_path, "a.json", doc)
    _write(tmp_path, "b.json", {"version": 1, "prompts": [moved]})
    lib = load_library(tmp_path)
    assert len(lib) == len(CATEGORY_SIDES)
    assert lib.prompts[-1].id == moved["id"]  # file-name order


def test_categories_defined_twice(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", _minimal_doc())
    _write(tmp_path, "b.json", {"version": 1, "categories": _categories(), "prompts": []})
    with pytest.raises(PromptLibraryError, match=r"b.json: categories are already defined"):
        load_library(tmp_path)


def test_no_categories_anywhere(tmp_path: Path) -> None:
    doc = _minimal_doc()
    del doc["categories"]
    with pytest.raises(PromptLibraryError, match="defines categories"):
        _load_doc(tmp_path, doc)


def test_unknown_category_on_prompt(tmp_path: Path) -> None:
    message = _broken_prompt(tmp_path, category="sports")
    assert "unknown category 'sports'" in message and "professional-sample" in message


def test_unknown_category_in_metadata(tmp_path: Path) -> None:
    doc = _minimal_doc()
    doc["categories"]["sports"] = {"label": "Sports", "side": "student", "description": "x"}
    with pytest.raises(PromptLibraryError, match=r"unknown category id.*sports"):
        _load_doc(tmp_path, doc)


def test_missing_category_in_metadata(tmp_path: Path) -> None:
    doc = _minimal_doc()
    del doc["categories"]["people"]
    with pytest.raises(PromptLibraryError, match=r"missing category id.*people"):
        _load_doc(tmp_path, doc)


def test_category_wrong_side(tmp_path: Path) -> None:
    doc = _minimal_doc()
    doc["categories"]["personal"]["side"] = "student"
    with pytest.raises(PromptLibraryError, match=r"categories\.personal: side must be 'teacher'"):
        _load_doc(tmp_path, doc)


def test_category_unknown_field(tmp_path: Path) -> None:
    doc = _minimal_doc()
    doc["categories"]["personal"]["colour"] = "red"
    with pytest.raises(PromptLibraryError, match=r"unknown field.*colour"):
        _load_doc(tmp_path, doc)


def test_category_without_prompts(tmp_path: Path) -> None:
    doc = _minimal_doc()
    doc["prompts"] = [p for p in doc["prompts"] if p["category"] != "light-fun"]
    with pytest.raises(PromptLibraryError, match=r"no prompts for category.*light-fun"):
        _load_doc(tmp_path, doc)


def test_grade_band_without_prompts(tmp_path: Path) -> None:
    doc = _minimal_doc()
    for prompt in doc["prompts"]:
        prompt["grade_bands"] = ["3-5", "6-8"]
    with pytest.raises(PromptLibraryError, match=r"no prompts for grade band.*K-2.*9-12.*adult"):
        _load_doc(tmp_path, doc)


def test_depth_without_prompts(tmp_path: Path) -> None:
    doc = _minimal_doc()
    for prompt in doc["prompts"]:
        prompt["depth"] = "light"
    with pytest.raises(PromptLibraryError, match=r"no prompts for depth.*medium.*deep"):
        _load_doc(tmp_path, doc)


def test_unknown_depth(tmp_path: Path) -> None:
    assert "unknown depth 'profound'" in _broken_prompt(tmp_path, depth="profound")


def test_unknown_grade_band(tmp_path: Path) -> None:
    assert "unknown grade band 'K-12'" in _broken_prompt(tmp_path, grade_bands=["K-12"])


def test_empty_grade_bands(tmp_path: Path) -> None:
    assert "grade_bands must not be empty" in _broken_prompt(tmp_path, grade_bands=[])


def test_repeated_grade_band(tmp_path: Path) -> None:
    assert "more than once" in _broken_prompt(tmp_path, grade_bands=["K-2", "K-2"])


def test_text_too_long(tmp_path: Path) -> None:
    message = _broken_prompt(tmp_path, text="a" * 201)
    assert "text is 201 characters; the limit is 200" in message
    assert "library.json: prompts[0] (id 'professional-sample')" in message


def test_text_of_exactly_200_chars_is_fine(tmp_path: Path) -> None:
    doc = _minimal_doc()
    doc["prompts"][0]["text"] = "a" * 200
    assert len(_load_doc(tmp_path, doc).prompts[0].text) == 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" Leading space", "leading or trailing"),
        ("Two\nlines", "control character"),
        ("Sneaky \u202eoverride", "control character"),
        ("", "too short"),
        ("e\u0301 not NFC", "NFC"),
    ],
)
def test_unclean_text(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in _broken_prompt(tmp_path, text=text)


def test_empty_helps_and_starter(tmp_path: Path) -> None:
    assert "helps is too short" in _broken_prompt(tmp_path, helps="")
    assert "starter is too short" in _broken_prompt(tmp_path, starter="")


def test_prompt_not_an_object(tmp_path: Path) -> None:
    doc = _minimal_doc()
    doc["prompts"].insert(3, "just a string")
    with pytest.raises(PromptLibraryError, match=r"library.json: prompts\[3\]: must be an object"):
        _load_doc(tmp_path, doc)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([], "top level must be a JSON object"),
        ({"version": 1, "categories": {}, "prompts": [], "extra": 1}, "unknown field.*extra"),
        ({"categories": {}, "prompts": []}, "missing field.*version"),
        ({"version": 2, "prompts": []}, "version must be 1"),
        ({"version": True, "prompts": []}, "version must be 1"),
        ({"version": 1, "prompts": {}}, "prompts must be a list"),
        ({"version": 1, "categories": [], "prompts": []}, "categories must be an object"),
    ],
)
def test_bad_file_shapes(tmp_path: Path, doc: Any, expected: str) -> None:
    with pytest.raises(PromptLibraryError, match=expected) as info:
        _load_doc(tmp_path, doc)
    assert "library.json" in str(info.value)


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(PromptLibraryError, match=r"broken.json: not valid JSON \(line 2"):
        _load_doc(tmp_path, '{"version": 1,\n  "prompts": [,]}', name="broken.json")


def test_duplicate_json_keys_are_refused(tmp_path: Path) -> None:
    raw = json.dumps(_minimal_doc())
    raw = raw.replace('"depth": "light"', '"depth": "light", "depth": "deep"', 1)
    with pytest.raises(PromptLibraryError, match="duplicate key 'depth'"):
        _load_doc(tmp_path, raw)


def test_missing_or_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(PromptLibraryError, match="does not exist"):
        load_library(tmp_path / "nowhere")
    with pytest.raises(PromptLibraryError, match=r"No \*\.json"):
        load_library(tmp_path)


def test_error_is_a_value_error() -> None:
    assert issubclass(PromptLibraryError, ValueError)


# --------------------------------------------------------------------------------------------
# filter and suggest


def test_filter_by_each_dimension(library: PromptLibrary) -> None:
    personal = library.filter(category="personal")
    assert personal and all(p.category == "personal" for p in personal)
    deep = library.filter(depth="deep")
    assert deep and all(p.depth == "deep" for p in deep)
    young = library.filter(grade_band="K-2")
    assert young and all("K-2" in p.grade_bands for p in young)
    students = library.filter(side="student")
    assert students and all(CATEGORY_SIDES[p.category] == "student" for p in students)
    teachers = library.filter(side="teacher")
    assert len(students) + len(teachers) == len(library)


def test_filter_combines_and_keeps_library_order(library: PromptLibrary) -> None:
    result = library.filter(side="teacher", depth="light", grade_band="K-2")
    positions = [library.prompts.index(p) for p in result]
    assert positions == sorted(positions)
    assert result == library.filter(side="teacher", depth="light", grade_band="K-2")
    assert library.filter() == list(library.prompts)


def test_filter_excludes_ids(library: PromptLibrary) -> None:
    everything = library.filter(category="interests")
    used = {p.id for p in everything[:3]}
    remaining = library.filter(category="interests", exclude_ids=used)
    assert len(remaining) == len(everything) - 3
    assert not used & {p.id for p in remaining}


def test_filter_refuses_unknown_values_and_bare_string(library: PromptLibrary) -> None:
    with pytest.raises(PromptLibraryError, match="Unknown category"):
        library.filter(category="sports")
    with pytest.raises(PromptLibraryError, match="Unknown depth"):
        library.filter(depth="shallow")
    with pytest.raises(PromptLibraryError, match="Unknown grade band"):
        library.filter(grade_band="K-12")
    with pytest.raises(PromptLibraryError, match="Unknown side"):
        library.filter(side="parent")
    with pytest.raises(TypeError):
        library.filter(exclude_ids="personal-hobby-weekend")


def test_get(library: PromptLibrary) -> None:
    prompt = library.get("personal-hobby-weekend")
    assert prompt is not None and prompt.category == "personal"
    assert library.get("no-such-prompt") is None
    assert "personal-hobby-weekend" in library


def test_suggest_is_deterministic_for_a_seed(library: PromptLibrary) -> None:
    for seed in (0, 42, "class-7b-round-3"):
        first = library.suggest(side="student", grade_band="6-8", seed=seed)
        again = library.suggest(side="student", grade_band="6-8", seed=seed)
        assert first is not None and first == again
    picks = {library.suggest(seed=seed) for seed in range(20)}
    assert len(picks) > 1  # a seed changes the choice, it does not pin one prompt


def test_suggest_never_returns_excluded_and_none_when_exhausted(library: PromptLibrary) -> None:
    pool = library.filter(category="profound", depth="light")
    used: set[str] = set()
    for round_number in range(len(pool)):
        prompt = library.suggest(
            category="profound", depth="light", exclude_ids=used, seed=round_number
        )
        assert prompt is not None
        assert prompt.id not in used
        assert prompt.category == "profound" and prompt.depth == "light"
        used.add(prompt.id)
    assert used == {p.id for p in pool}
    assert library.suggest(category="profound", depth="light", exclude_ids=used, seed=1) is None


def test_suggest_none_when_nothing_matches(tmp_path: Path) -> None:
    lib = _load_doc(tmp_path, _minimal_doc())
    assert lib.suggest(category="personal", depth="medium", seed=3) is None


def test_library_rejects_duplicate_ids_when_built_directly() -> None:
    prompt = Prompt("a-b", "Text here", "personal", "light", ("K-2",), "helps")
    with pytest.raises(PromptLibraryError, match="Duplicate prompt id"):
        PromptLibrary(prompts=(prompt, prompt), categories={})


# --------------------------------------------------------------------------------------------
# Custom prompts


def test_custom_prompt_is_trimmed_normalised_and_flagged() -> None:
    prompt = validate_custom_prompt(
        "  Show us your favourite caf\u0065\u0301 mug!  ", "personal", "medium",
        id="custom-abc",
    )
    assert prompt.text == "Show us your favourite caf\u00e9 mug!"
    assert prompt.id == "custom-abc"
    assert prompt.custom is True
    assert prompt.category == "personal" and prompt.depth == "medium"
    assert prompt.grade_bands == GRADE_BANDS
    assert prompt.to_dict()["custom"] is True


def test_custom_prompt_defaults_and_stable_generated_id() -> None:
    first = validate_custom_prompt("What made you smile today?", None, None)
    second = validate_custom_prompt("  What made you smile today? ", None, None)
    assert first.category == "light-fun" and first.depth == "light"
    assert first.id == second.id
    assert re.fullmatch(r"custom-[0-9a-f]{16}", first.id)


def test_custom_prompt_length_limits() -> None:
    assert validate_custom_prompt("Hi?", None, None).text == "Hi?"
    assert len(validate_custom_prompt("a" * 200, None, None).text) == 200
    with pytest.raises(PromptLibraryError, match="too short"):
        validate_custom_prompt("  hi   ", None, None)
    with pytest.raises(PromptLibraryError, match="201 characters"):
        validate_custom_prompt("a" * 201, None, None)


@pytest.mark.parametrize("text", ["Line one\nline two", "Tab\there", "Bell\x07", "Flip \u202e it"])
def test_custom_prompt_refuses_control_characters(text: str) -> None:
    with pytest.raises(PromptLibraryError, match="control character"):
        validate_custom_prompt(text, None, None)


def test_custom_prompt_refuses_bad_category_depth_id_and_type() -> None:
    with pytest.raises(PromptLibraryError, match="Unknown category"):
        validate_custom_prompt("Fine text", "sports", None)
    with pytest.raises(PromptLibraryError, match="Unknown depth"):
        validate_custom_prompt("Fine text", None, "bottomless")
    with pytest.raises(PromptLibraryError, match="slug"):
        validate_custom_prompt("Fine text", None, None, id="Bad Id")
    with pytest.raises(PromptLibraryError, match="must be text"):
        validate_custom_prompt(123, None, None)  # type: ignore[arg-type]


def test_custom_prompt_grade_bands() -> None:
    prompt = validate_custom_prompt("Fine text", None, None, grade_bands=["9-12", "6-8"])
    assert prompt.grade_bands == ("6-8", "9-12")
    with pytest.raises(PromptLibraryError, match="must not be empty"):
        validate_custom_prompt("Fine text", None, None, grade_bands=[])
    with pytest.raises(PromptLibraryError, match="unknown grade band"):
        validate_custom_prompt("Fine text", None, None, grade_bands=["college"])
