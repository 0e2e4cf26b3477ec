"""The one Dagster code location: `dagster dev` (see `make dev`) loads `defs` from here.

raw_<source> (dlt) -> staging -> intermediate -> marts / sync (dbt, tests as checks) -> push,
run on a schedule, by webhook events, by Infor polling, with alerts on what goes wrong.
"""

from __future__ import annotations

from dagster import Definitions, in_process_executor
from dagster_dlt import DagsterDltResource

from ledgerlink.settings import load_settings
from orchestration.alerts import ALERT_SENSORS
from orchestration.assets.extract import EXTRACT_ASSETS
from orchestration.assets.push import PUSH_ASSETS
from orchestration.assets.transform import dbt_models
from orchestration.jobs import full_sync_job, reference_refresh_job
from orchestration.resources import LedgerlinkSettings, dbt_cli
from orchestration.schedules import schedules
from orchestration.sensors import inbox_sensor, infor_changes_sensor

defs = Definitions(
    assets=[*EXTRACT_ASSETS, dbt_models, *PUSH_ASSETS],
    jobs=[full_sync_job, reference_refresh_job],
    schedules=schedules(load_settings()),
    sensors=[inbox_sensor(), infor_changes_sensor(), *ALERT_SENSORS],
    resources={"dlt": DagsterDltResource(), "dbt": dbt_cli(), "ledgerlink": LedgerlinkSettings()},
    # One process per run: the steps take turns on the warehouse anyway (one writer), and a
    # process per step would add its start-up (seconds on a small machine) to every step.
    executor=in_process_executor,
)
