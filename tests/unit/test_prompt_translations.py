"""Prompt translations (prompts/i18n/*.po): the shipped files, the checks that refuse broken
ones, the update tool, and a prompt served in a language with its English original."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from server.cli import main as cli_main
from server.domain.errors import NotFound
from server.domain.prompt_translations import (
    SHIPPED_LANGUAGES,
    LanguageCatalog,
    PromptTranslations,
    Translation,
    load_translations,
    localized_prompt,
    placeholders,
    update_files,
)
from server.domain.prompts import (
    DEFAULT_PROMPTS_DIR,
    PromptLibrary,
    PromptLibraryError,
    load_library,
    validate_custom_prompt,
)

I18N = DEFAULT_PROMPTS_DIR / "i18n"


@pytest.fixture(scope="module")
def library() -> PromptLibrary:
    return load_library(DEFAULT_PROMPTS_DIR)


@pytest.fixture(scope="module")
def shipped(library: PromptLibrary) -> PromptTranslations:
    return load_translations(I18N, library)


# --------------------------------------------------------------------------------------------
# The shipped files


def test_every_shipped_language_covers_every_prompt_and_reports_its_counts(
    library: PromptLibrary, shipped: PromptTranslations, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every prompt's text and starter has an entry in every shipped language, made from the
    current English; 'not yet' (empty) entries are allowed, counted and reported."""
    strings = len(library) + sum(p.starter is not None for p in library)
    with capsys.disabled():
        print("\n[prompt translations] " + "\n[prompt translations] ".join(shipped.summary()))
    assert shipped.problems() == []
    assert set(SHIPPED_LANGUAGES) <= set(shipped.languages)
    for catalog in shipped.languages.values():
        counts = catalog.counts()
        assert counts["strings"] == strings, catalog.tag
        assert counts["translated"] + counts["not_yet"] == strings, catalog.tag
        assert len(catalog.entries) == strings, catalog.tag


def test_shipped_files_are_what_the_update_tool_writes(tmp_path: Path) -> None:
    """A translator's editor may rewrap lines; the shipped files stay in the one canonical
    form, so that a review diff shows only real changes."""
    prompts = _copy_prompts(tmp_path)
    rewritten = update_files(prompts / "i18n", load_library(prompts))
    assert rewritten == [], (
        f"{rewritten}: run `rapport prompt-translations update` and commit the result")


