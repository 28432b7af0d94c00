"""The icebreaker prompt library: JSON data under ``prompts/``, validated strictly at start-up.

The library is data, not code, so that teachers and teacher-educators can review and extend it
without touching Python. Because it is loaded once at start-up, every rule is checked here and a
broken file stops the server with a message that names the file and the prompt, instead of
surfacing later as a confusing error in the middle of a lesson.

File format (see ``prompts/README.md``): every ``*.json`` file in the directory is an object
``{"version": 1, "categories": {...}, "prompts": [...]}``; exactly one file carries
``categories``. This module imports only the standard library and the project's own error types.

Size: the library's types and every rule its files must follow, with the messages that name the
file and the prompt; a teacher's custom prompt is checked by the same rules, so it is here too.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from server.domain.errors import InvalidInput
from server.domain.records import DEPTHS, GRADE_BANDS

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"

LIBRARY_VERSION = 1
SIDES = ("teacher", "student")
# Category ids are fixed in code because the UI groups them by side: the teacher shares first
# (professional, profound, personal), then students answer (the rest).
CATEGORY_SIDES: Mapping[str, str] = MappingProxyType({
    "professional": "teacher",
    "profound": "teacher",
    "personal": "teacher",
    "interests": "student",
    "people": "student",
    "identity-culture": "student",
    "goals-growth": "student",
    "school-learning": "student",
    "light-fun": "student",
})

MAX_ID_LENGTH = 60
MIN_TEXT_LENGTH = 3
MAX_TEXT_LENGTH = 200
MAX_STARTER_LENGTH = 200
MAX_HELPS_LENGTH = 200
MAX_LABEL_LENGTH = 60
MAX_DESCRIPTION_LENGTH = 300

# A teacher's own prompt with no category/depth chosen is filed as a light, student-side one:
# the safest assumption, since every prompt must allow a light answer.
DEFAULT_CUSTOM_CATEGORY = "light-fun"
DEFAULT_CUSTOM_DEPTH = "light"
CUSTOM_HELPS = "Written by the teacher for this class."

_ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FILE_KEYS = frozenset({"version", "categories", "prompts"})
_CATEGORY_KEYS = frozenset({"label", "side", "description"})
_PROMPT_REQUIRED_KEYS = frozenset({"id", "text", "category", "depth", "grade_bands", "helps"})
_PROMPT_OPTIONAL_KEYS = frozenset({"starter"})
# Bidi embedding/override/isolate controls can make a prompt display as something it is not.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters, lone surrogates, and line/paragraph separators: prompts are one line.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


class PromptLibraryError(InvalidInput, ValueError):
    """The prompt library or a custom prompt is invalid. The message says where and why.

    It is a ``ValueError`` for plain-Python callers and an ``InvalidInput`` so that HTTP and
    socket handlers report a bad custom prompt with the usual error shape.
    """


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    side: str
    description: str

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "label": self.label,
            "side": self.side,
            "description": self.description,
        }


@dataclass(frozen=True)
class Prompt:
    id: str
    text: str
    category: str
    depth: str
    grade_bands: tuple[str, ...]
    helps: str
    starter: str | None = None
    custom: bool = False

    @property
    def side(self) -> str:
        return CATEGORY_SIDES[self.category]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "category": self.category,
            "side": self.side,
            "depth": self.depth,
            "grade_bands": list(self.grade_bands),
            "starter": self.starter,
            "helps": self.helps,
            "custom": self.custom,
        }


@dataclass(frozen=True)
class PromptLibrary:
    prompts: tuple[Prompt, ...]
    categories: Mapping[str, Category]
    version: int = LIBRARY_VERSION
    _by_id: Mapping[str, Prompt] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Prompt] = {}
        for prompt in self.prompts:
            if prompt.id in by_id:
                raise PromptLibraryError(f"Duplicate prompt id {prompt.id!r}.")
            by_id[prompt.id] = prompt
        # Frozen dataclass: set derived fields once, here, and never again.
        object.__setattr__(self, "prompts", tuple(self.prompts))
        object.__setattr__(self, "categories", MappingProxyType(dict(self.categories)))
        object.__setattr__(self, "_by_id", MappingProxyType(by_id))

    def __len__(self) -> int:
        return len(self.prompts)

    def __iter__(self) -> Iterator[Prompt]:
        return iter(self.prompts)

    def __contains__(self, prompt_id: object) -> bool:
        return prompt_id in self._by_id

    def get(self, prompt_id: str) -> Prompt | None:
        return self._by_id.get(prompt_id)

    def filter(
        self,
        *,
        category: str | None = None,
        depth: str | None = None,
        grade_band: str | None = None,
        side: str | None = None,
        exclude_ids: Collection[str] = (),
    ) -> list[Prompt]:
        """Prompts matching every given filter, in library order (stable for the UI)."""
        _check_choice("category", category, CATEGORY_SIDES)
        _check_choice("depth", depth, DEPTHS)
        _check_choice("grade band", grade_band, GRADE_BANDS)
        _check_choice("side", side, SIDES)
        if isinstance(exclude_ids, str):
            # A bare string is a Collection of characters: almost certainly a caller's bug.
            raise TypeError("exclude_ids must be a collection of ids, not a single string")
        excluded = frozenset(exclude_ids)
        return [
            prompt
            for prompt in self.prompts
            if (category is None or prompt.category == category)
            and (depth is None or prompt.depth == depth)
            and (grade_band is None or grade_band in prompt.grade_bands)
            and (side is None or prompt.side == side)
            and prompt.id not in excluded
        ]

    def suggest(
        self,
        *,
        category: str | None = None,
        depth: str | None = None,
        grade_band: str | None = None,
        side: str | None = None,
        exclude_ids: Collection[str] = (),
        seed: int | str | None = None,
    ) -> Prompt | None:
        """One matching prompt the class has not had yet, or None when all have been used.

        The same seed and the same inputs give the same prompt (a str seed is hashed with
        SHA-512 by ``random``, so it is stable across processes); None picks freshly.
        """
        candidates = self.filter(
            category=category,
            depth=depth,
            grade_band=grade_band,
            side=side,
            exclude_ids=exclude_ids,
        )
        if not candidates:
            return None
        return random.Random(seed).choice(candidates)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "categories": {cid: cat.to_dict() for cid, cat in self.categories.items()},
            "prompts": [prompt.to_dict() for prompt in self.prompts],
        }


def _check_choice(what: str, value: str | None, allowed: Collection[str]) -> None:
    if value is not None and value not in allowed:
        raise PromptLibraryError(
            f"Unknown {what} {value!r}; expected one of: {', '.join(allowed)}."
        )


# --------------------------------------------------------------------------------------------
# Loading


def load_library(directory: Path = DEFAULT_PROMPTS_DIR) -> PromptLibrary:
    """Read and strictly validate every ``*.json`` file in ``directory``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PromptLibraryError(f"Prompt directory {str(directory)!r} does not exist.")
    files = sorted(directory.glob("*.json"))
    if not files:
        raise PromptLibraryError(f"No *.json prompt files in {str(directory)!r}.")

    categories: dict[str, Category] | None = None
    categories_file: str | None = None
    prompts: list[Prompt] = []
    seen: dict[str, str] = {}  # prompt id -> file name, for duplicate messages
    for path in files:
        data = _read_json(path)
        where = path.name
        if not isinstance(data, dict):
            raise PromptLibraryError(f"{where}: the top level must be a JSON object.")
        _check_keys(where, data, required=frozenset({"version", "prompts"}), allowed=_FILE_KEYS)
        version = data["version"]
        if type(version) is not int or version != LIBRARY_VERSION:
            raise PromptLibraryError(
                f"{where}: version must be {LIBRARY_VERSION}, got {version!r}."
            )
        if "categories" in data:
            if categories is not None:
                raise PromptLibraryError(
                    f"{where}: categories are already defined in {categories_file}; "
                    "define them in exactly one file."
                )
            categories = _parse_categories(where, data["categories"])
            categories_file = where
        raw_prompts = data["prompts"]
        if not isinstance(raw_prompts, list):
            raise PromptLibraryError(f"{where}: prompts must be a list.")
        for index, raw in enumerate(raw_prompts):
            prompt = _parse_prompt(where, index, raw)
            if prompt.id in seen:
                raise PromptLibraryError(
                    f"{where}: prompts[{index}] (id {prompt.id!r}): duplicate id, "
                    f"already used in {seen[prompt.id]}."
                )
            seen[prompt.id] = where
            prompts.append(prompt)

    if categories is None:
        raise PromptLibraryError(
            f"No file in {str(directory)!r} defines categories; one file must."
        )
    _check_coverage(prompts)
    return PromptLibrary(prompts=tuple(prompts), categories=categories)


