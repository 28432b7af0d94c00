"""The store: every Redis key name and multi-key update lives in `server.store.redis_store`."""

from server.store.backends import StoreHandle, open_store
from server.store.redis_store import RedisStore, StoreUnavailable

__all__ = ["RedisStore", "StoreHandle", "StoreUnavailable", "open_store"]
