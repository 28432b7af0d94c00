"""The interface's own words (buttons, labels, messages) in every shipped language.

gettext catalogs under ``server/i18n/``: ``messages.pot`` is the English source, one
``<tag>.po`` per language. Each entry's ``msgctxt`` is the key the pages use
(``t("round.teacher_asks")`` in web/js, ``data-i18n="round.teacher_asks"`` in web/*.html),
``msgid`` the English and ``msgstr`` the translation: a translation platform shows translators
the English beside the key, and an English edit makes the entry *stale* (served in English)
until it is translated again, exactly as for the prompt library (prompt_translations.py).

Plurals follow Unicode CLDR, as the browser's ``Intl.PluralRules`` does: a message that counts
has one entry per plural category, ``<key>#one``, ``<key>#other`` ... and each language has
exactly the categories CLDR gives it (Arabic six, Chinese one). Placeholders are ``{name}``.

The browser gets one language as JSON (``GET /api/i18n``), every key filled in: the
translation, else the English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

from server.domain.prompt_translations import _ALIASES, MAX_TAG_LENGTH

SOURCE_LANGUAGE = "en"
# Every language the interface ships, English first; a seat's or a class's language must be
# one of these (server/schemas.py). Each needs server/i18n/<tag>.po.
UI_LANGUAGES = ("en", "es", "ar", "zh-Hans", "vi", "uk")
TEMPLATE = "messages.pot"
UI_DIRECTORY = Path(__file__).resolve().parent.parent / "i18n"
PLURAL_MARK = "#"
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_KEY = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+(?:#(?:zero|one|two|few|many|other))?")


class UiCatalogError(ValueError):
    """A catalog file the server cannot use (start-up refuses it)."""


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def base_key(key: str) -> str:
    return key.split(PLURAL_MARK, 1)[0]


def plural_categories(tag: str) -> tuple[str, ...]:
    """CLDR plural categories of a language, in CLDR order (what Intl.PluralRules selects)."""
    order = ("zero", "one", "two", "few", "many", "other")
    tags = Locale.parse(tag, sep="-").plural_form.tags | {"other"}
    return tuple(c for c in order if c in tags)


@dataclass(frozen=True)
class UiLanguage:
    tag: str
    name: str  # the language's own name for the menu: "español", "العربية"
    direction: str  # "ltr" or "rtl"
    messages: Mapping[str, str]  # key -> translation (only translated, current entries)
    drafts: frozenset[str] = frozenset()  # keys whose translation is a draft (fuzzy)
    missing: tuple[str, ...] = ()  # keys the language needs and has no current translation for
    stale: tuple[str, ...] = ()  # entries made from English that has changed since
    unknown: tuple[str, ...] = ()  # entries for keys that are not in the English any more
    bad_placeholders: tuple[str, ...] = ()  # translations whose {placeholders} differ

    def counts(self) -> dict[str, int]:
        return {"translated": len(self.messages), "draft": len(self.drafts),
                "reviewed": len(self.messages) - len(self.drafts),
                "missing": len(self.missing), "stale": len(self.stale)}


@dataclass(frozen=True)
class UiCatalogs:
    english: Mapping[str, str] = field(default_factory=dict)  # key -> English
    languages: Mapping[str, UiLanguage] = field(default_factory=dict)  # includes "en"

    def resolve(self, wanted: Iterable[str]) -> str:
        """The first shipped language that serves one of ``wanted`` (BCP 47 tags, best first):
        exact (any case), a known alias ("zh-CN"), then a shorter prefix ("es-MX"); else en."""
        by_folded = {t.casefold(): t for t in self.languages}
        for tag in wanted:
            parts = tag.strip().replace("_", "-").casefold().split("-")
            whole = "-".join(parts)
            candidates = [whole, _ALIASES.get(whole, "").casefold()]
            candidates += ["-".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]
            for candidate in candidates:
                if candidate and candidate in by_folded:
                    return by_folded[candidate]
        return SOURCE_LANGUAGE

    def menu(self) -> list[dict[str, str]]:
        return [{"tag": lang.tag, "name": lang.name, "dir": lang.direction}
                for lang in self.languages.values()]

    def bundle(self, tag: str) -> dict[str, Any]:
        """One language for the browser: every key, translated or else in English."""
        lang = self.languages[tag]
        messages = {k: lang.messages.get(k, text) for k, text in self.english.items()
                    if PLURAL_MARK not in k}
        for base in sorted({base_key(k) for k in self.english if PLURAL_MARK in k}):
            for category in plural_categories(tag):
                key = f"{base}#{category}"
                messages[key] = lang.messages.get(key) or self.english.get(
                    key, self.english[f"{base}#other"])
        return {"lang": tag, "dir": lang.direction, "name": lang.name,
                "draft": bool(lang.drafts), "messages": messages, "languages": self.menu()}

    def problems(self) -> list[str]:
        """What the shipped catalogs must not have (the unit test lists these)."""
        found = [f"{tag}: no file server/i18n/{tag}.po" for tag in UI_LANGUAGES
                 if tag not in self.languages]
        for lang in self.languages.values():
            found += [f"{lang.tag}: no translation for {k}" for k in lang.missing]
            found += [f"{lang.tag}: stale entry {k} (the English changed)" for k in lang.stale]
            found += [f"{lang.tag}: entry {k} is not in messages.pot" for k in lang.unknown]
            found += [f"{lang.tag}: {k} has placeholders that differ from the English"
                      for k in lang.bad_placeholders]
        return found


def language_info(tag: str) -> tuple[str, str]:
    locale = Locale.parse(tag, sep="-")
    name = locale.display_name or tag
    return name[:1].upper() + name[1:], locale.text_direction


def _read(path: Path) -> Catalog:
    try:
        with path.open("rb") as handle:
            return read_po(handle, abort_invalid=True, charset="utf-8")
    except (OSError, UnicodeDecodeError, PoFileError, ValueError) as exc:
        raise UiCatalogError(f"server/i18n/{path.name}: not a readable UTF-8 PO file: {exc}"
                             ) from exc


def _entries(path: Path) -> list[tuple[str, str, str, bool]]:
    """(key, English, translation, fuzzy) for each entry of a PO/POT file."""
    out = []
    seen: set[str] = set()
    for message in _read(path):
        if not message.id:
            continue
        key = message.context or ""
        if not isinstance(message.id, str) or not isinstance(message.string, str):
            raise UiCatalogError(f"server/i18n/{path.name}: {key}: use <key>#<category> "
                                 "entries for plurals, not msgid_plural.")
        if not _KEY.fullmatch(key):
            raise UiCatalogError(f"server/i18n/{path.name}: msgctxt {key!r} is not a key such "
                                 "as 'round.teacher_asks' or 'roster.count#one'.")
        if key in seen:
            raise UiCatalogError(f"server/i18n/{path.name}: two entries for {key!r}.")
        seen.add(key)
        out.append((key, message.id, message.string, message.fuzzy))
    return out


def load_ui_catalogs(directory: Path) -> UiCatalogs:
    """Read messages.pot and every <tag>.po. Refuses unreadable files; everything else that
    is wrong (missing, stale, unknown keys, placeholders) falls back to English here and is
    reported by ``problems()``."""
    directory = Path(directory)
    english = {key: text for key, text, _, _ in _entries(directory / TEMPLATE)}
    name, direction = language_info(SOURCE_LANGUAGE)
    languages = {SOURCE_LANGUAGE: UiLanguage(SOURCE_LANGUAGE, name, direction,
                                             MappingProxyType(dict(english)))}
    plural_bases = {base_key(k) for k in english if PLURAL_MARK in k}
    for path in sorted(directory.glob("*.po")):
        tag = path.stem
        if len(tag) > MAX_TAG_LENGTH:
            raise UiCatalogError(f"server/i18n/{path.name}: not a language tag.")
        name, direction = language_info(tag)
        needed = [k for k in english if PLURAL_MARK not in k]
        needed += [f"{b}#{c}" for b in sorted(plural_bases) for c in plural_categories(tag)]
        messages: dict[str, str] = {}
        drafts: set[str] = set()
        stale, unknown, bad = [], [], []
        for key, source, text, fuzzy in _entries(path):
            base = base_key(key)
            source_key = key if key in english else f"{base}#other"
            if key not in needed or source_key not in english:
                unknown.append(key)
                continue
            if source != english[source_key]:
                stale.append(key)
                continue
            if not text:
                continue
            want = placeholders(english[source_key])
            if PLURAL_MARK in key:
                # A plural form may leave the number out ("one card"), nothing else.
                ok = placeholders(text) - {"{count}"} == want - {"{count}"}
            else:
                ok = placeholders(text) == want
            if not ok:
                bad.append(key)
                continue
            messages[key] = text
            if fuzzy:
                drafts.add(key)
        missing = tuple(k for k in needed if k not in messages and k not in stale
                        and k not in bad)
        languages[tag] = UiLanguage(tag, name, direction, MappingProxyType(messages),
                                    frozenset(drafts), missing, tuple(stale), tuple(unknown),
                                    tuple(bad))
    return UiCatalogs(MappingProxyType(english), MappingProxyType(languages))
