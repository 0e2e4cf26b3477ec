"""Every bad input a user can meet, through the command line, on real files and the sandbox.

Each ends the same way: exit code 1, one line on stderr that names the setting or the file and
the fix, and no traceback (that takes `ledgerlink --debug`). Nothing here is retried: a wrong
setting stays wrong however long one waits.
"""

from __future__ import annotations

import json
import socket
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ledgerlink.cli import app as cli
from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.auth import token_store_for
from ledgerlink.connectors.infor.ionapi import load_ionapi
from ledgerlink.settings import Settings

FAST = {"FRESHBOOKS_RATE_LIMIT": "500", "INFOR_RATE_LIMIT": "500", "SHOP_RATE_LIMIT": "500"}
EXTRACT_FRESHBOOKS = ["extract", "--source", "freshbooks", "--quiet"]
EXTRACT_INFOR = ["extract", "--source", "infor", "--quiet"]
AUTH_INFOR = ["auth", "infor"]
REGISTER = ["webhooks", "register", "--url", "http://127.0.0.1:8780", "--no-shop"]
REAUTHORIZE = "Run `ledgerlink auth freshbooks` to authorize again"


def run(settings: Settings, args: list[str], env: dict[str, str] | None = None) -> Result:
    environment = {"LEDGERLINK_HOME": str(settings.home), **FAST, **(env or {})}
    return CliRunner().invoke(cli, args, env=environment)


def one_line_error(result: Result) -> str:
    """The single line a failure prints; fails the test on a traceback or a second line."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


# --- the files and settings each case starts from -------------------------------------------------
def freshbooks_tokens(settings: Settings) -> Path:
    return settings.token_dir / "freshbooks.json"


def write_tokens(text: str) -> Callable[[Settings], dict[str, str]]:
    def prepare(settings: Settings) -> dict[str, str]:
        path = freshbooks_tokens(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return {}

    return prepare


def ionapi(change: Callable[[dict], object] | None = None, *, text: str | None = None):
    """A copy of the sandbox's `.ionapi` file, changed, that INFOR_IONAPI_FILE points at."""

    def prepare(settings: Settings) -> dict[str, str]:
        path = settings.home / "credentials.ionapi"
        if text is not None:
            path.write_text(text)
        else:
            data = json.loads(Path(str(settings.infor_ionapi_file)).read_text())
            change(data)  # type: ignore[misc]
            path.write_text(json.dumps(data))
        return {"INFOR_IONAPI_FILE": str(path)}

    return prepare


def setting(**values: str) -> Callable[[Settings], dict[str, str]]:
    return lambda _settings: values


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def authorized_then(**values: Callable[[], str]) -> Callable[[Settings], dict[str, str]]:
    """Authorize against the sandbox first, then change settings (the grant is not the issue)."""

    def prepare(settings: Settings) -> dict[str, str]:
        authorize_headless(settings, FreshBooksTokenManager(settings))
        return {name: value() for name, value in values.items()}

    return prepare


