"""The push service: what the dbt sync models planned, written to FreshBooks and Infor.

The command line, Dagster, the demo and the benchmarks all push through `run_push`. Before a
push writes to Infor it checks that the tenant has every code the settings and mapping tables
name (`tenant_check`); a sync that would write a code Infor lacks is held, with the reason, and
the others go on.
"""

from __future__ import annotations

from ledgerlink.connectors.infor.reference import TenantReference
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, publish_snapshot, writer_lock
from reverse_etl.definitions import SyncDefinition
from reverse_etl.runner import ProgressCallback, Pusher, PushReport, select_syncs
from reverse_etl.targets import TargetWriters
from reverse_etl.tenant_check import check_tenant


def run_push(
    settings: Settings,
    select: list[str] | None = None,
    dry_run: bool = False,
    command: str = "push",
    on_progress: ProgressCallback | None = None,
    held: dict[str, str] | None = None,
) -> PushReport:
    """Plan (`dry_run`) or push the selected syncs (all by default) in dependency order.
    `held`: syncs to leave out, with why (e.g. dbt did not build their model)."""
    syncs = select_syncs(select, settings.systems)
    with (
        writer_lock(settings, command),
        connect(settings, read_only=False) as con,
        TargetWriters(settings) as writers,
    ):
        pusher = Pusher(
            con,
            writers,
            on_progress,
            settle_seconds=settings.push_settle_seconds,
            # readers see the run as started (and, if this process dies, as crashed)
            on_run_started=lambda connection: publish_snapshot(settings, command, connection),
            gate=settings.anomaly_gate,
        )

        def screen(chosen: list[SyncDefinition]) -> dict[str, str]:
            given = {name: why for name, why in (held or {}).items()}
            rest = [sync for sync in chosen if sync.name not in given]
            return given | held_for_tenant_codes(settings, writers, rest)

        if dry_run:
            return pusher.plan(syncs, screen)
        return pusher.push(syncs, command, screen)


def held_for_tenant_codes(
    settings: Settings, writers: TargetWriters, syncs: list[SyncDefinition]
) -> dict[str, str]:
    """Sync name -> why it is held: it would write a code the Infor tenant lacks."""
    if not any(sync.target == "infor" for sync in syncs):
        return {}
    report = check_tenant(settings, TenantReference(writers("infor").client.m3))
    blocked = report.blocked_syncs()
    return {
        sync.name: f"{problems[0]}"
        + (f" (and {len(problems) - 1} more)" if problems[1:] else "")
        + "; see `ledgerlink check`"
        for sync in syncs
        if (problems := blocked.get(sync.name))
    }
