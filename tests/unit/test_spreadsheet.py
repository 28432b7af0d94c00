"""CSV cells, times and dates as spreadsheet programs and people read them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from server.domain.errors import InvalidInput
from server.domain.spreadsheet import BOM, csv_text, iso_time, long_date, safe_cell, zone


def test_only_formula_starts_are_defused_and_empty_cells_stay_empty() -> None:
    text = csv_text(("a", "b", "c"), [("", None, "=SUM(A1)"), ("+1", "@x", "\tTab"),
                                      ("-2", "\rx", "plain - text"), (0, False, "Zoë")])
    assert text.startswith(BOM) and text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    assert rows == [["a", "b", "c"], ["", "", "'=SUM(A1)"], ["'+1", "'@x", "'\tTab"],
                    ["'-2", "'\rx", "plain - text"], ["0", "False", "Zoë"]]
    assert safe_cell("") == "" and safe_cell(3) == 3


def test_times_are_iso_8601_with_offset() -> None:
    moment = datetime(2026, 3, 2, 8, 15, tzinfo=UTC).timestamp() * 1000
    assert iso_time(moment) == "2026-03-02T08:15:00+00:00"
    assert iso_time(moment, ZoneInfo("Europe/Paris")) == "2026-03-02T09:15:00+01:00"
    assert iso_time(moment / 1000, zone("America/New_York"), ms=False) == \
        "2026-03-02T03:15:00-05:00"
    assert iso_time(None) == ""


def test_zones_and_dates() -> None:
    assert zone("") is UTC and zone(None) is UTC
    with pytest.raises(InvalidInput, match="not known"):
        zone("Mars/Olympus")
    with pytest.raises(InvalidInput):
        zone("../../etc/passwd")
    assert long_date(UTC, datetime(2026, 12, 2, 23, 30, tzinfo=UTC)) == "Wednesday 2 December 2026"
    assert long_date(ZoneInfo("Asia/Tokyo"), datetime(2026, 12, 2, 23, 30, tzinfo=UTC)) == \
        "Thursday 3 December 2026"
