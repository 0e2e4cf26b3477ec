"""`ledgerlink auth infor` against the sandbox's ION gateway and M3: who ledgerlink is there.

Its refusals (file, key, address, keys, company, division) are in `test_bad_input.py`.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ledgerlink.cli import app as cli
from ledgerlink.connectors.infor.auth import token_store_for
from ledgerlink.connectors.infor.ionapi import load_ionapi
from ledgerlink.settings import Settings


def test_it_gets_a_token_and_names_tenant_user_company_and_division(settings: Settings):
    credentials = load_ionapi(settings.infor_ionapi_file)
    cache = token_store_for(credentials, settings.token_dir).path
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(
        json.dumps({"access_token": "left-over-token", "expires_at": "2999-01-01T00:00:00+00:00"})
    )  # a token still "fresh" in the cache is not what is being checked

    result = CliRunner().invoke(cli, ["auth", "infor"], env={"LEDGERLINK_HOME": str(settings.home)})

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f".ionapi   {settings.infor_ionapi_file} (app {credentials.cn})"
    assert lines[1] == f"tenant    {credentials.ti}"
    assert lines[2].startswith(f"token     granted by {credentials.token_url} until ")
    assert lines[3] == f"M3        {credentials.m3_base_url}"
    assert lines[4] == "user      LLSYNC (Ledgerlink integration user)"
    assert lines[5] == "company   100 (INFOR_CONO)"
    assert lines[6] == "division  AAA (INFOR_DIVI)"
    assert lines[7].startswith("ok: ledgerlink reaches Infor M3 as LLSYNC in company 100")
    assert result.stderr == ""
    assert json.loads(cache.read_text())["access_token"] != "left-over-token"
