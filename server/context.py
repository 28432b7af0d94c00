"""What the handlers share: the store, its mode, the prompt library (and its translations) and
the configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app

from server.config import Config
from server.domain.limits import RateLimits
from server.domain.prompt_translations import PromptTranslations
from server.domain.prompts import PromptLibrary
from server.domain.ui_translations import UiCatalogs
from server.store import RedisStore, StoreHandle

if TYPE_CHECKING:
    from server.realtime.scheduler import Scheduler


@dataclass
class Services:
    config: Config
    handle: StoreHandle
    store: RedisStore
    library: PromptLibrary
    limits: RateLimits
    scheduler: Scheduler | None = field(default=None)
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
