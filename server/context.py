"""What the handlers share: the store, its mode, the prompt library (and its translations) and
the configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app

from server.config import Config
from server.domain.limits import RateLimits
from server.domain.prompt_translations import PromptTranslations
from server.domain.prompts import PromptLibrary
from server.domain.ui_translations import UiCatalogs
from server.store import RedisStore, StoreHandle


class BackgroundWork(Protocol):
    """What handlers ask of the process's background loop (server/realtime/scheduler.py).
    A protocol, so this module (imported by everything) does not depend on the realtime layer."""

    def reaction_changed(self, class_id: str, round_id: str, card_id: str) -> None: ...

    def store_unreachable(self) -> None: ...


@dataclass
class Services:
    config: Config
    handle: StoreHandle
    store: RedisStore
    library: PromptLibrary
    limits: RateLimits
    scheduler: BackgroundWork | None = field(default=None)
    translations: PromptTranslations = field(default_factory=PromptTranslations)
    ui: UiCatalogs = field(default_factory=UiCatalogs)  # the interface's catalogs

    def join_url(self, code: str, host_url: str) -> str:
        base = self.config.public_url or host_url.rstrip("/")
        return f"{base}/j/{code}"

    def page_url(self, page: str, secret: str, host_url: str) -> str:
        base = self.config.public_url or host_url.rstrip("/")
        return f"{base}/{page}#key={secret}"


def services() -> Services:
    found: Services = current_app.extensions["rapport"]
    return found
