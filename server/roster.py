"""Roster CSV import: ``name,email,tags`` rows (header optional).

Shared by the planner CLI and the server's roster import.  Tags inside the field are
separated by ';' and/or whitespace.  Errors name the 1-based line number.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from server.domain.common import MAX_ROSTER_NAME_LENGTH
from server.domain.names import normalise_name

MAX_EMAIL_LENGTH = 254
MAX_TAG_LENGTH = 20
HEADER = ("name", "email", "tags")
# deliberately simple: one @, no spaces, a dot in the domain
EMAIL_PATTERN = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+$")
TAG_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")


class RosterError(ValueError):
    """The roster cannot be imported; the message names the offending line."""


@dataclass(frozen=True)
class RosterEntry:
    name: str
    email: str | None
    tags: tuple[str, ...]


def parse_roster_csv(text: str, max_rows: int = 1000) -> list[RosterEntry]:
    """Parse roster CSV text into entries; raise ``RosterError`` naming the line."""
    if text.startswith("\ufeff"):
        text = text[1:]  # spreadsheet exports often start with a byte-order mark
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    entries: list[RosterEntry] = []
    seen: dict[str, tuple[int, str]] = {}  # normalised name -> (line, name as written)
    first_row = True
    try:
        for row in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue  # blank lines are harmless
            if first_row:
                first_row = False
                lowered = tuple(cell.casefold() for cell in cells)
                if lowered and lowered[0] == "name" and set(lowered) <= set(HEADER):
                    continue
            if len(cells) > 3:
                raise RosterError(f"line {line}: expected at most 3 fields (name,email,tags)")
            if len(entries) >= max_rows:
                raise RosterError(f"line {line}: more than {max_rows} students")
            entry = _parse_row(cells, line)
            # Duplicates by the rule seats use: two rows the server would link to one
            # student (same confusable skeleton) are refused, not silently merged.
            key = normalise_name(entry.name)
            if key in seen:
                first_line, first = seen[key]
                alike = "" if first.casefold() == entry.name.casefold() else \
                    f", which looks the same as {first!r}"
                raise RosterError(f"line {line}: duplicate name {entry.name!r} (first on line "
                                  f"{first_line}{alike})")
            seen[key] = (line, entry.name)
            entries.append(entry)
    except csv.Error as error:
        raise RosterError(f"line {reader.line_num}: malformed CSV ({error})") from error
    return entries


def _parse_row(cells: list[str], line: int) -> RosterEntry:
    name = cells[0] if cells else ""
    if not name:
        raise RosterError(f"line {line}: empty name")
    if len(name) > MAX_ROSTER_NAME_LENGTH:
        raise RosterError(f"line {line}: name longer than {MAX_ROSTER_NAME_LENGTH} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise RosterError(f"line {line}: name contains control characters")
    email: str | None = cells[1] if len(cells) > 1 and cells[1] else None
    if email is not None:
        if len(email) > MAX_EMAIL_LENGTH:
            raise RosterError(f"line {line}: e-mail longer than {MAX_EMAIL_LENGTH} characters")
        if not EMAIL_PATTERN.match(email):
            raise RosterError(f"line {line}: {email!r} does not look like an e-mail address")
    tags: list[str] = []
    if len(cells) > 2 and cells[2]:
        for tag in re.split(r"[;\s]+", cells[2]):
            if not tag:
                continue
            if len(tag) > MAX_TAG_LENGTH:
                raise RosterError(f"line {line}: tag longer than {MAX_TAG_LENGTH} characters")
            if not TAG_PATTERN.match(tag):
                raise RosterError(
                    f"line {line}: tag {tag!r} may only use letters, digits, '_' and '-'"
                )
            if tag not in tags:
                tags.append(tag)
    return RosterEntry(name=name, email=email, tags=tuple(tags))
