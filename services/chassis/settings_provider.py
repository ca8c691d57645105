"""A service's settings, read once when its container starts, shared by its workers.

`settings = SettingsProvider(DocumentosSettings)` on a service class: the environment is
read in `setup` (a bad value stops the service at start), and every worker gets the
same frozen object, so no call reads the environment again.
"""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.chassis.config import EnvSettings


class SettingsProvider(DependencyProvider):
    def __init__(self, settings_class: type[EnvSettings]) -> None:
        self.settings_class = settings_class

    def setup(self) -> None:
        self.settings = self.settings_class.from_env()

    def get_dependency(self, worker_ctx: Any) -> EnvSettings:
        return self.settings
