"""The dbt project as Dagster sees it: where it lives and the manifest its assets come from.

`make install` (and the test session) parse the project once; `dagster dev` re-parses on each
load so model edits show up at once. A clone that was never parsed is parsed here on first load.
"""

from __future__ import annotations

from dagster_dbt import DbtProject

from ledgerlink.dbt import MANIFEST, PROJECT_DIR, parse_project
from ledgerlink.settings import load_settings

ledgerlink_dbt = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
ledgerlink_dbt.prepare_if_dev()
if not MANIFEST.exists():
    parse_project(load_settings())
