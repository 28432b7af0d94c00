"""Translations of the prompt library: one gettext PO file per language under ``prompts/i18n/``.

PO is what translation platforms and editors (Weblate, Pontoon, Crowdin, Poedit, Lokalize) read
and write, so translators never touch JSON. Every prompt has one entry for its text and one for
its sentence starter; ``msgctxt`` says which (``<prompt id>|text``, ``<prompt id>|starter``) and
``msgid`` is the English the translation was made from. Keeping that English in the file is how
an English edit is noticed: the entry becomes *stale* and is not shown until it is re-translated.

Review status, per entry (docs/TRANSLATING.md):

- ``reviewed``: a translation without the ``fuzzy`` flag; a native speaker checked it.
- ``draft``: a translation flagged ``fuzzy``, e.g. machine-written, not yet reviewed. It is
  usable (a draft helps a newcomer more than English does) but says so.
- ``not-yet``: an empty ``msgstr``; students see the English.

``load_translations`` runs at start-up beside ``load_library`` and refuses broken files (an entry
for a prompt that does not exist, placeholders that differ from English, control characters);
missing and stale entries only fall back to English there, and the unit tests refuse them.
``rapport prompt-translations update`` rewrites the files to match the library.

Size: reading, checking and writing one file format (PO for prompts), just over the limit;
split apart, the reader and the writer of the same format would drift.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po, write_po

from server.domain.errors import NotFound
from server.domain.prompts import Prompt, PromptLibrary, PromptLibraryError, _text_problem

SOURCE_LANGUAGE = "en"
# The languages Rapport ships (issue 14); the tests require a file for each. Any other
# ``<tag>.po`` a contributor adds is loaded the same way.
SHIPPED_LANGUAGES = ("es", "ar", "zh-Hans", "vi", "uk")
FIELDS = ("text", "starter")
STATUSES = ("reviewed", "draft", "not-yet")
# Translations run longer than English (Spanish and Vietnamese by a third or more).
MAX_TRANSLATION_LENGTH = 300
PO_WIDTH = 76
MAX_TAG_LENGTH = 35  # the longest BCP 47 tag anyone needs, with room to spare

# BCP 47 as browsers send it: language, optional script, optional region ("zh-Hans", "es-MX").
_TAG_PATTERN = re.compile(r"[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?")
# A "..." in a starter is a blank the student fills in; {name}-style fields are placeholders
# too, should a prompt ever get one. Translations must keep the same ones.
_PLACEHOLDER = re.compile(r"\.\.\.|\{[^{}]*\}")
# Browsers say "zh-CN" or "zh-SG" for Simplified Chinese far more often than "zh-Hans".
_ALIASES = MappingProxyType({"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans"})

_HEADER_COMMENT = """\
# {name} translations of the Rapport prompt library (prompts/library.json).
# How to translate, review and check: docs/TRANSLATING.md.
# Review status per entry: "#, fuzzy" = draft, not yet reviewed by a native
# speaker; no flag = reviewed; empty msgstr = not yet translated (students
# see the English)."""
_STARTER_NOTE = (
    'Sentence starter for the prompt above, for language learners. Each "..." is a blank '
    'the student fills in: keep every "..." (three dots), moved to where it fits.'
)


def placeholders(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text))


@dataclass(frozen=True)
class Translation:
    text: str | None  # None while not yet translated
    status: str  # one of STATUSES


@dataclass(frozen=True)
class LanguageCatalog:
    """One language's translations, checked against the library it was loaded with."""

    tag: str
    name: str  # the language's own name, for a language menu: "español", "العربية"
    direction: str  # "ltr" or "rtl"
    entries: Mapping[tuple[str, str], Translation]  # (prompt id, field) -> current translation
    missing: tuple[tuple[str, str], ...] = ()  # library strings with no entry at all
    stale: tuple[tuple[str, str], ...] = ()  # entries made from English that has changed since

    def get(self, prompt_id: str, field_name: str) -> Translation:
        return self.entries.get((prompt_id, field_name), Translation(None, "not-yet"))

    def counts(self) -> dict[str, int]:
        statuses = Counter(t.status for t in self.entries.values())
        reviewed, draft = statuses["reviewed"], statuses["draft"]
        return {
            "strings": len(self.entries) + len(self.missing) + len(self.stale),
            "translated": reviewed + draft,
            "reviewed": reviewed,
            "draft": draft,
            # Everything students see in English: empty, missing and stale entries alike.
            "not_yet": statuses["not-yet"] + len(self.missing) + len(self.stale),
            "missing": len(self.missing),
            "stale": len(self.stale),
        }

    def summary(self) -> str:
        c = self.counts()
        return (f"{self.tag}: {c['translated']}/{c['strings']} translated "
                f"({c['reviewed']} reviewed, {c['draft']} draft), {c['not_yet']} not yet "
                f"({c['missing']} missing, {c['stale']} stale)")


