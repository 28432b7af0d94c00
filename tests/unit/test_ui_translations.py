"""The interface catalogs (server/i18n/, docs/TRANSLATING.md): every shipped language has every
key the pages use, no key the pages no longer use, the English placeholders, and the plural
forms CLDR gives it; and the checker really finds each of those faults."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from server.domain.audio import MAX_RECORDING_SECONDS, check_audio
from server.domain.connections import REFLECTION_QUESTIONS
from server.domain.errors import DomainError
from server.domain.photos import process_photo
from server.domain.rotations import build_plan
from server.domain.ui_translations import (
    PLURAL_MARK,
    UI_DIRECTORY,
    UI_LANGUAGES,
    base_key,
    load_ui_catalogs,
    plural_categories,
)
from server.schemas import UiLanguage

WEB = Path(__file__).resolve().parents[2] / "web"
KEY_LIKE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$")
# t("key") / tParts("key", ...), also t(cond ? "a" : "b"): the literals in the first argument.
CALL = re.compile(r"\bt(?:Parts)?\(")
# data-i18n="key" and data-i18n-aria-label="key" in HTML, and "data-i18n": ... in JS.
HTML_ATTR = re.compile(r'data-i18n(?:-[a-z-]+)?="([^"]+)"')
JS_ATTR = re.compile(r'"data-i18n(?:-[a-z-]+)?":\s*([^,}]+)')
LITERAL = re.compile(r'"([^"\\]*)"|\'([^\'\\]*)\'')


def first_argument(source: str, start: int) -> str:
    """The text of a call's first argument, from just after its "(" (nested calls included)."""
    depth = 0
    for index in range(start, len(source)):
        char = source[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return source[start:index]
            depth -= 1
        elif char == "," and depth == 0:
            return source[start:index]
    return source[start:]


def keys_used_in_web() -> dict[str, set[str]]:
    """Every catalog key the pages use -> the files that use it."""
    used: dict[str, set[str]] = {}
    for path in sorted(WEB.rglob("*")):
        if path.suffix not in {".js", ".html"} or "vendor" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        found: list[str] = HTML_ATTR.findall(source) if path.suffix == ".html" else []
        if path.suffix == ".js":
            arguments = [first_argument(source, m.end()) for m in CALL.finditer(source)]
            for argument in arguments + JS_ATTR.findall(source):
                found += [a or b for a, b in LITERAL.findall(argument)]
        for key in found:
            if KEY_LIKE.match(key):
                used.setdefault(key, set()).add(str(path.relative_to(WEB)))
    return used


def test_the_shipped_catalogs_are_complete_current_and_consistent() -> None:
    catalogs = load_ui_catalogs(UI_DIRECTORY)
    for lang in catalogs.languages.values():
        counts = lang.counts()
        print(f"{lang.tag}: {counts['translated']} translated ({counts['reviewed']} reviewed, "
              f"{counts['draft']} draft), {counts['missing']} missing, {counts['stale']} stale")
    assert catalogs.problems() == []
    assert tuple(catalogs.languages) == tuple(sorted(UI_LANGUAGES, key=lambda t: (
        t != "en", t)))  # English first, then the files in name order
    assert set(typing.get_args(UiLanguage)) == set(UI_LANGUAGES)


def test_every_key_the_pages_use_is_in_the_catalog_and_every_catalog_key_is_used() -> None:
    english = load_ui_catalogs(UI_DIRECTORY).english
    catalog = {base_key(k) for k in english}
    used = keys_used_in_web()
    missing = {k: sorted(files) for k, files in used.items() if k not in catalog}
    unused = sorted(catalog - set(used))
    assert missing == {}, f"used in web/ but not in server/i18n/messages.pot: {missing}"
    assert unused == [], f"in server/i18n/messages.pot but no longer used in web/: {unused}"


# English written straight into a status line or an accessible name, where the page's own words
# belong: say("Imported 3 names.") / "aria-label": `Rejoin code for ${name}`. t(...) and a
# server's error message (err.message) pass; so does say("") (clearing the line).
ENGLISH_IN_CODE = re.compile(
    r"""\bsay\(\s*(?:"[^"]*[A-Za-z][^"]*"|'[^']*[A-Za-z][^']*'|`[^`]*[A-Za-z][^`]*`)"""
    r"""|"aria-label":\s*(?:"[^"]*[A-Za-z][^"]*"|`[^`]*[A-Za-z][^`]*`)""")


def english_in_code(source: str) -> list[str]:
    return [m.group(0) for m in ENGLISH_IN_CODE.finditer(source)]


def test_status_lines_and_accessible_names_built_in_js_are_translated() -> None:
    found = {str(path.relative_to(WEB)): hits for path in sorted((WEB / "js").glob("*.js"))
             if (hits := english_in_code(path.read_text(encoding="utf-8")))}
    assert found == {}, f"English in web/js (use t() and a key in messages.pot): {found}"


def test_the_english_in_code_check_finds_english() -> None:
    assert english_in_code('say(`Imported ${n} names.`, "ok")') != []
    assert english_in_code('deps.say("A prompt needs 3 characters.", "error")') != []
    assert english_in_code('h("div", { "aria-label": `Rejoin code for ${name}` })') != []
    assert english_in_code('say(t("teacher.say_imported", { count: n }), "ok"); say("")') == []
    assert english_in_code('say(err.message, "error"); h("p", { "aria-label": t("a.b") })') == []


def test_the_pages_reflection_questions_are_the_servers() -> None:
    """web/js/connections.js words the record's reflection questions from conn.reflect_1..N:
    the catalog's English must be the server's list, in order, and no more."""
    english = load_ui_catalogs(UI_DIRECTORY).english
    keys = sorted((k for k in english if k.startswith("conn.reflect_")),
                  key=lambda k: int(k.rsplit("_", 1)[1]))
    assert [english[k] for k in keys] == list(REFLECTION_QUESTIONS)


def _refusal(action: typing.Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    return caught.value


def test_server_refusals_with_a_reason_are_worded_on_the_page_as_the_server_words_them() -> None:
    """web/js/i18n.js errorText() words each `reason` from error.<reason>: every reason it knows
    has that key, and the key's English is the server's message (with its params)."""
    english = load_ui_catalogs(UI_DIRECTORY).english
    source = (WEB / "js" / "i18n.js").read_text(encoding="utf-8")
    pairs = re.findall(r'(\w+): \(\) => t\("error\.(\w+)"', source)
    assert len(pairs) >= 19 and all(reason == key for reason, key in pairs)
    refusals = [_refusal(lambda: process_photo(b"")), _refusal(lambda: process_photo(b"nope")),
                _refusal(lambda: check_audio(b"")), _refusal(lambda: check_audio(b"12345678")),
                # The request's shape is checked before anything is read: no store needed.
                _refusal(lambda: build_plan(typing.cast(typing.Any, None),
                                            typing.cast(typing.Any, None),
                                            typing.cast(typing.Any, None), size=None, rooms=None,
                                            rotations=1, minutes=5, absent=[], apart=[],
                                            together=[]))]
    for error in refusals:
        data = error.to_dict()
        assert data["reason"] in dict(pairs), data
        assert english[f"error.{data['reason']}"].format(**data.get("params", {})) == \
            data["message"]
    too_long = DomainError(f"Voice answers can be at most {MAX_RECORDING_SECONDS} seconds long.",
                           "audio_too_long", {"seconds": MAX_RECORDING_SECONDS}).to_dict()
    assert too_long["params"] == {"seconds": MAX_RECORDING_SECONDS}
    assert english["error.audio_too_long"].format(**too_long["params"]) == too_long["message"]
    assert DomainError("Plain.").to_dict() == {"code": "invalid", "message": "Plain."}


def test_english_plural_entries_have_one_and_other() -> None:
    english = load_ui_catalogs(UI_DIRECTORY).english
    for base in {base_key(k) for k in english if PLURAL_MARK in k}:
        assert {f"{base}#one", f"{base}#other"} <= set(english), base


POT = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"

msgctxt "demo.hello"
msgid "Hello, {name}!"
msgstr ""

msgctxt "demo.bye"
msgid "Goodbye"
msgstr ""

msgctxt "demo.cards#one"
msgid "{count} card"
msgstr ""

msgctxt "demo.cards#other"
msgid "{count} cards"
msgstr ""
'''

BROKEN_ES = '''msgid ""
msgstr ""
"Language: es\\n"
"Content-Type: text/plain; charset=utf-8\\n"

#, fuzzy
msgctxt "demo.hello"
msgid "Hello, {name}!"
msgstr "¡Hola, {nombre}!"

msgctxt "demo.bye"
msgid "Bye"
msgstr "Adiós"

msgctxt "demo.gone"
msgid "Old"
msgstr "Viejo"

msgctxt "demo.cards#one"
msgid "{count} card"
msgstr "una tarjeta"

msgctxt "demo.cards#other"
msgid "{count} cards"
msgstr "{count} tarjetas"
'''


def test_the_check_finds_missing_stale_unknown_and_placeholder_faults(tmp_path: Path) -> None:
    (tmp_path / "messages.pot").write_text(POT, encoding="utf-8")
    (tmp_path / "es.po").write_text(BROKEN_ES, encoding="utf-8")
    catalogs = load_ui_catalogs(tmp_path)
    spanish = catalogs.languages["es"]
    assert spanish.bad_placeholders == ("demo.hello",)  # {nombre} is not {name}
    assert spanish.stale == ("demo.bye",)  # made from "Bye", the English is now "Goodbye"
    assert spanish.unknown == ("demo.gone",)
    assert "demo.cards#many" in spanish.missing  # CLDR gives Spanish a "many" form
    assert spanish.messages["demo.cards#one"] == "una tarjeta"  # may leave the number out
    problems = catalogs.problems()
    assert any("demo.hello has placeholders" in p for p in problems)
    assert any("stale entry demo.bye" in p for p in problems)
    # What the browser gets: every key, English where the translation cannot be used.
    bundle = catalogs.bundle("es")["messages"]
    assert bundle["demo.hello"] == "Hello, {name}!" and bundle["demo.bye"] == "Goodbye"
    assert bundle["demo.cards#many"] == "{count} cards"


def test_language_resolution_follows_the_browsers_list() -> None:
    catalogs = load_ui_catalogs(UI_DIRECTORY)
    assert catalogs.resolve(["es-MX", "en"]) == "es"
    assert catalogs.resolve(["fr-FR", "zh-CN"]) == "zh-Hans"
    assert catalogs.resolve(["zh-TW"]) == "en"
    assert catalogs.resolve(["AR"]) == "ar"
    assert catalogs.resolve([""]) == "en"
    bundle = catalogs.bundle("ar")
    assert bundle["dir"] == "rtl" and bundle["lang"] == "ar"
    assert next(m["tag"] for m in bundle["languages"]) == "en"


@pytest.mark.parametrize("tag", UI_LANGUAGES)
def test_plural_categories_match_cldr(tag: str) -> None:
    assert "other" in plural_categories(tag)
