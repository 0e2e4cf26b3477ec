"""Reading back a FreshBooks sign-in: which way the redirect returns, and what a pasted answer
holds. Every refusal is one line that names the fix; the sandbox flow is in
tests/integration/test_auth_command.py."""

from __future__ import annotations

import socket

import httpx
import pytest

from ledgerlink.auth.redirect import RedirectListener, loopback_address
from ledgerlink.connectors.freshbooks.oauth import (
    Authorization,
    CodeRefused,
    ReceiveMode,
    receive_mode,
)
from ledgerlink.errors import AuthError, ConfigurationError
from ledgerlink.settings import Settings

REDIRECT = "https://localhost/ledgerlink/oauth/callback"
CODE = "3f9a1c0d2b7e4a6f8c5d9e0b1a2c3d4e"


def app(redirect_uri: str = REDIRECT) -> Settings:
    return Settings(
        _env_file=None,
        freshbooks_client_id="client-id",
        freshbooks_client_secret="client-secret",
        freshbooks_redirect_uri=redirect_uri,
        freshbooks_auth_url="https://auth.freshbooks.com",
    )


@pytest.fixture
def sign_in() -> Authorization:
    return Authorization.begin(app())


def test_the_sign_in_page_carries_a_fresh_state_and_the_redirect_uri(sign_in: Authorization):
    params = httpx.URL(sign_in.url).params
    assert sign_in.url.startswith("https://auth.freshbooks.com/oauth/authorize?")
    assert params["redirect_uri"] == REDIRECT
    assert params["response_type"] == "code"
    assert params["state"] == sign_in.state and len(sign_in.state) >= 16
    assert Authorization.begin(app()).state != sign_in.state


@pytest.mark.parametrize(
    ("redirect_uri", "mode", "why"),
    [
        (REDIRECT, ReceiveMode.PASTE, "a local listener cannot receive an https redirect"),
        ("https://127.0.0.1:8443/cb", ReceiveMode.PASTE, "cannot receive an https redirect"),
        ("http://ledgerlink.example.com/cb", ReceiveMode.PASTE, "is not a loopback address"),
        ("http://127.0.0.1:8765/callback", ReceiveMode.LISTEN, "a listener on 127.0.0.1:8765"),
        ("http://localhost:9000/cb", ReceiveMode.LISTEN, "a listener on localhost:9000"),
        ("http://[::1]:9000/cb", ReceiveMode.LISTEN, "a listener on ::1:9000"),
    ],
)
def test_the_redirect_uri_decides_the_mode(redirect_uri: str, mode: ReceiveMode, why: str):
    chosen, reason = receive_mode(app(redirect_uri))
    assert chosen is mode
    assert why in reason


def test_a_mode_can_be_forced_where_it_can_work():
    assert receive_mode(app("http://127.0.0.1:8765/cb"), ReceiveMode.PASTE) == (
        ReceiveMode.PASTE,
        "asked for with --paste",
    )
    with pytest.raises(ConfigurationError, match=r"^--listen needs FRESHBOOKS_REDIRECT_URI"):
        receive_mode(app(), ReceiveMode.LISTEN)


@pytest.mark.parametrize(
    ("redirect_uri", "says"),
    [
        ("localhost/callback", "set it to your FreshBooks app's redirect URI"),
        (f"{REDIRECT}?from=ledgerlink", "refuses a redirect URI with a query string"),
    ],
)
def test_a_redirect_uri_freshbooks_would_refuse_is_a_setting_error(redirect_uri: str, says: str):
    with pytest.raises(ConfigurationError, match="FRESHBOOKS_REDIRECT_URI") as refused:
        Authorization.begin(app(redirect_uri))
    assert says in str(refused.value)


