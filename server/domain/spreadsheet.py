"""CSV files that open correctly in spreadsheet programs, and times people can read.

Every CSV Rapport writes starts with a UTF-8 byte-order mark (Excel otherwise reads UTF-8 as a
legacy code page and garbles accents), ends lines with CRLF (RFC 4180), and defuses cells that
a spreadsheet would run as a formula. Times are ISO 8601 with their UTC offset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.domain import clock
from server.domain.common import safe_cell
from server.domain.errors import InvalidInput

BOM = "\ufeff"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV file: BOM, header, rows; empty cells stay empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return BOM + out.getvalue()


def zone(name: str | None) -> tzinfo:
    """The IANA time zone `name` (UTC when empty); a plain error for an unknown one."""
    if not name:
        return UTC
    if len(name) > 64:
        raise InvalidInput("That time zone is not known.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"The time zone “{name}” is not known.") from None


def iso_time(epoch: float | Literal[""] | None, where: tzinfo = UTC, *, ms: bool = True) -> str:
    """ISO 8601 with offset, to the second ('2026-03-02T09:15:00+01:00'); '' for no time."""
    if epoch is None or epoch == "":
        return ""
    seconds = epoch / 1000 if ms else epoch
    return datetime.fromtimestamp(seconds, where).isoformat(timespec="seconds")


def long_date(where: tzinfo, moment: datetime | None = None) -> str:
    """Today (or `moment`) in `where`, written out: 'Wednesday 2 December 2026'."""
    day = (moment or datetime.fromtimestamp(clock.now(), UTC)).astimezone(where)
    return f"{day:%A} {day.day} {day:%B %Y}"