def _read_json(path: Path) -> Any:
    def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # json would silently keep the last of two equal keys; in hand-edited data that hides
        # a mistake, so refuse it.
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise PromptLibraryError(f"{path.name}: duplicate key {key!r} in a JSON object.")
            result[key] = value
        return result

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptLibraryError(f"{path.name}: cannot read the file as UTF-8: {exc}") from exc
    try:
        return json.loads(text, object_pairs_hook=no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise PromptLibraryError(
            f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}."
        ) from exc


def _check_keys(
    where: str, data: Mapping[str, Any], *, required: frozenset[str], allowed: frozenset[str]
) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise PromptLibraryError(f"{where}: unknown field(s): {', '.join(unknown)}.")
    missing = sorted(required - set(data))
    if missing:
        raise PromptLibraryError(f"{where}: missing field(s): {', '.join(missing)}.")


def _parse_categories(where: str, raw: Any) -> dict[str, Category]:
    if not isinstance(raw, dict):
        raise PromptLibraryError(f"{where}: categories must be an object keyed by category id.")
    unknown = sorted(set(raw) - set(CATEGORY_SIDES))
    if unknown:
        raise PromptLibraryError(f"{where}: unknown category id(s): {', '.join(unknown)}.")
    missing = [cid for cid in CATEGORY_SIDES if cid not in raw]
    if missing:
        raise PromptLibraryError(f"{where}: missing category id(s): {', '.join(missing)}.")
    categories: dict[str, Category] = {}
    for cid, expected_side in CATEGORY_SIDES.items():  # canonical order, not file order
        here = f"{where}: categories.{cid}"
        entry = raw[cid]
        if not isinstance(entry, dict):
            raise PromptLibraryError(f"{here}: must be an object.")
        _check_keys(here, entry, required=_CATEGORY_KEYS, allowed=_CATEGORY_KEYS)
        label = _library_text(here, "label", entry["label"], MAX_LABEL_LENGTH, min_length=1)
        description = _library_text(
            here, "description", entry["description"], MAX_DESCRIPTION_LENGTH, min_length=1
        )
        side = entry["side"]
        if side != expected_side:
            raise PromptLibraryError(f"{here}: side must be {expected_side!r}, got {side!r}.")
        categories[cid] = Category(id=cid, label=label, side=side, description=description)
    return categories


