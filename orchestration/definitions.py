"""The one Dagster code location: `dagster dev` (see `make dev`) loads `defs` from here.

raw_<source> (dlt) -> staging -> intermediate -> marts / sync (dbt, tests as checks) -> push,
run on a schedule, by webhook events, by Infor polling, with alerts on what goes wrong. What
exists follows the settings: a system or entity that is off has no assets.
"""

from __future__ import annotations

from dagster import AssetsDefinition, Definitions, in_process_executor
from dagster_dlt import DagsterDltResource

from ledgerlink.settings import Settings, load_settings
from orchestration.alerts import ALERT_SENSORS
from orchestration.assets.extract import extract_assets_for
from orchestration.assets.push import push_assets_for
from orchestration.assets.transform import dbt_models_for
from orchestration.jobs import full_sync_job
from orchestration.resources import LedgerlinkSettings, dbt_cli
from orchestration.schedules import schedules
from orchestration.sensors import inbox_sensor, infor_changes_sensor


def all_assets(settings: Settings) -> list[AssetsDefinition]:
    """Raw tables, dbt models and pushes for the systems and entities the settings connect."""
    dbt_models = dbt_models_for(settings)
    return [*extract_assets_for(settings), dbt_models, *push_assets_for(settings, dbt_models)]


def build_defs(settings: Settings) -> Definitions:
    return Definitions(
        assets=all_assets(settings),
        jobs=[full_sync_job],
        schedules=schedules(settings),
        sensors=[inbox_sensor(), infor_changes_sensor(), *ALERT_SENSORS],
        resources={
            "dlt": DagsterDltResource(),
            "dbt": dbt_cli(settings),
            "ledgerlink": LedgerlinkSettings(),
        },
        # One process per run: the steps take turns on the warehouse anyway (one writer), and a
        # process per step would add its start-up (seconds on a small machine) to every step.
        executor=in_process_executor,
    )


defs = build_defs(load_settings())
