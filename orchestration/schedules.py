"""Schedules: the full sync (every 15 minutes unless `SYNC_CRON` says otherwise) and the
nightly reference refresh (`REFERENCE_REFRESH_CRON`). Both run in UTC."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from ledgerlink.settings import Settings
from orchestration.jobs import full_sync_job, reference_refresh_job


def schedules(settings: Settings) -> list[ScheduleDefinition]:
    return [
        ScheduleDefinition(
            name="full_sync_schedule",
            job=full_sync_job,
            cron_schedule=settings.sync_cron,
            execution_timezone="UTC",
            default_status=DefaultScheduleStatus.RUNNING,
        ),
        ScheduleDefinition(
            name="reference_refresh_schedule",
            job=reference_refresh_job(settings),
            cron_schedule=settings.reference_refresh_cron,
            execution_timezone="UTC",
            default_status=DefaultScheduleStatus.RUNNING,
        ),
    ]