def _parse_prompt(where: str, index: int, raw: Any) -> Prompt:
    here = f"{where}: prompts[{index}]"
    if not isinstance(raw, dict):
        raise PromptLibraryError(f"{here}: must be an object.")
    raw_id = raw.get("id")
    if isinstance(raw_id, str) and raw_id:
        here = f"{here} (id {raw_id!r})"  # name the prompt in every later message
    _check_keys(
        here,
        raw,
        required=_PROMPT_REQUIRED_KEYS,
        allowed=_PROMPT_REQUIRED_KEYS | _PROMPT_OPTIONAL_KEYS,
    )
    prompt_id = _check_id(here, raw["id"])
    text = _library_text(here, "text", raw["text"], MAX_TEXT_LENGTH, min_length=MIN_TEXT_LENGTH)

    category = raw["category"]
    if not isinstance(category, str) or category not in CATEGORY_SIDES:
        raise PromptLibraryError(
            f"{here}: unknown category {category!r}; "
            f"expected one of: {', '.join(CATEGORY_SIDES)}."
        )
    depth = raw["depth"]
    if not isinstance(depth, str) or depth not in DEPTHS:
        raise PromptLibraryError(
            f"{here}: unknown depth {depth!r}; expected one of: {', '.join(DEPTHS)}."
        )
    grade_bands = _check_grade_bands(here, raw["grade_bands"])
    helps = _library_text(here, "helps", raw["helps"], MAX_HELPS_LENGTH, min_length=1)
    starter = None
    if "starter" in raw:
        starter = _library_text(
            here, "starter", raw["starter"], MAX_STARTER_LENGTH, min_length=1
        )
    return Prompt(
        id=prompt_id,
        text=text,
        category=category,
        depth=depth,
        grade_bands=grade_bands,
        helps=helps,
        starter=starter,
    )


def _check_id(here: str, value: Any) -> str:
    if not isinstance(value, str):
        raise PromptLibraryError(f"{here}: id must be a string, got {type(value).__name__}.")
    if len(value) > MAX_ID_LENGTH:
        raise PromptLibraryError(
            f"{here}: id is {len(value)} characters; the limit is {MAX_ID_LENGTH}."
        )
    if not _ID_PATTERN.fullmatch(value):
        raise PromptLibraryError(
            f"{here}: id {value!r} must be a slug: lower-case letters, digits and single "
            "hyphens, not starting or ending with a hyphen."
        )
    return value


