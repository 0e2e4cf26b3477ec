"""The console on the sandbox, for real: a `ledgerlink sync` runs while the console serves pages
in a loop (the sync never fails because of it), a CRM export enriches customers, one GL journal
Infor keeps refusing becomes a dead letter, and an operator in headless Chromium logs in, finds
it, lifts the cause, replays it and sees it written exactly once and the health page updated.
Mapping grids are checked against the tenant and previewed before they are saved."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

import httpx
import pytest
from conftest import chromium, settings_for_home, start_from_built
from console_support import console_at, csrf_of, logged_in

from ledgerlink.builds import forget_last_build
from ledgerlink.connectors.freshbooks import FreshBooksClient
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.infor import InforClient
from ledgerlink.console import auth
from ledgerlink.warehouse import read_snapshot
from reverse_etl import operator_actions
from reverse_etl.push import run_push

# The module's world is a whole `ledgerlink sync`: give it room on a busy machine.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

JOURNALS = "infor_gl_journals"
PAGES_IN_LOOP = ("/", "/dead-letters", "/enrichment", "/reconciliation")


def crm_export(settings) -> dict[str, str]:
    """A CRM export: two accounts found by e-mail (written as the CRM does, in capitals), one by
    its VAT number alone, one the clients do not know. Returns e-mail -> how it matches."""
    with FreshBooksClient.from_settings(settings) as client:
        clients = [c for c in client.list("clients", search=Search()) if c.email and c.vat_number]
    by_email, by_vat = clients[:2], clients[2]
    lines = ["Email,VAT Number,Account Owner,Segment,Industry,Annual Revenue"]
    lines += [f"{c.email.upper()},,Dana Reyes,Enterprise,Retail,1200000" for c in by_email]
    lines += [f"someone.else@example.invalid,{by_vat.vat_number},Lee Park,SMB,Food,50000"]
    lines += ["nobody@example.invalid,XX999,Sam Lee,SMB,Unknown,10"]
    folder = settings.home / "enrichment"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "crm_accounts.csv").write_text("\n".join(lines) + "\n")
    return {c.email: "email" for c in by_email} | {by_vat.email: "vat_number"}


def hammer(url: str, token: str, stop: threading.Event, seen: Counter, published: set) -> None:
    """Read pages the whole time, as a person with the console open would."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        while not stop.is_set():
            for page in PAGES_IN_LOOP:
                try:
                    answer = client.get(page)
                except httpx.TransportError as exc:  # counted: the test says what it was
                    seen[type(exc).__name__] += 1
                    continue
                seen[answer.status_code] += 1
                if "Data as of" in answer.text:
                    published.add(answer.text.split("Data as of", 1)[1][:20])
            time.sleep(0.5)  # a person's pace: the sync, not the pages, should have the CPU


@pytest.fixture(scope="module")
def world(built_world, sandbox: dict, module_settings, tmp_path_factory):
    """From the session's extracted and built world, with no clean build recorded: the sync
    below extracts what is new and builds the whole project, tests included, while the console
    serves pages."""
    settings = module_settings
    start_from_built(built_world, sandbox, settings)
    forget_last_build(settings)
    emails = crm_export(settings)
    with console_at(settings) as url:
        stop, seen, published = threading.Event(), Counter(), set()
        reader = threading.Thread(
            target=hammer, args=(url, auth.token(settings.home), stop, seen, published)
        )
        reader.start()
        environment = {
            **os.environ,
            "LEDGERLINK_HOME": str(settings.home),
            "FRESHBOOKS_RATE_LIMIT": "500",
            "INFOR_RATE_LIMIT": "500",
            "SHOP_RATE_LIMIT": "500",
        }
        started = time.monotonic()
        sync = subprocess.run(
            [
                str(Path(sys.executable).with_name("ledgerlink")),
                "sync",
                "--select",
                "infor_customers",
            ],
            env=environment,
            cwd=tmp_path_factory.mktemp("cwd"),
            capture_output=True,
            text=True,
            timeout=900,
        )
        sync_seconds = time.monotonic() - started
        time.sleep(0.5)
        stop.set()
        reader.join(30)
        planted = plant_a_dead_letter(settings, sandbox["urls"]["infor"])
        yield {
            "url": url,
            "settings": settings,
            "sync": sync,
            "sync_seconds": sync_seconds,
            "seen": seen,
            "published": published,
            "emails": emails,
            "journal": planted,
            "infor_url": sandbox["urls"]["infor"],
        }
    httpx.delete(f"{sandbox['urls']['infor']}/_sandbox/infor/faults", timeout=10)


