"""`ledgerlink auth freshbooks` against the sandbox's FreshBooks emulator, driven like a person.

The emulator's authorize page approves at once; a browser would follow its redirect. Here
httpx follows the authorize URL the command prints without following that last redirect, and
the address it points to is what the person pastes (paste mode) or what the browser would
open (listen mode).
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from ledgerlink.cli import app as cli
from ledgerlink.connectors.freshbooks import FreshBooksClient, authorization_url
from ledgerlink.settings import Settings

HTTPS_REDIRECT = "https://localhost/ledgerlink/oauth/callback"
LEDGERLINK = Path(sys.executable).with_name("ledgerlink")
PASTE_MODE = (
    f"redirect URI is {HTTPS_REDIRECT}: paste mode "
    "(a local listener cannot receive an https redirect)"
)


def approve(authorize_url: str) -> str:
    """What a browser does on the sandbox's sign-in page: the address it is sent to next."""
    response = httpx.get(authorize_url, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def another_sign_in(settings: Settings, redirect_uri: str = HTTPS_REDIRECT) -> str:
    """A redirect address from a sign-in the command did not start (its own state)."""
    url, _ = authorization_url(
        settings.model_copy(update={"freshbooks_redirect_uri": redirect_uri})
    )
    return approve(url)


def environment(settings: Settings, redirect_uri: str = HTTPS_REDIRECT) -> dict[str, str]:
    return {"LEDGERLINK_HOME": str(settings.home), "FRESHBOOKS_REDIRECT_URI": redirect_uri}


def token_file(settings: Settings) -> Path:
    return settings.token_dir / "freshbooks.json"


def run_interactively(
    settings: Settings,
    respond: Callable[[str], str],
    *args: str,
    redirect_uri: str = HTTPS_REDIRECT,
) -> tuple[int, str]:
    """Run the command in a process; `respond` gets the printed sign-in page and returns the
    line to type. Returns the exit code and everything the command wrote (stdout and stderr)."""
    process = subprocess.Popen(
        [str(LEDGERLINK), "auth", "freshbooks", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **environment(settings, redirect_uri), "BROWSER": "true"},
    )
    assert process.stdin and process.stdout
    seen = []
    try:
        while line := process.stdout.readline():
            seen.append(line)
            if "/oauth/authorize?" in line:
                break
        else:
            pytest.fail(f"no sign-in page was printed:\n{''.join(seen)}")
        answer = respond(line.strip())
        if answer is not None:
            process.stdin.write(answer + "\n")
        process.stdin.close()
        rest = process.stdout.read()
        return process.wait(timeout=60), "".join(seen) + rest
    finally:
        if process.poll() is None:
            process.kill()


def invoke(settings: Settings, answer: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["auth", "freshbooks", *args], input=f"{answer}\n", env=environment(settings)
    )
    return result.exit_code, result.output


def error_lines(output: str) -> list[str]:
    """The `error:` lines (piped input is not echoed, so one may follow the prompt)."""
    assert "Traceback" not in output
    return [line[line.index("error: ") :] for line in output.splitlines() if "error: " in line]


def test_paste_mode_stores_private_tokens_that_work(settings: Settings):
    code = {}

    def paste_the_redirect(sign_in_page: str) -> str:
        redirect = approve(sign_in_page)
        assert redirect.startswith(f"{HTTPS_REDIRECT}?")
        code["value"] = parse_qs(urlsplit(redirect).query)["code"][0]
        return redirect

    exit_code, output = run_interactively(settings, paste_the_redirect)

    assert exit_code == 0, output
    assert output.splitlines()[0] == PASTE_MODE
    assert "fails to load: that is expected" in output
    assert "authorized FreshBooks account" in output
    assert code["value"] not in output
    assert stat.S_IMODE(token_file(settings).stat().st_mode) == 0o600
    with FreshBooksClient.from_settings(settings) as client:  # the stored tokens, nothing else
        assert client.identity().business_memberships


def test_a_bare_code_is_accepted(settings: Settings):
    code = parse_qs(urlsplit(another_sign_in(settings)).query)["code"][0]
    exit_code, output = invoke(settings, code)
    assert exit_code == 0, output
    assert token_file(settings).exists()


def test_access_denied_is_one_line_naming_the_fix(settings: Settings):
    def deny(sign_in_page: str) -> str:
        state = parse_qs(urlsplit(sign_in_page).query)["state"][0]
        return (
            f"{HTTPS_REDIRECT}?error=access_denied"
            f"&error_description=The+resource+owner+denied+the+request.&state={state}"
        )

    exit_code, output = run_interactively(settings, deny)

    assert exit_code == 1
    assert error_lines(output) == [
        "error: freshbooks: access was denied on FreshBooks' page (error=access_denied); "
        "run `ledgerlink auth freshbooks` again and choose to allow ledgerlink"
    ]
    assert not token_file(settings).exists()


def test_state_mismatch_is_refused_before_the_code_is_spent(settings: Settings):
    foreign = another_sign_in(settings)

    exit_code, output = invoke(settings, foreign)

    assert exit_code == 1
    [line] = error_lines(output)
    assert "authorization state mismatch" in line and "ledgerlink auth freshbooks" in line
    assert not token_file(settings).exists()
    # Nothing was sent to FreshBooks: the code still works for the sign-in it belongs to.
    exit_code, output = invoke(settings, parse_qs(urlsplit(foreign).query)["code"][0])
    assert exit_code == 0, output


def test_an_expired_code_says_codes_last_five_minutes(settings: Settings, sandbox: dict):
    clock = f"{sandbox['urls']['freshbooks']}/_sandbox/clock"
    code = parse_qs(urlsplit(another_sign_in(settings)).query)["code"][0]
    httpx.post(clock, json={"advance_seconds": 301}, timeout=10).raise_for_status()
    try:
        exit_code, output = invoke(settings, code)
    finally:
        httpx.post(clock, json={"reset": True}, timeout=10).raise_for_status()
    assert exit_code == 1
    [line] = error_lines(output)
    assert "refused the authorization code (invalid_grant): it expired" in line
    assert "codes last 5 minutes" in line and "ledgerlink auth freshbooks" in line
    assert code not in line


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("", "nothing was pasted"),
        ("not a code!", "neither the address the browser was sent to nor a code"),
        (HTTPS_REDIRECT, "neither the address the browser was sent to nor a code"),
        (f"{HTTPS_REDIRECT}?state=x", "state mismatch"),
    ],
)
def test_malformed_input_is_one_line(settings: Settings, answer: str, says: str):
    exit_code, output = invoke(settings, answer)
    assert exit_code == 1
    [line] = error_lines(output)
    assert says in line and "ledgerlink auth freshbooks" in line


