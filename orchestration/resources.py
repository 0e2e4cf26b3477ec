"""Resources the assets share: ledgerlink's settings, and dbt's command line."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from pydantic import Field

from ledgerlink.dbt import dbt_executable
from ledgerlink.settings import Settings, load_settings
from orchestration.dbt_project import ledgerlink_dbt


class LedgerlinkSettings(ConfigurableResource):
    """ledgerlink's settings (environment > `.env` > the sandbox's settings file). `home`
    points a run at another state directory; `overrides` set fields by name (as in `.env`)."""

    home: str | None = None
    overrides: dict[str, str] = Field(default_factory=dict)

    def load(self) -> Settings:
        overrides: dict[str, object] = dict(self.overrides)
        if self.home:
            overrides["ledgerlink_home"] = Path(self.home)
        return load_settings(**overrides)


def dbt_cli() -> DbtCliResource:
    # This environment's dbt, not whatever `dbt` is first on PATH.
    return DbtCliResource(project_dir=ledgerlink_dbt, dbt_executable=dbt_executable())
