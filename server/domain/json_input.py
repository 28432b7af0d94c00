"""JSON from clients, with its nesting depth checked before it is parsed.

Python's `json` parser recurses once per `[` or `{`: 100,000 of them raise RecursionError
(not a ValueError) deep inside the parser. Every JSON body and Socket.IO payload is checked
here first, in one linear pass, so bad input always gets a clear `invalid` answer.
"""

from __future__ import annotations

import json
import re
from typing import Any

from server.domain.errors import InvalidInput

MAX_DEPTH = 32  # the deepest message of the protocol nests 4 levels
_STRUCTURE = re.compile(r'[\[\]{}"\\]')
TOO_DEEP = f"That message nests more than {MAX_DEPTH} levels deep."
NOT_JSON = "That message is not valid JSON."


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """True when brackets outside strings nest deeper than `limit` (linear in the text)."""
    depth = 0
    in_string = False
    skip_to = -1  # the character after a backslash inside a string is never structure
    for match in _STRUCTURE.finditer(text):
        at = match.start()
        if at < skip_to:
            continue
        char = text[at]
        if in_string:
            if char == "\\":
                skip_to = at + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads(raw: str | bytes) -> Any:
    """Parse client JSON, or raise InvalidInput with a plain sentence."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise InvalidInput("That message is not UTF-8 text.") from None
    if too_deep(text):
        raise InvalidInput(TOO_DEEP)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInput(NOT_JSON) from None


class SocketJSON:
    """The JSON module python-socketio decodes and encodes packets with (`json=`)."""

    @staticmethod
    def loads(raw: str | bytes, **_kwargs: Any) -> Any:
        try:
            return loads(raw)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    @staticmethod
    def dumps(value: Any, **kwargs: Any) -> str:
        return json.dumps(value, **kwargs)
