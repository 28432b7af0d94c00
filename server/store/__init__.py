"""The store: `RedisStore`, one facade over a repository per area (`server/store/*.py`); every
Redis key name lives in `server.store.keys`, every Lua script under `server/store/lua/`."""

from server.store.backends import StoreHandle, open_store
from server.store.base import NO_GUARD, Bucket, Guard, StoreUnavailable
from server.store.redis_store import RedisStore

__all__ = ["NO_GUARD", "Bucket", "Guard", "RedisStore", "StoreHandle", "StoreUnavailable",
           "open_store"]