def plant_a_dead_letter(settings, infor_url: str) -> dict:
    """As the demo does: Infor refuses one journal on every try, until it is a dead letter."""
    with read_snapshot(settings) as (con, _):
        key, category = con.execute(
            "select natural_key, expense_category from sync.sync_infor__gl_journals "
            "order by natural_key limit 1"
        ).fetchone()
    fault = {
        "program": "GLS840MI",
        "transaction": "AddBatchLineFld",
        "errorCode": "XBL0001",
        "errorMessage": "Account is blocked for posting",
        "field": "AIT1",
        "count": 1000,
        "when": {"KEY1": key},
    }
    httpx.post(f"{infor_url}/_sandbox/infor/faults", json=fault, timeout=10).raise_for_status()
    for _ in range(3):
        run_push(settings, [JOURNALS], command="test")
    with read_snapshot(settings) as (con, _):
        (letter,) = con.execute(
            "select intent_key from ops.dead_letters where natural_key = ? and status = 'open'",
            [key],
        ).fetchone()
    return {"key": key, "category": category, "letter": letter}


def vouchers_of(settings, key: str) -> set[int]:
    """The GL journals Infor holds whose voucher text starts with the batch key."""
    with InforClient.from_settings(settings) as infor:
        lines = infor.general_ledger.vouchers_between(date(2000, 1, 1), date(2100, 1, 1))
    return {
        line.journal_number for line in lines if (line.voucher_text or "").startswith(key + " ")
    } | {line.journal_number for line in lines if (line.voucher_text or "") == key}


# --- the sync and the console side by side -----------------------------------------------------
def test_a_sync_never_fails_while_the_console_serves_pages(world):
    sync = world["sync"]
    assert sync.returncode == 0, sync.stdout[-2000:] + sync.stderr[-2000:]
    assert "warehouse busy" not in sync.stderr and "lock" not in sync.stderr.lower()
    seen = world["seen"]
    assert seen[200] > len(PAGES_IN_LOOP) * 3, seen  # pages kept coming during the sync
    assert set(seen) == {200}, seen  # and every one answered
    assert world["published"], "the console never showed the snapshot the sync published"
    print(f"\nsync with the console open: {world['sync_seconds']:.0f} s, {seen[200]} pages served")


def test_the_crm_export_enriches_customers_and_shows_what_found_no_match(world):
    client = logged_in(world["url"], world["settings"])
    page = client.get("/enrichment").text
    assert "Dana Reyes" in page and "Lee Park" in page and "crm_account_owner" in page
    matched = client.get("/enrichment?status=matched").text
    for email, rule in world["emails"].items():
        row = matched.lower().split(email.lower(), 1)[1].split("</tr>", 1)[0]
        assert f"<td>{rule}</td>" in row, row
    unmatched = client.get("/enrichment?status=no_match").text
    assert "no match" in unmatched and "Dana Reyes" not in unmatched
    assert "Sam Lee" not in matched  # an account no client has enriches nobody
    assert "crm_segment" in client.get("/field-maps").text


