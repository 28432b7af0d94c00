from __future__ import annotations

from pathlib import Path

import pytest

from server.config import Config, ConfigError


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"RAPPORT_INSTANCE_PATH": str(tmp_path), **extra}


def test_defaults(tmp_path: Path) -> None:
    config = Config.from_env(env(tmp_path))
    assert config.async_mode == "gevent" and config.redis_url is None
    assert config.retention_days == 180 and config.cors_origins is None


def test_secret_key_generated_once_and_kept(tmp_path: Path) -> None:
    first = Config.from_env(env(tmp_path)).secret_key
    assert len(first) >= 32
    assert Config.from_env(env(tmp_path)).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("name,value,words", [
    ("ASYNC_MODE", "asyncio", "ASYNC_MODE"),
    ("REDIS_URL", "mysql://x", "REDIS_URL"),
    ("RAPPORT_RETENTION_DAYS", "forever", "RAPPORT_RETENTION_DAYS"),
    ("RAPPORT_RETENTION_DAYS", "401", "outside"),
    ("RAPPORT_ALLOWED_ORIGINS", "https://a.example/path", "origin"),
    ("RAPPORT_COLOUR", "blue", "unknown setting RAPPORT_COLOUR"),
    ("RAPPORT_STORE", "redis", "needs REDIS_URL"),
    ("SECRET_KEY", "short", "SECRET_KEY"),
    ("RAPPORT_LOG_LEVEL", "LOUD", "RAPPORT_LOG_LEVEL"),
])
def test_invalid_settings_named(tmp_path: Path, name: str, value: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        Config.from_env(env(tmp_path, **{name: value}))


def test_origins(tmp_path: Path) -> None:
    config = Config.from_env(env(tmp_path, PUBLIC_URL="https://rapport.school.example/",
                                 RAPPORT_ALLOWED_ORIGINS="https://lms.example, http://x:8080"))
    assert config.public_url == "https://rapport.school.example"
    assert set(config.cors_origins or ()) == {"https://lms.example", "http://x:8080",
                                              "https://rapport.school.example"}


def test_processes(tmp_path: Path) -> None:
    assert Config.from_env(env(tmp_path)).processes == "many"
    one = Config.from_env(env(tmp_path, REDIS_URL="redis://r:6379/0", RAPPORT_PROCESSES="one"))
    assert one.processes == "one"
    with pytest.raises(ConfigError, match="RAPPORT_PROCESSES"):
        Config.from_env(env(tmp_path, RAPPORT_PROCESSES="two"))
    with pytest.raises(ConfigError, match="needs REDIS_URL"):
        Config.from_env(env(tmp_path, RAPPORT_PROCESSES="many"))


def test_one_process_on_redis_has_no_message_queue(tmp_path: Path) -> None:
    from server.store import backends

    for processes, queued in (("one", False), ("many", True)):
        config = Config.from_env(env(tmp_path, REDIS_URL="redis://r:6379/0",
                                     RAPPORT_PROCESSES=processes))
        handle = backends.open_store(config)  # (a Redis client connects on first use)
        assert (handle.message_queue is not None) is queued, processes
        handle.close()