def test_pasting_the_sign_in_page_itself_says_to_open_it(settings: Settings):
    page, _ = authorization_url(
        settings.model_copy(update={"freshbooks_redirect_uri": HTTPS_REDIRECT})
    )
    exit_code, output = invoke(settings, page)
    assert exit_code == 1
    [line] = error_lines(output)
    assert "the sign-in page's own address; open it, approve" in line


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_listen_mode_receives_the_browser_on_a_loopback_redirect(settings: Settings):
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"

    def browse(sign_in_page: str) -> None:
        target = approve(sign_in_page)
        assert target.startswith(f"{redirect_uri}?code=")
        base = f"{urlsplit(target).scheme}://{urlsplit(target).netloc}"
        assert httpx.get(f"{base}/favicon.ico", timeout=10).status_code == 404  # ignored
        landed = httpx.get(target, timeout=10)
        assert landed.status_code == 200 and "return to the terminal" in landed.text

    exit_code, output = run_interactively(settings, browse, redirect_uri=redirect_uri)

    assert exit_code == 0, output
    host_port = urlsplit(redirect_uri).netloc
    assert output.splitlines()[0] == (
        f"redirect URI is {redirect_uri}: listen mode "
        f"(a listener on {host_port} receives the browser's redirect)"
    )
    assert stat.S_IMODE(token_file(settings).stat().st_mode) == 0o600


def test_paste_can_be_forced_for_a_loopback_redirect(settings: Settings):
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    exit_code, output = run_interactively(settings, approve, "--paste", redirect_uri=redirect_uri)
    assert exit_code == 0, output
    assert output.splitlines()[0] == (
        f"redirect URI is {redirect_uri}: paste mode (asked for with --paste)"
    )


def test_listen_cannot_be_forced_for_an_https_redirect(settings: Settings):
    exit_code, output = invoke(settings, "", "--listen")
    assert exit_code == 1
    [line] = error_lines(output)
    assert line.startswith("error: --listen needs FRESHBOOKS_REDIRECT_URI to be http://127.0.0.1")
    assert HTTPS_REDIRECT in line


def test_a_taken_port_is_one_line_naming_the_setting(settings: Settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        redirect_uri = f"http://127.0.0.1:{taken.getsockname()[1]}/callback"
        result = CliRunner().invoke(
            cli, ["auth", "freshbooks"], env=environment(settings, redirect_uri)
        )
    assert result.exit_code == 1
    [line] = error_lines(result.output)
    assert "another program holds that port" in line and "--paste" in line


def test_modes_are_exclusive(settings: Settings):
    exit_code, output = invoke(settings, "", "--paste", "--listen")
    assert exit_code == 1
    assert error_lines(output) == ["error: choose one of --paste, --listen and --headless"]


def test_a_wrong_client_secret_names_the_settings(settings: Settings):
    code = parse_qs(urlsplit(another_sign_in(settings)).query)["code"][0]
    result = CliRunner().invoke(
        cli,
        ["auth", "freshbooks"],
        input=f"{code}\n",
        env={**environment(settings), "FRESHBOOKS_CLIENT_SECRET": "not-the-secret"},
    )
    assert result.exit_code == 1
    [line] = error_lines(result.output)
    assert line.startswith(
        "error: FreshBooks does not accept FRESHBOOKS_CLIENT_ID with FRESHBOOKS_CLIENT_SECRET"
    )
    assert "not-the-secret" not in result.output