def _check_grade_bands(here: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise PromptLibraryError(f"{here}: grade_bands must be a list.")
    if not value:
        raise PromptLibraryError(f"{here}: grade_bands must not be empty.")
    for band in value:
        if not isinstance(band, str) or band not in GRADE_BANDS:
            raise PromptLibraryError(
                f"{here}: unknown grade band {band!r}; "
                f"expected one of: {', '.join(GRADE_BANDS)}."
            )
    if len(set(value)) != len(value):
        raise PromptLibraryError(f"{here}: grade_bands lists a band more than once.")
    return tuple(band for band in GRADE_BANDS if band in value)  # canonical order


def _library_text(here: str, name: str, value: Any, max_length: int, *, min_length: int) -> str:
    """Library text must already be clean: we refuse rather than silently rewrite the data."""
    if not isinstance(value, str):
        raise PromptLibraryError(f"{here}: {name} must be a string, got {type(value).__name__}.")
    problem = _text_problem(value)
    if problem:
        raise PromptLibraryError(f"{here}: {name} {problem}.")
    if unicodedata.normalize("NFC", value).strip() != value:
        raise PromptLibraryError(
            f"{here}: {name} must be NFC-normalised, without leading or trailing spaces."
        )
    if len(value) < min_length:
        raise PromptLibraryError(
            f"{here}: {name} is too short (at least {min_length} characters)."
        )
    if len(value) > max_length:
        raise PromptLibraryError(
            f"{here}: {name} is {len(value)} characters; the limit is {max_length}."
        )
    return value


def _text_problem(text: str) -> str | None:
    for char in text:
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES or char in _BIDI_CONTROLS:
            return f"contains a control character (U+{ord(char):04X}); use a single line of text"
    return None


def _check_coverage(prompts: list[Prompt]) -> None:
    """Every category, grade band and depth must be reachable from the UI's filters."""
    for what, wanted, present in (
        ("category", CATEGORY_SIDES, {p.category for p in prompts}),
        ("grade band", GRADE_BANDS, {band for p in prompts for band in p.grade_bands}),
        ("depth", DEPTHS, {p.depth for p in prompts}),
    ):
        missing = [value for value in wanted if value not in present]
        if missing:
            raise PromptLibraryError(
                f"The prompt library has no prompts for {what}(s): {', '.join(missing)}."
            )


# --------------------------------------------------------------------------------------------
# A teacher's own prompt


def validate_custom_prompt(
    text: str,
    category: str | None = None,
    depth: str | None = None,
    *,
    id: str | None = None,
    grade_bands: Collection[str] | None = None,
) -> Prompt:
    """Check a prompt a teacher typed and return it as a custom ``Prompt``.

    The text is NFC-normalised and trimmed, then must be 3..200 characters on one line.
    ``id`` is normally generated by the caller's store; without one, a stable id is derived
    from the text so that the same prompt typed twice gets the same id.
    """
    if not isinstance(text, str):
        raise PromptLibraryError("The prompt must be text.")
    cleaned = unicodedata.normalize("NFC", text).strip()
    problem = _text_problem(cleaned)
    if problem:
        raise PromptLibraryError(f"The prompt {problem}.")
    if len(cleaned) < MIN_TEXT_LENGTH:
        raise PromptLibraryError(
            f"The prompt is too short: write at least {MIN_TEXT_LENGTH} characters."
        )
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise PromptLibraryError(
            f"The prompt is {len(cleaned)} characters; the limit is {MAX_TEXT_LENGTH}."
        )

    category = DEFAULT_CUSTOM_CATEGORY if category is None else category
    if not isinstance(category, str) or category not in CATEGORY_SIDES:
        raise PromptLibraryError(
            f"Unknown category {category!r}; expected one of: {', '.join(CATEGORY_SIDES)}."
        )
    depth = DEFAULT_CUSTOM_DEPTH if depth is None else depth
    if not isinstance(depth, str) or depth not in DEPTHS:
        raise PromptLibraryError(
            f"Unknown depth {depth!r}; expected one of: {', '.join(DEPTHS)}."
        )

    if grade_bands is None:
        # the teacher wrote it for their own class, whatever its age
        bands: tuple[str, ...] = GRADE_BANDS
    else:
        if isinstance(grade_bands, str):
            raise PromptLibraryError("grade_bands must be a list of grade bands.")
        bands = _check_grade_bands("The prompt", list(grade_bands))

    if id is None:
        digest = hashlib.sha256(cleaned.encode("utf-8")).hexdigest()[:16]
        prompt_id = f"custom-{digest}"
    else:
        prompt_id = _check_id("The custom prompt", id)

    return Prompt(
        id=prompt_id,
        text=cleaned,
        category=category,
        depth=depth,
        grade_bands=bands,
        helps=CUSTOM_HELPS,
        custom=True,
    )
