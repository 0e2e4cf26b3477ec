"""The dbt project as Dagster sees it: where it lives and the manifest its assets come from.

`dagster dev` re-parses on each load so model edits show up at once; elsewhere (tests, the
daemon's run workers) the manifest is parsed here when it is missing or older than the project.
"""

from __future__ import annotations

from dagster_dbt import DbtProject

from ledgerlink.dbt import MANIFEST, PROJECT_DIR, parse_project
from ledgerlink.settings import load_settings

SOURCE_FOLDERS = ("models", "macros", "seeds", "snapshots", "tests")


def manifest_is_stale() -> bool:
    if not MANIFEST.exists():
        return True
    parsed_at = MANIFEST.stat().st_mtime
    files = [PROJECT_DIR / "dbt_project.yml"] + [
        path
        for folder in SOURCE_FOLDERS
        for path in (PROJECT_DIR / folder).rglob("*")
        if path.is_file()
    ]
    return any(path.stat().st_mtime > parsed_at for path in files)


ledgerlink_dbt = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
ledgerlink_dbt.prepare_if_dev()
if manifest_is_stale():
    parse_project(load_settings())