def test_the_check_command_passes_on_the_shipped_files(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_main(["prompt-translations", "check"]) == 0
    out = capsys.readouterr().out
    assert all(f"{tag}: " in out for tag in SHIPPED_LANGUAGES)


def test_shipped_translations_keep_blanks_and_are_honestly_marked_draft(
    shipped: PromptTranslations, library: PromptLibrary
) -> None:
    """Placeholders are checked at load; here, what loading cannot know: nothing is marked
    reviewed until a native speaker has reviewed it (docs/TRANSLATING.md)."""
    for catalog in shipped.languages.values():
        for (prompt_id, field_name), translation in catalog.entries.items():
            assert translation.status in ("draft", "not-yet"), (catalog.tag, prompt_id)
            prompt = library.get(prompt_id)
            assert prompt is not None
            if translation.text is not None:
                english = prompt.text if field_name == "text" else prompt.starter
                assert english is not None
                assert placeholders(translation.text) == placeholders(english)
                assert translation.text != english, (catalog.tag, prompt_id, field_name)


# --------------------------------------------------------------------------------------------
# What the checks refuse: each test breaks a copy of the shipped Spanish file one way


def _copy_prompts(tmp_path: Path, pattern: str = "*.po") -> Path:
    prompts = tmp_path / "prompts"
    (prompts / "i18n").mkdir(parents=True)
    shutil.copy(DEFAULT_PROMPTS_DIR / "library.json", prompts / "library.json")
    for path in I18N.glob(pattern):
        shutil.copy(path, prompts / "i18n" / path.name)
    return prompts


def _spanish_only(tmp_path: Path) -> tuple[Path, Path]:
    prompts = _copy_prompts(tmp_path, "es.po")
    return prompts, prompts / "i18n" / "es.po"


def _entry(po: str, context: str) -> tuple[int, int]:
    """Start and end offsets of the entry with this msgctxt, its comments included."""
    at = po.index(f'msgctxt "{context}"')
    start = po.rindex("\n\n", 0, at) + 2
    end = po.find("\n\n", at)
    return start, len(po) if end == -1 else end + 2


def _load(prompts: Path) -> PromptTranslations:
    return load_translations(prompts / "i18n", load_library(prompts))


def test_a_file_that_lacks_a_prompt_fails_the_check(tmp_path: Path) -> None:
    prompts, es = _spanish_only(tmp_path)
    po = es.read_text(encoding="utf-8")
    start, end = _entry(po, "personal-hobby-weekend|starter")
    es.write_text(po[:start] + po[end:], encoding="utf-8")
    loaded = _load(prompts)
    assert loaded.problems(required=["es"]) == ["es: no entry for personal-hobby-weekend|starter"]
    assert loaded.languages["es"].counts()["missing"] == 1
    assert cli_main(["prompt-translations", "check", "--prompts", str(prompts)]) == 1


def test_a_shipped_language_without_a_file_fails_the_check(tmp_path: Path) -> None:
    prompts, _ = _spanish_only(tmp_path)
    assert "ar: no file prompts/i18n/ar.po" in _load(prompts).problems()


def test_an_entry_for_a_prompt_that_no_longer_exists_is_refused(tmp_path: Path) -> None:
    prompts, es = _spanish_only(tmp_path)
    po = es.read_text(encoding="utf-8")
    es.write_text(po + '\n#, fuzzy\nmsgctxt "light-fun-retired-prompt|text"\n'
                  'msgid "An old prompt."\nmsgstr "Una pregunta antigua."\n', encoding="utf-8")
    with pytest.raises(PromptLibraryError, match="light-fun-retired-prompt"):
        _load(prompts)


@pytest.mark.parametrize("broken, why", [
    ("Ahora mismo estoy aprendiendo a", "no blank"),
    ("Ahora mismo estoy aprendiendo a … y …", "ellipsis character instead of three dots"),
    ("Ahora mismo estoy aprendiendo a ... y ...", "one blank too many"),
    ("Ahora mismo estoy aprendiendo a {algo}", "a placeholder English does not have"),
])
def test_placeholders_that_differ_from_english_are_refused(
    tmp_path: Path, broken: str, why: str
) -> None:
    prompts, es = _spanish_only(tmp_path)
    po = es.read_text(encoding="utf-8")
    good = 'msgstr "Ahora mismo estoy aprendiendo a ..."'
    assert good in po
    es.write_text(po.replace(good, f'msgstr "{broken}"'), encoding="utf-8")
    with pytest.raises(PromptLibraryError, match=r"professional-learning-right-now\|starter.*"
                                                 r"placeholders"):
        _load(prompts)


@pytest.mark.parametrize("msgstr, match", [
    ("Hola\\u202e", "placeholders|control"),
    ("  ¿Qué estás aprendiendo?", "leading or trailing"),
    ("x" * 301, "limit is 300"),
])
def test_bad_translation_text_is_refused(tmp_path: Path, msgstr: str, match: str) -> None:
    prompts, es = _spanish_only(tmp_path)
    po = es.read_text(encoding="utf-8")
    start, end = _entry(po, "school-learn-best|text")
    entry = po[start:end]
    replaced = entry[:entry.index("msgstr ")] + f'msgstr "{msgstr}"\n\n'
    es.write_text(po[:start] + replaced.replace("\\u202e", "\u202e") + po[end:],
                  encoding="utf-8")
    with pytest.raises(PromptLibraryError, match=match):
        _load(prompts)


@pytest.mark.parametrize("edit, match", [
    (lambda po: po.replace('"Language: es\\n"', '"Language: pt\\n"'), "Language header"),
    (lambda po: po.replace('msgctxt "school-learn-best|text"', 'msgctxt "school-learn-best"'),
     "msgctxt must be"),
    (lambda po: po.replace('msgctxt "school-learn-best|text"',
                           'msgctxt "school-enjoyed-subject|text"'), "two entries"),
    (lambda po: po + 'msgid "unterminated\n', "not a readable"),
])
def test_malformed_files_are_refused(tmp_path: Path, edit: object, match: str) -> None:
    prompts, es = _spanish_only(tmp_path)
    assert callable(edit)
    es.write_text(edit(es.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(PromptLibraryError, match=match):
        _load(prompts)


@pytest.mark.parametrize("name, match", [
    ("en.po", "English is the source"), ("spanish.po", "BCP 47"), ("qq.po", "unknown language"),
])
def test_badly_named_files_are_refused(tmp_path: Path, name: str, match: str) -> None:
    prompts, es = _spanish_only(tmp_path)
    es.rename(es.with_name(name))
    with pytest.raises(PromptLibraryError, match=match):
        _load(prompts)


def test_changed_english_makes_an_entry_stale_and_students_see_english(tmp_path: Path) -> None:
    prompts, _ = _spanish_only(tmp_path)
    library_json = prompts / "library.json"
    old = "What is the best snack for watching a movie?"
    new = "What is the best snack for watching a film?"
    library_json.write_text(library_json.read_text(encoding="utf-8").replace(old, new),
                            encoding="utf-8")
    loaded = _load(prompts)
    assert loaded.problems(required=["es"]) == [
        "es: stale entry light-fun-best-snack|text (the English changed)"]
    prompt = load_library(prompts).get("light-fun-best-snack")
    assert prompt is not None
    shown = loaded.localize(prompt, "es")
    assert shown["text"] == {"lang": "en", "dir": "ltr", "text": new, "status": "not-yet"}
    assert shown["starter"]["lang"] == "es"  # the unchanged starter is still served


# --------------------------------------------------------------------------------------------
# The update tool


def test_update_follows_the_library_and_keeps_earlier_work_for_the_translator(
    tmp_path: Path,
) -> None:
    prompts, es = _spanish_only(tmp_path)
    library_json = prompts / "library.json"
    text = library_json.read_text(encoding="utf-8")
    text = text.replace("What is the best snack for watching a movie?",
                        "What is the best snack for watching a film?")
    text = text.replace('"id": "light-fun-ten-second-cat"', '"id": "light-fun-ten-second-dog"')
    library_json.write_text(text, encoding="utf-8")
    library = load_library(prompts)

    notes = update_files(prompts / "i18n", library, new_tags=["fr"])
    assert "fr: new file, 308 entries to translate" in notes
    assert any("light-fun-best-snack|text: the English changed" in n for n in notes)
    assert any("light-fun-ten-second-dog|text: new" in n for n in notes)
    assert any("light-fun-ten-second-cat|text: no such prompt" in n for n in notes)

    loaded = load_translations(prompts / "i18n", library)
    assert loaded.problems(required=["es", "fr"]) == []
    spanish = loaded.languages["es"]
    assert spanish.get("light-fun-best-snack", "text") == Translation(None, "not-yet")
    assert spanish.get("light-fun-best-snack", "starter").status == "draft"
    assert loaded.languages["fr"].counts()["not_yet"] == 308
    po = es.read_text(encoding="utf-8")
    assert "# Earlier English: What is the best snack for watching a movie?" in po
    assert "# Earlier translation: ¿Cuál es la mejor merienda para ver una película?" in po
    assert update_files(prompts / "i18n", library) == []  # a second run changes nothing


# --------------------------------------------------------------------------------------------
# A prompt in a language, with the English original


def _one_language(tag: str, direction: str, text: str | None, status: str
                  ) -> PromptTranslations:
    return PromptTranslations({tag: LanguageCatalog(
        tag=tag, name=tag, direction=direction,
        entries={("personal-hobby-weekend", "text"): Translation(text, status)})})


def test_a_prompt_comes_in_the_language_with_the_english_original(
    library: PromptLibrary, shipped: PromptTranslations
) -> None:
    shown = localized_prompt(library, shipped, "personal-hobby-weekend", "es-MX")
    prompt = library.get("personal-hobby-weekend")
    assert prompt is not None
    assert shown["lang"] == "es"
    assert shown["text"]["lang"] == "es" and shown["text"]["dir"] == "ltr"
    assert shown["text"]["status"] == "draft"
    assert shown["text"]["text"].startswith("¿Qué te gusta hacer")
    assert shown["starter"]["text"].endswith("...")
    assert shown["original"] == {"lang": "en", "text": prompt.text, "starter": prompt.starter}


def test_right_to_left_languages_say_so_and_untranslated_pieces_fall_back_to_english(
    library: PromptLibrary,
) -> None:
    arabic = _one_language("ar", "rtl", "ماذا تحب أن تفعل في عطلة نهاية الأسبوع؟", "reviewed")
    shown = localized_prompt(library, arabic, "personal-hobby-weekend", "ar")
    assert shown["text"] == {"lang": "ar", "dir": "rtl", "status": "reviewed",
                             "text": "ماذا تحب أن تفعل في عطلة نهاية الأسبوع؟"}
    assert shown["starter"] == {"lang": "en", "dir": "ltr", "status": "not-yet",
                                "text": "On a free weekend I like to ..."}


def test_english_and_unknown_languages_get_the_english_prompt(
    library: PromptLibrary, shipped: PromptTranslations
) -> None:
    for tag in (None, "", "en", "en-GB", "xx", "zh-TW", "not a tag"):
        shown = localized_prompt(library, shipped, "personal-hobby-weekend", tag)
        assert shown["lang"] == "en", tag
        assert shown["text"]["status"] == "source"


@pytest.mark.parametrize("asked, served", [
    ("es", "es"), ("ES", "es"), ("es-419", "es"), ("es_MX", "es"), ("zh-Hans", "zh-Hans"),
    ("zh-hans-CN", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh", "zh-Hans"), ("zh-TW", "en"),
    ("zh-Hant", "en"), ("ar-EG", "ar"), ("uk-UA", "uk"), ("vi", "vi"), ("fr", "en"),
])
def test_browser_language_tags_resolve_to_a_shipped_language(
    shipped: PromptTranslations, asked: str, served: str
) -> None:
    assert shipped.resolve(asked) == served


def test_a_teacher_prompt_is_shown_as_written_and_unknown_ids_are_not_found(
    library: PromptLibrary, shipped: PromptTranslations
) -> None:
    custom = validate_custom_prompt("¿Cuál es tu canción favorita?")
    shown = shipped.localize(custom, "es")
    assert shown["text"] == {"lang": None, "dir": "auto", "status": "custom",
                             "text": "¿Cuál es tu canción favorita?"}
    assert shown["original"]["lang"] is None
    with pytest.raises(NotFound):
        localized_prompt(library, shipped, "no-such-prompt", "es")


def test_the_server_refuses_to_start_with_a_broken_translation(tmp_path: Path) -> None:
    """create_app checks the files beside the library, before it opens the store."""
    from server.app import create_app
    from server.config import Config

    prompts, es = _spanish_only(tmp_path)
    po = es.read_text(encoding="utf-8")
    es.write_text(po.replace('msgstr "Ahora mismo estoy aprendiendo a ..."',
                             'msgstr "Ahora mismo estoy aprendiendo a"'), encoding="utf-8")
    config = Config(secret_key="x" * 32, async_mode="threading", store_mode="memory",
                    prompts_dir=prompts, testing=True)
    with pytest.raises(PromptLibraryError, match=r"i18n/es\.po.*professional-learning-right-now"):
        create_app(config)
