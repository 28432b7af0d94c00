"""Socket.IO's JSON codec: orjson for speed, the standard library for what orjson refuses.

Every event is encoded once per packet and every client message decoded once, so the codec is
on the hot path. orjson is several times faster than `json`, but refuses integers beyond 64
bits, NaN and the like, which a hostile client may send: those fall back to `json`, which
behaves exactly as before.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(obj: Any, **_options: Any) -> str:
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return json.dumps(obj, separators=(",", ":"))


def loads(text: str | bytes, **_options: Any) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
