"""Small rules every layer shares: the limits on what people type and spreadsheet-cell
escaping (user-text cleaning is `server.domain.text`). Each is defined here once; the input
schemas, the domain, the config and the CLI use these names, and
`tests/unit/test_shared_constants.py` holds the browser's copies to them.
"""

from __future__ import annotations

from typing import TypeVar

# ---- limits ----------------------------------------------------------------------------------

MAX_CLASS_NAME = 80
MAX_NAME_LENGTH = 40  # a student's display name, as shown after cleaning
MAX_ROSTER_NAME_LENGTH = 60  # a roster row's name (a full name; linked by hand when longer)
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 400
DEFAULT_RETENTION_DAYS = 180
MIN_TIMER, MAX_TIMER = 30, 3600  # a round's timer, in seconds

# ---- spreadsheet cells -----------------------------------------------------------------------

# A cell starting with one of these is a formula (or hides one) in Excel, LibreOffice, Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """The value, with a leading apostrophe only when a spreadsheet would run it as a formula.
    Every CSV Rapport writes (exports, check-in plans, `rapport plan`) goes through this."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
