"""Resources the assets share: ledgerlink's settings, and dbt's command line."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from dbt.version import __version__ as DBT_CORE_VERSION
from packaging.version import Version
from pydantic import Field

from ledgerlink.dbt import dbt_executable
from ledgerlink.settings import Settings, load_settings
from orchestration.dbt_project import dbt_project_for


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


class ProjectDbtCli(DbtCliResource):
    """dagster-dbt's dbt command line without two set-up costs it pays on every invocation
    (about 5 s of each event-driven run): asking the executable for its version with a
    `dbt --version` process, when the executable is this environment's own dbt-core; and
    building a dbt adapter (it loads every macro), which serves only to fetch column metadata
    that these assets do not fetch."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(DBT_CORE_VERSION)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_cli(settings: Settings) -> DbtCliResource:
    # This environment's dbt, not whatever `dbt` is first on PATH.
    return ProjectDbtCli(project_dir=dbt_project_for(settings), dbt_executable=dbt_executable())