def expired_access_token(settings: Settings) -> None:
    """Authorize, then age the stored access token so the next call must refresh it."""
    authorize_headless(settings, FreshBooksTokenManager(settings))
    path = freshbooks_tokens(settings)
    data = json.loads(path.read_text())
    data["expires_at"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    path.write_text(json.dumps(data))


def wrong_client_secret(settings: Settings) -> dict[str, str]:
    expired_access_token(settings)
    return {"FRESHBOOKS_CLIENT_SECRET": "0" * 64}


def spent_refresh_token(settings: Settings) -> dict[str, str]:
    """A token file whose refresh token was used already (FreshBooks' are single use): what a
    restored backup or a second copy of the file holds."""
    expired_access_token(settings)
    path = freshbooks_tokens(settings)
    stale = path.read_text()
    FreshBooksTokenManager(settings).renew()  # spends it and stores the new one
    path.write_text(stale)
    return {}


def del_keys(*keys: str) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        for key in keys:
            del data[key]

    return change


def put(key: str, value: str) -> Callable[[dict], None]:
    return lambda data: data.__setitem__(key, value)


@dataclass(frozen=True)
class Case:
    name: str
    args: list[str]
    expected: tuple[str, ...]
    prepare: Callable[[Settings], dict[str, str] | None] = field(default=lambda _s: {})

    def __str__(self) -> str:
        return self.name


CASES = [
    # FreshBooks token file: the grant is lost; only a person can give it again
    Case("fb token missing", EXTRACT_FRESHBOOKS,
         ("no stored FreshBooks authorization (no ", "freshbooks.json", REAUTHORIZE)),
    Case("fb token empty", EXTRACT_FRESHBOOKS, ("freshbooks.json is empty", REAUTHORIZE),
         write_tokens("")),
    Case("fb token not json", EXTRACT_FRESHBOOKS, ("freshbooks.json is not JSON", REAUTHORIZE),
         write_tokens("garbage")),
    Case("fb token wrong shape", EXTRACT_FRESHBOOKS,
         ("freshbooks.json is not a token set (missing access_token, expires_at)", REAUTHORIZE),
         write_tokens('{"foo": 1}')),
    Case("fb token not an object", EXTRACT_FRESHBOOKS,
         ("freshbooks.json is not a JSON object", REAUTHORIZE), write_tokens("[1, 2]")),
    Case("fb token wrong types", EXTRACT_FRESHBOOKS,
         ("is not a token set (invalid expires_at)", REAUTHORIZE),
         write_tokens('{"access_token": "abcdefgh", "expires_at": "soon"}')),
    Case("fb token not json, webhooks register", REGISTER,
         ("freshbooks.json is not JSON", REAUTHORIZE), write_tokens("{")),
    # the .ionapi file
    Case("ionapi missing", AUTH_INFOR, ("INFOR_IONAPI_FILE", "nowhere.ionapi does not exist"),
         setting(INFOR_IONAPI_FILE="/nowhere/nowhere.ionapi")),
    Case("ionapi empty", EXTRACT_INFOR, ("INFOR_IONAPI_FILE", "credentials.ionapi is empty"),
         ionapi(text="")),
    Case("ionapi not json", EXTRACT_INFOR, ("credentials.ionapi is not readable JSON",),
         ionapi(text='{"ti": "x",')),
    Case("ionapi not an object", AUTH_INFOR, ("credentials.ionapi is not a JSON object",),
         ionapi(text="[]")),
    Case("ionapi incomplete, extract", EXTRACT_INFOR,
         ("missing key 'ot' (token path)", "missing key 'saak' (service account access key)",
          "not a service-account app"),
         ionapi(del_keys("ot", "saak"))),
    Case("ionapi incomplete, auth", AUTH_INFOR,
         ("missing key 'ci' (OAuth client id)", "missing key 'iu' (ION API gateway URL)"),
         ionapi(del_keys("ci", "iu"))),
    Case("ionapi empty key", AUTH_INFOR, ("empty key 'sask' (service account secret key)",),
         ionapi(put("sask", " "))),
    Case("ionapi iu without scheme", EXTRACT_INFOR,
         ("'iu' (ION API gateway URL) in INFOR_IONAPI_FILE", "'127.0.0.1:1', not an http(s) URL"),
         ionapi(put("iu", "127.0.0.1:1"))),
    Case("ionapi pu wrong scheme", AUTH_INFOR,
         ("'pu' (authorization server URL)", "'ftp://sso.example.com/T/as/', not an http(s)"),
         ionapi(put("pu", "ftp://sso.example.com/T/as/"))),
    Case("ionapi token path wrong", AUTH_INFOR,
         ("there is no ION token endpoint at", "check 'pu' and 'ot'"),
         ionapi(put("ot", "no-such.oauth2"))),
    Case("ionapi tenant wrong", AUTH_INFOR,
         ("M3 does not answer at", "/NOT_OURS/M3/m3api-rest/v2 (HTTP 404)", "check 'iu' and 'ti'"),
         ionapi(put("ti", "NOT_OURS"))),
    # URLs in settings
    Case("api url without scheme", EXTRACT_FRESHBOOKS,
         ("FRESHBOOKS_API_URL=not-a-url is not an http(s) URL", "scheme://host[:port]"),
         setting(FRESHBOOKS_API_URL="not-a-url")),
    Case("api url wrong scheme", EXTRACT_FRESHBOOKS,
         ("FRESHBOOKS_API_URL=ftp://api.freshbooks.com is not an http(s) URL",),
         setting(FRESHBOOKS_API_URL="ftp://api.freshbooks.com")),
    Case("auth url without scheme", ["auth", "freshbooks", "--headless"],
         ("FRESHBOOKS_AUTH_URL=auth.freshbooks.com is not an http(s) URL",),
         setting(FRESHBOOKS_AUTH_URL="auth.freshbooks.com")),
    Case("shop url without scheme", ["extract", "--source", "shop", "--quiet"],
         ("SHOP_API_URL=shop.example.com is not an http(s) URL",),
         setting(SHOP_API_URL="shop.example.com")),
    Case("shop url port not a number", ["extract", "--source", "shop", "--quiet"],
         ("SHOP_API_URL=http://127.0.0.1:port is not an http(s) URL",),
         setting(SHOP_API_URL="http://127.0.0.1:port")),
    # nothing listens there
    Case("closed port, freshbooks", EXTRACT_FRESHBOOKS,
         ("cannot connect to http://127.0.0.1:", "connection refused", "check FRESHBOOKS_API_URL"),
         authorized_then(FRESHBOOKS_API_URL=lambda: f"http://127.0.0.1:{closed_port()}")),
    Case("closed port, shop", ["extract", "--source", "shop", "--quiet"],
         ("extract shop failed: shop: cannot connect to http://127.0.0.1:", "check SHOP_API_URL"),
         lambda _s: {"SHOP_API_URL": f"http://127.0.0.1:{closed_port()}"}),
    Case("closed port, ION token endpoint", AUTH_INFOR,
         ("cannot connect to http://127.0.0.1:", "check 'pu' in INFOR_IONAPI_FILE"),
         ionapi(lambda d: d.__setitem__("pu", f"http://127.0.0.1:{closed_port()}/T/as/"))),
    Case("unknown host", EXTRACT_FRESHBOOKS,
         ("the host name no-such-host.invalid does not exist", "check FRESHBOOKS_API_URL"),
         authorized_then(FRESHBOOKS_API_URL=lambda: "http://no-such-host.invalid")),
    # credentials
    Case("wrong freshbooks client secret", EXTRACT_FRESHBOOKS,
         ("does not accept FRESHBOOKS_CLIENT_ID with FRESHBOOKS_CLIENT_SECRET (invalid_client)",),
         wrong_client_secret),
    Case("spent refresh token", EXTRACT_FRESHBOOKS,
         ("FreshBooks refused the grant (invalid_grant", REAUTHORIZE), spent_refresh_token),
    Case("wrong ION service account keys", AUTH_INFOR,
         ("rejected the service account keys ('saak', 'sask')", "invalid_grant"),
         ionapi(put("sask", "not-the-secret-key-0123456789"))),
    Case("wrong ION client secret", AUTH_INFOR,
         ("rejected the app's client id and secret ('ci', 'cs')", "invalid_client"),
         ionapi(put("cs", "not-the-client-secret-0123456789"))),
    Case("company not authorized", AUTH_INFOR,
         ("INFOR_CONO=200: M3 does not let the service account use company 200", "XAU0008"),
         setting(INFOR_CONO="200")),
    Case("unknown division", AUTH_INFOR, ("INFOR_DIVI=ZZZ: M3 company 100 refuses division ZZZ",),
         setting(INFOR_DIVI="ZZZ")),
    # numbers
    Case("rate limit not a number", EXTRACT_FRESHBOOKS,
         ("INFOR_RATE_LIMIT=abc is not a number: use a number greater than 0",
          "requests per second to Infor; default 10.0"),
         setting(INFOR_RATE_LIMIT="abc")),
    Case("rate limit zero", ["status"], ("FRESHBOOKS_RATE_LIMIT=0 is out of range",),
         setting(FRESHBOOKS_RATE_LIMIT="0")),
    Case("attempts not whole", EXTRACT_FRESHBOOKS,
         ("HTTP_MAX_ATTEMPTS=2.5 is not a number: use a whole number of at least 1",),
         setting(HTTP_MAX_ATTEMPTS="2.5")),
    Case("timeout negative", AUTH_INFOR, ("HTTP_TIMEOUT_SECONDS=-3 is out of range",),
         setting(HTTP_TIMEOUT_SECONDS="-3")),
    Case("port out of range", ["webhooks", "serve"],
         ("WEBHOOKS_PORT=70000 is out of range: use a whole number from 0 to 65535",),
         setting(WEBHOOKS_PORT="70000")),
    Case("replay window zero", ["webhooks", "status"],
         ("WEBHOOKS_DEDUPE_WINDOW_SECONDS=0 is out of range",),
         setting(WEBHOOKS_DEDUPE_WINDOW_SECONDS="0")),
    Case("tolerance with three decimals", ["status"],
         ("PAYMENT_DIFFERENCE_TOLERANCE=1.234 has too many decimals: use at most 2",),
         setting(PAYMENT_DIFFERENCE_TOLERANCE="1.234")),
    Case("code too long", ["status"],
         ("INFOR_PAYMENT_DIFFERENCE_CODE=TOOLONGCODE is too long: use 1 to 6 characters",),
         setting(INFOR_PAYMENT_DIFFERENCE_CODE="TOOLONGCODE")),
    Case("two wrong settings", ["status"],
         ("SHOP_RATE_LIMIT=fast is not a number", "LOG_LEVEL=loud is not a log level"),
         setting(SHOP_RATE_LIMIT="fast", LOG_LEVEL="loud")),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_bad_input_is_one_line_naming_it_and_the_fix(settings: Settings, case: Case):
    env = case.prepare(settings) or {}
    started = time.monotonic()
    result = run(settings, case.args, env)
    line = one_line_error(result)
    for expected in case.expected:
        assert expected in line, line
    # Never retried: the default policy would wait up to a minute on a retryable failure.
    assert time.monotonic() - started < 8, line


def test_secrets_never_reach_the_line(settings: Settings):
    wrong = "not-the-secret-key-0123456789"
    env = ionapi(put("sask", wrong))(settings)
    line = one_line_error(run(settings, AUTH_INFOR, env))
    ionapi_file = Path(env["INFOR_IONAPI_FILE"])
    for key in ("cs", "saak", "sask"):
        assert json.loads(ionapi_file.read_text())[key] not in line


def test_a_corrupted_infor_token_cache_is_replaced_not_fatal(settings: Settings):
    """The ION token file is only a cache: the service account gets a new token."""
    with InforClient.from_settings(settings) as infor:
        infor.tokens.renew(from_scratch=True)  # type: ignore[union-attr]
    cache = token_store_for(load_ionapi(settings.infor_ionapi_file), settings.token_dir).path
    for broken in ("garbage", "", '{"foo": 1}'):
        cache.write_text(broken)
        env = {"LEDGERLINK_DISABLED_ENTITIES": ",".join(f"infor.{e}" for e in INFOR_BUT_ONE)}
        result = run(settings, EXTRACT_INFOR, env)
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
        [warning] = [line for line in result.stderr.splitlines() if "token cache" in line]
        assert "ION token cache unreadable, asking ION for a new token" in warning
        assert json.loads(cache.read_text())["access_token"]  # replaced with a good one
        assert stat.S_IMODE(cache.stat().st_mode) == 0o600


INFOR_BUT_ONE = (
    "customer_orders", "customer_order_lines", "delivery_lines", "deliveries",
    "customer_invoices", "ar_open_items", "chart_of_accounts", "gl_voucher_lines", "suppliers",
    "items",
)  # fmt: skip


def test_debug_adds_the_traceback(settings: Settings):
    for args, env in (
        (["--debug", *EXTRACT_FRESHBOOKS], {"INFOR_RATE_LIMIT": "abc"}),
        (EXTRACT_FRESHBOOKS, {"INFOR_RATE_LIMIT": "abc", "LEDGERLINK_DEBUG": "1"}),
    ):
        result = run(settings, args, env)
        assert result.exit_code == 1
        assert "Traceback (most recent call last)" in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("error: INFOR_RATE_LIMIT=abc")


def test_a_bug_says_so_in_one_line_and_logs_its_traceback(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("no_such_column")

    monkeypatch.setattr("ledgerlink.cli.extract.extract", broken)
    result = run(settings, EXTRACT_FRESHBOOKS)
    line = one_line_error(result)
    log = settings.home / "logs" / "errors.log"
    assert line == (
        "error: unexpected KeyError: 'no_such_column' (a bug in ledgerlink); traceback in "
        f"{log}; rerun with --debug for the traceback"
    )
    assert "Traceback (most recent call last)" in log.read_text()
    assert "raise KeyError" in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600

    debug = run(settings, ["--debug", *EXTRACT_FRESHBOOKS])
    assert "Traceback (most recent call last)" in debug.stderr
