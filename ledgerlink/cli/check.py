"""`ledgerlink check`: every code the settings and mapping tables name, looked up in Infor."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings
from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.reference import TenantReference
from ledgerlink.errors import ConfigurationError
from reverse_etl.tenant_check import check_tenant


@run_guarded
def check_command() -> None:
    """Check that the Infor tenant has every division, facility, warehouse, template, order
    type, customer group, payment method, VAT code, currency, bank and GL account that the
    settings and mapping tables name, before anything is written."""
    config = settings()
    with InforClient.from_settings(config) as infor:
        report = check_tenant(config, TenantReference(infor.m3))
    company = f"Infor company {config.infor_cono}, division {config.infor_divi}"
    for what, why in report.unchecked.items():
        typer.echo(f"not checked: {what}: {why}")
    if not report.problems:
        typer.echo(f"ok: {report.checked} codes checked against {company}")
        return
    for problem in report.problems:
        typer.echo(f"  {problem}")
    blocked = ", ".join(sorted(report.blocked_syncs()))
    raise ConfigurationError(
        f"{len(report.problems)} configured or mapped codes do not exist in {company}: change "
        f"each setting or mapping row above (pushes hold {blocked} until then)"
    )