# --- actions over HTTP ----------------------------------------------------------------------------
def test_an_action_is_refused_while_a_writer_holds_the_warehouse(world):
    settings = world["settings"]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK],
        env={**os.environ, "LEDGERLINK_HOME": str(settings.home)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        client = logged_in(world["url"], settings)
        page = client.get(f"/records/{world['journal']['letter']}").text
        answer = client.post(
            f"/records/{world['journal']['letter']}/assign",
            data={"csrf": csrf_of(page), "person": "ann"},
            follow_redirects=True,
        )
        assert "warehouse busy: test sync" in answer.text and "try again" in answer.text
        # and a replay of a flow while one runs in this console is refused, saying so
        with operator_actions.single_flight("a replay", "olga", (JOURNALS,)):
            answer = client.post(
                f"/records/{world['journal']['letter']}/replay",
                data={"csrf": csrf_of(page)},
                follow_redirects=True,
            )
        assert f"a replay of {JOURNALS} is already running" in answer.text
    finally:
        holder.kill()
        holder.wait()


HOLD_THE_LOCK = """
import time
from ledgerlink.settings import load_settings
from ledgerlink.warehouse import writer_lock
with writer_lock(load_settings(), "test sync", publish=False):
    print("holding", flush=True)
    time.sleep(60)
"""


def test_a_mapping_grid_is_checked_against_infor_and_previewed_before_saving(
    world, sandbox, sandbox_home, tmp_path, monkeypatch
):
    own = tmp_path / "mappings"
    own.mkdir()
    seed = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
    (own / "expense_category_gl_accounts.csv").write_text(
        (seed / "expense_category_gl_accounts.csv").read_text()
    )
    monkeypatch.setenv("LEDGERLINK_MAPPINGS_DIR", str(own))
    settings = settings_for_home(sandbox_home, world["settings"].home)
    assert settings.mappings_dir == own
    category = world["journal"]["category"]
    with console_at(settings) as url:
        client = logged_in(url, settings)
        grid = client.get("/mappings/expense_category_gl_accounts.csv").text
        form = {"csrf": csrf_of(grid)}
        rows = (own / "expense_category_gl_accounts.csv").read_text().splitlines()[1:]
        for i, line in enumerate(rows):
            for n, value in enumerate(line.split(",")):
                form[f"cell-{i}-{n}"] = value
        changed = next(i for i, line in enumerate(rows) if line.startswith(category + ","))
        form[f"cell-{changed}-1"] = "9999"  # an account the tenant does not have
        refused = client.post(
            "/mappings/expense_category_gl_accounts.csv", data={**form, "do": "save"}
        )
        assert refused.status_code == 422
        assert "GL account &#39;9999&#39; does not exist in Infor" in refused.text
        assert "9999" not in (own / "expense_category_gl_accounts.csv").read_text()
        # the preview names the planned journal of that category, and its open dead letter
        assert f"{JOURNALS}</strong>: 1 planned record" in refused.text
        assert world["journal"]["key"] in refused.text
        original = rows[changed].split(",")[1]
        form[f"cell-{changed}-1"] = "6150" if original != "6150" else "6000"
        saved = client.post(
            "/mappings/expense_category_gl_accounts.csv",
            data={**form, "do": "save"},
            follow_redirects=True,
        )
        assert "saved 1 change" in saved.text, saved.text[:2000]
        assert (
            f"{category},{form[f'cell-{changed}-1']},"
            in (own / "expense_category_gl_accounts.csv").read_text()
        )


# --- the operator in a real browser -----------------------------------------------------------
@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def test_an_operator_finds_fixes_and_replays_the_dead_letter_in_a_browser(
    world, browser_context, tmp_path_factory
):
    settings, url, journal = world["settings"], world["url"], world["journal"]
    shots = tmp_path_factory.mktemp("console-screenshots")
    page = browser_context.new_page()

    def shot(name: str) -> None:
        path = shots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 2000, f"{name} screenshot is empty"

    page.goto(url + "/")
    assert page.locator("h1").inner_text() == "Log in"
    page.keyboard.press("Tab")  # the first stop is the skip link: the page works by keyboard
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.fill("#secret", auth.token(settings.home))
    page.press("#secret", "Enter")
    page.wait_for_url(url + "/")
    assert "Open dead letters: 1" in page.inner_text("main")
    shot("1-health")

    page.click("nav >> text=Dead letters")
    main = page.inner_text("main")
    assert journal["key"] in main and "blocked" in main and "data in Infor" in main
    shot("2-dead-letters")

    page.click(f"text=gl_journals {journal['key']}")
    main = page.inner_text("main")
    assert "Account is blocked for posting" in main and "Tries and answers" in main
    assert "GLS840MI" in main  # the exchanges of the last try
    shot("3-record")

    assert vouchers_of(settings, journal["key"]) == set()
    httpx.delete(f"{world['infor_url']}/_sandbox/infor/faults", timeout=10).raise_for_status()
    page.click("button:has-text('Replay now')")
    page.wait_for_selector(".notice")
    notice = page.inner_text(".notice")
    assert "the push wrote 1" in notice, notice
    assert "resolved" in page.inner_text("main") or "created" in page.inner_text("main")
    shot("4-replayed")
    assert len(vouchers_of(settings, journal["key"])) == 1  # written, exactly once

    page.click("nav >> text=Health")
    assert "Open dead letters: 0" in page.inner_text("main")
    shot("5-health-after")

    for name, path in (
        ("6-search", f"/records?q={journal['key']}"),
        ("7-reconciliation", "/reconciliation"),
        ("8-mappings", "/mappings/expense_category_gl_accounts.csv"),
        ("9-field-maps", "/field-maps"),
        ("10-enrichment", "/enrichment"),
    ):
        page.goto(url + path)
        assert page.locator("h1").count() == 1
        shot(name)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(url + "/dead-letters?status=all")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    shot("11-phone-dead-letters")
    print(f"\nscreenshots: {shots}")
