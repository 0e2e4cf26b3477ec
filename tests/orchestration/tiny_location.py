"""A one-asset code location for the run launcher's tests: each run writes down which process
imported this module and which process ran it."""

import json
import os
import time

from dagster import Config, Definitions, asset, define_asset_job, in_process_executor

IMPORTED_BY = os.getpid()


class Report(Config):
    path: str
    sleep_seconds: float = 0.0


@asset
def process_report(config: Report) -> None:
    time.sleep(config.sleep_seconds)
    report = {"imported_by": IMPORTED_BY, "ran_in": os.getpid(), "parent": os.getppid()}
    with open(config.path, "w") as out:
        json.dump(report, out)


tiny_job = define_asset_job("tiny_job", selection=[process_report])
defs = Definitions(assets=[process_report], jobs=[tiny_job], executor=in_process_executor)
