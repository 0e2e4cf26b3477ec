"""The dbt project as Dagster sees it: where it lives and the manifest its assets come from.

The manifest depends on the settings (a system that is off has no models), so each set of
systems has its own, parsed with the settings' project variables: on every load under
`dagster dev` (model edits show up at once), and elsewhere (tests, the daemon's run workers)
when it is missing or older than the project.
"""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

from ledgerlink.dbt import PROJECT_DIR, manifest_dir, parse_lock, parse_project, vars_argument
from ledgerlink.settings import Settings

SOURCE_FOLDERS = ("models", "macros", "seeds", "snapshots", "tests")


def manifest_is_stale(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    parsed_at = manifest.stat().st_mtime
    files = [PROJECT_DIR / "dbt_project.yml"] + [
        path
        for folder in SOURCE_FOLDERS
        for path in (PROJECT_DIR / folder).rglob("*")
        if path.is_file()
    ]
    return any(path.stat().st_mtime > parsed_at for path in files)


def dbt_project_for(settings: Settings) -> DbtProject:
    """The project with a current manifest for these settings."""
    project = DbtProject(
        project_dir=PROJECT_DIR,
        profiles_dir=PROJECT_DIR,
        target_path=manifest_dir(settings).relative_to(PROJECT_DIR),
        prepare_project_cli_args=["parse", "--quiet", *vars_argument(settings)],
    )
    with parse_lock():  # and under it, whether another process has just parsed
        project.prepare_if_dev()
        if manifest_is_stale(project.manifest_path):
            parse_project(settings)
    return project