@pytest.mark.parametrize(
    "answer",
    [
        "{redirect}?code={code}&state={state}",
        "  <{redirect}?state={state}&code={code}>  ",
        "'{redirect}?code={code}&state={state}#_=_'",
        "code={code}&state={state}",
        "{code}",
    ],
)
def test_the_code_is_read_from_what_a_person_pastes(sign_in: Authorization, answer: str):
    pasted = answer.format(redirect=REDIRECT, code=CODE, state=sign_in.state)
    assert sign_in.code_from(pasted) == CODE


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("{redirect}?code={code}&state=someone-else", "authorization state mismatch"),
        ("{redirect}?code={code}", "authorization state mismatch"),
        ("{redirect}?code={code}&state=café", "authorization state mismatch"),
        ("{redirect}?error=access_denied&state={state}", "access was denied"),
        (
            "{redirect}?error=invalid_scope&error_description=Bad+scope&state={state}",
            "FreshBooks answered error=invalid_scope (Bad scope)",
        ),
        ("{redirect}?state={state}", "the address has no code in it"),
        ("{redirect}", "neither the address the browser was sent to nor a code"),
        ("no such thing", "neither the address the browser was sent to nor a code"),
        ("short", "neither the address the browser was sent to nor a code"),
        ("   ", "nothing was pasted"),
    ],
)
def test_a_wrong_answer_is_one_line_naming_the_fix(sign_in: Authorization, answer: str, says: str):
    pasted = answer.format(redirect=REDIRECT, code=CODE, state=sign_in.state)
    with pytest.raises(AuthError) as refused:
        sign_in.code_from(pasted)
    message = str(refused.value)
    assert says in message
    assert "\n" not in message
    assert "run `ledgerlink auth freshbooks` again" in message
    assert CODE not in message


def test_pasting_the_sign_in_page_itself_says_to_open_it(sign_in: Authorization):
    with pytest.raises(AuthError, match="the sign-in page's own address; open it"):
        sign_in.code_from(sign_in.url)


class _RefusingManager:
    def exchange_code(self, code: str) -> None:
        raise CodeRefused("freshbooks: FreshBooks refused the authorization code (invalid_grant)")


def test_a_code_refused_long_after_the_page_was_shown_most_likely_expired(
    sign_in: Authorization,
):
    sign_in.shown_at -= 7 * 60
    with pytest.raises(CodeRefused) as refused:
        sign_in.finish(_RefusingManager(), CODE)  # type: ignore[arg-type]
    message = str(refused.value)
    assert "it most likely expired" in message
    assert "codes last 5 minutes after approving" in message
    assert "came 7 minutes after the sign-in page was shown" in message


def test_a_code_refused_at_once_keeps_the_token_endpoint_reason(sign_in: Authorization):
    with pytest.raises(CodeRefused, match=r"\(invalid_grant\)$"):
        sign_in.finish(_RefusingManager(), CODE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("redirect_uri", "address"),
    [
        ("http://127.0.0.1:8765/callback", ("127.0.0.1", 8765)),
        ("http://localhost/callback", ("localhost", 80)),
        (REDIRECT, None),
        ("http://10.0.0.5:8765/callback", None),
    ],
)
def test_loopback_address(redirect_uri: str, address: tuple[str, int] | None):
    assert loopback_address(redirect_uri) == address


def test_the_listener_takes_the_redirect_path_once_and_ignores_the_rest():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redirect_uri = f"http://127.0.0.1:{port}/callback"
    with RedirectListener(redirect_uri) as listener:
        assert listener.address == ("127.0.0.1", port)
        assert httpx.get(f"http://127.0.0.1:{port}/favicon.ico").status_code == 404
        assert listener.wait(0.01) is None
        assert httpx.get(f"{redirect_uri}?code={CODE}&state=s").status_code == 200
        assert httpx.get(f"{redirect_uri}?code=other&state=s").status_code == 404
        assert listener.wait(1) == f"{redirect_uri}?code={CODE}&state=s"


def test_a_taken_port_fails_before_anyone_signs_in():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            RedirectListener(f"http://127.0.0.1:{taken.getsockname()[1]}/callback")