@dataclass(frozen=True)
class PromptTranslations:
    languages: Mapping[str, LanguageCatalog] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", MappingProxyType(dict(self.languages)))

    def resolve(self, tag: str | None) -> str:
        """The loaded language that best serves a BCP 47 tag, else English.

        Case-insensitive exact match first, then a known alias ("zh-CN"), then shorter
        prefixes ("es-MX" -> "es"). "zh-TW" does not fall back to Simplified Chinese.
        """
        if not tag:
            return SOURCE_LANGUAGE
        parts = tag.strip().replace("_", "-").casefold().split("-")
        by_folded = {t.casefold(): t for t in self.languages}
        candidates = ["-".join(parts), _ALIASES.get("-".join(parts), "").casefold()]
        candidates += ["-".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]
        for candidate in candidates:
            if candidate in by_folded:
                return by_folded[candidate]
        return SOURCE_LANGUAGE

    def localize(self, prompt: Prompt, tag: str | None) -> dict[str, Any]:
        """A prompt and its starter in a language, each with its own lang/dir/status, and the
        English original. Missing pieces fall back to English, marked ``not-yet``; a
        teacher's own prompt is shown as written (its language is unknown: use dir="auto")."""
        lang = self.resolve(tag)
        catalog = self.languages.get(lang)

        def piece(field_name: str, english: str | None) -> dict[str, Any] | None:
            if english is None:
                return None
            if prompt.custom:
                return {"lang": None, "dir": "auto", "text": english, "status": "custom"}
            if catalog is None:
                return {"lang": SOURCE_LANGUAGE, "dir": "ltr", "text": english,
                        "status": "source"}
            found = catalog.get(prompt.id, field_name)
            if found.text is None:
                return {"lang": SOURCE_LANGUAGE, "dir": "ltr", "text": english,
                        "status": "not-yet"}
            return {"lang": lang, "dir": catalog.direction, "text": found.text,
                    "status": found.status}

        return {
            "id": prompt.id,
            "lang": lang,
            "text": piece("text", prompt.text),
            "starter": piece("starter", prompt.starter),
            "original": {"lang": None if prompt.custom else SOURCE_LANGUAGE,
                         "text": prompt.text, "starter": prompt.starter},
        }

    def summary(self) -> list[str]:
        return [catalog.summary() for catalog in self.languages.values()]

    def problems(self, required: Iterable[str] = SHIPPED_LANGUAGES) -> list[str]:
        """What the shipped files must not have, beyond what loading refuses: a required
        language without a file, library strings without an entry, stale entries."""
        found = [f"{tag}: no file prompts/i18n/{tag}.po" for tag in required
                 if tag not in self.languages]
        for catalog in self.languages.values():
            found += [f"{catalog.tag}: no entry for {context_of(*key)}" for key in catalog.missing]
            found += [f"{catalog.tag}: stale entry {context_of(*key)} (the English changed)"
                      for key in catalog.stale]
        return found


def localized_prompt(library: PromptLibrary, translations: PromptTranslations, prompt_id: str,
                     lang: str | None) -> dict[str, Any]:
    """A library prompt in a language with the English original (see ``localize``)."""
    prompt = library.get(prompt_id)
    if prompt is None:
        raise NotFound("There is no prompt with that id in the library.")
    return translations.localize(prompt, lang)


def library_strings(library: PromptLibrary) -> Iterator[tuple[str, str, str]]:
    """(prompt id, field, English) for every translatable string, in library order."""
    for prompt in library:
        yield prompt.id, "text", prompt.text
        if prompt.starter is not None:
            yield prompt.id, "starter", prompt.starter


def context_of(prompt_id: str, field_name: str) -> str:
    return f"{prompt_id}|{field_name}"


# --------------------------------------------------------------------------------------------
# Loading and checking


def language_info(tag: str, where: str) -> tuple[str, str]:
    """(own name, direction) of a BCP 47 tag; refuses tags that are not a known language."""
    if tag == SOURCE_LANGUAGE or tag.startswith(SOURCE_LANGUAGE + "-"):
        raise PromptLibraryError(f"{where}: English is the source language (library.json).")
    if not _TAG_PATTERN.fullmatch(tag):
        raise PromptLibraryError(
            f"{where}: name the file by its BCP 47 language tag, such as es.po or zh-Hans.po."
        )
    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError) as exc:
        raise PromptLibraryError(f"{where}: unknown language {tag!r}.") from exc
    return locale.display_name or tag, locale.text_direction


def load_translations(directory: Path, library: PromptLibrary) -> PromptTranslations:
    """Read and check every ``<tag>.po`` in ``directory`` (none, or no directory, is fine)."""
    directory = Path(directory)
    if not directory.is_dir():
        return PromptTranslations()
    return PromptTranslations({
        catalog.tag: catalog
        for catalog in (load_language(path, library) for path in sorted(directory.glob("*.po")))
    })


def read_catalog(path: Path) -> Catalog:
    where = f"i18n/{path.name}"
    try:
        with path.open("rb") as handle:
            return read_po(handle, abort_invalid=True, charset="utf-8")
    except (OSError, UnicodeDecodeError, PoFileError, ValueError) as exc:
        raise PromptLibraryError(f"{where}: not a readable UTF-8 PO file: {exc}") from exc


def load_language(path: Path, library: PromptLibrary) -> LanguageCatalog:
    where = f"i18n/{path.name}"
    tag = path.stem
    name, direction = language_info(tag, where)
    catalog = read_catalog(path)
    if catalog.locale_identifier != tag.replace("-", "_"):
        raise PromptLibraryError(
            f"{where}: the Language header must be {tag.replace('-', '_')!r} "
            f"(the file name), got {catalog.locale_identifier!r}."
        )
    english = {(pid, f): text for pid, f, text in library_strings(library)}
    entries: dict[tuple[str, str], Translation] = {}
    stale: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for message in catalog:
        if not message.id:
            continue  # the header entry
        key, translation = _check_message(where, message, english)
        if key in seen:
            raise PromptLibraryError(f"{where}: two entries for msgctxt {message.context!r}.")
        seen.add(key)
        if message.id != english[key]:
            stale.append(key)
        else:
            entries[key] = translation
    missing = tuple(key for key in english if key not in seen)
    return LanguageCatalog(tag=tag, name=name, direction=direction,
                           entries=MappingProxyType(entries), missing=missing, stale=tuple(stale))


def _check_message(where: str, message: Message, english: Mapping[tuple[str, str], str]
                   ) -> tuple[tuple[str, str], Translation]:
    here = f"{where}: msgctxt {message.context!r}"
    if not isinstance(message.id, str) or not isinstance(message.string, str):
        raise PromptLibraryError(f"{here}: prompts have no plural forms.")
    prompt_id, _, field_name = (message.context or "").rpartition("|")
    if field_name not in FIELDS or not prompt_id:
        raise PromptLibraryError(
            f"{where}: msgctxt must be '<prompt id>|text' or '<prompt id>|starter', "
            f"got {message.context!r} (msgid {message.id!r})."
        )
    key = (prompt_id, field_name)
    if key not in english:
        what = "prompt" if field_name == "text" else "prompt with a starter"
        raise PromptLibraryError(
            f"{here}: there is no {what} with id {prompt_id!r} in the library (removed or "
            "renamed?). Run `rapport prompt-translations update` to drop it."
        )
    text = message.string
    if not text:
        return key, Translation(None, "not-yet")
    problem = _text_problem(text)
    if problem:
        raise PromptLibraryError(f"{here}: the translation {problem}.")
    if unicodedata.normalize("NFC", text).strip() != text:
        raise PromptLibraryError(
            f"{here}: the translation must be NFC-normalised, without leading or trailing "
            "spaces."
        )
    if len(text) > MAX_TRANSLATION_LENGTH:
        raise PromptLibraryError(
            f"{here}: the translation is {len(text)} characters; the limit is "
            f"{MAX_TRANSLATION_LENGTH}."
        )
    want, got = placeholders(message.id), placeholders(text)
    if want != got:
        raise PromptLibraryError(
            f"{here}: the translation has placeholders {_describe(got)} but the English has "
            f"{_describe(want)}; keep each one (a blank is three dots: ...)."
        )
    return key, Translation(text, "draft" if message.fuzzy else "reviewed")


def _describe(found: Counter[str]) -> str:
    return ", ".join(f"{n}x {p!r}" for p, n in sorted(found.items())) or "none"


# --------------------------------------------------------------------------------------------
# Writing: make a new language file, or bring every file in line with the library


def build_catalog(tag: str, library: PromptLibrary, existing: Catalog | None = None
                  ) -> tuple[Catalog, list[str]]:
    """A catalog with one entry per library string, in library order, keeping what
    ``existing`` has for unchanged English. Returns it and the notes on what changed."""
    language_info(tag, f"i18n/{tag}.po")
    locale = Locale.parse(tag, sep="-")
    name = locale.english_name
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    catalog = Catalog(
        locale=tag.replace("-", "_"),
        header_comment=_HEADER_COMMENT.format(name=name),
        project="Rapport prompt library",
        version=str(library.version),
        msgid_bugs_address="docs/TRANSLATING.md",
        creation_date=existing.creation_date if existing else now,
        revision_date=existing.revision_date if existing else now,
        last_translator=existing.last_translator if existing else "none yet",
        language_team=existing.language_team if existing else "none yet",
        fuzzy=False,
    )
    old: dict[str, Message] = {}
    if existing is not None:
        old = {m.context: m for m in existing if m.id and m.context}
    notes: list[str] = []
    for prompt_id, field_name, english in library_strings(library):
        context = context_of(prompt_id, field_name)
        before = old.pop(context, None)
        string: str | tuple[str, ...] | list[str] | None = ""
        flags: set[str] = set()
        comments: list[str] = []
        if before is not None and before.id == english:
            string, flags, comments = before.string, before.flags, before.user_comments
        elif before is not None:
            notes.append(f"{tag}: {context}: the English changed; the translation is now "
                         "'not yet' and the earlier one is kept in a comment")
            comments = [f"Earlier English: {before.id}"]
            if before.string:
                comments.append(f"Earlier translation: {before.string}")
        else:
            notes.append(f"{tag}: {context}: new, not yet translated")
        catalog.add(english, string, context=context, flags=flags,
                    auto_comments=_auto_comments(library, prompt_id, field_name),
                    user_comments=comments)
    notes.extend(f"{tag}: {context}: no such prompt string any more, dropped" for context in old)
    return catalog, notes


def _auto_comments(library: PromptLibrary, prompt_id: str, field_name: str) -> list[str]:
    if field_name == "starter":
        return [_STARTER_NOTE]
    prompt = library.get(prompt_id)
    assert prompt is not None
    return [f"{prompt.category}, {prompt.depth}, grades {', '.join(prompt.grade_bands)}. "
            f"Helps: {prompt.helps}"]


def catalog_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=PO_WIDTH)
    return out.getvalue()


def update_files(directory: Path, library: PromptLibrary, new_tags: Iterable[str] = ()
                 ) -> list[str]:
    """Rewrite every PO file in ``directory`` (and create ``new_tags``) to match the library:
    entries for new prompts are added empty, stale ones become 'not yet', removed ones go.
    Returns what changed, one line each."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tags = sorted({p.stem for p in directory.glob("*.po")} | set(new_tags))
    notes: list[str] = []
    for tag in tags:
        path = directory / f"{tag}.po"
        existing = read_catalog(path) if path.exists() else None
        catalog, changed = build_catalog(tag, library, existing)
        if existing is None:
            changed = [f"{tag}: new file, {len(catalog)} entries to translate"]
        data = catalog_bytes(catalog)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            notes.extend(changed or [f"{tag}: reformatted"])
    return notes
