"""Who may use the console: the home's token or a user list, signed sessions, CSRF, roles.

- The owner of the home logs in with a random token kept in `<home>/console/token` (0600),
  shown by `ledgerlink console --print-token`; the token is an operator.
- A user list (`<home>/console/users.yml`, or `LEDGERLINK_CONSOLE_USERS`) names people with an
  argon2 password hash and a role: `read-only` sees everything, `operator` may also act.
- A login gives a session cookie signed with a key kept beside the token (0600), HttpOnly and
  SameSite=Strict, valid for `SESSION_SECONDS`. Each session has its own CSRF token that every
  form posts back; a POST without it is refused. Scripts may send `Authorization: Bearer
  <token>` instead of a cookie (read-only requests only: no CSRF token, no action).
- Five failed logins from one address within a minute make it wait a minute.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from ledgerlink.auth.files import open_private, private_folder
from ledgerlink.errors import ConfigurationError

Role = Literal["read-only", "operator"]
ROLES: tuple[Role, ...] = ("read-only", "operator")
SESSION_COOKIE = "ledgerlink_console"
SESSION_SECONDS = 12 * 3600
USERS_VARIABLE = "LEDGERLINK_CONSOLE_USERS"
TOKEN_USER = "token"
FAILED_LOGINS_ALLOWED = 5
LOCKOUT_SECONDS = 60.0

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Viewer:
    """The person a request comes from."""

    name: str
    role: Role
    csrf: str = ""  # empty for a bearer-token request: it may not post

    @property
    def may_act(self) -> bool:
        return self.role == "operator"


def console_folder(home: Path) -> Path:
    return private_folder(home / "console")


def _secret_file(path: Path, length: int) -> str:
    """The secret in `path`, created 0600 with a new random value when missing or empty."""
    fd = open_private(path, os.O_RDWR | os.O_CREAT)
    with os.fdopen(fd, "r+") as handle:
        value = handle.read().strip()
        if not value:
            value = secrets.token_urlsafe(length)
            handle.seek(0)
            handle.truncate()
            handle.write(value + "\n")
    return value


def token(home: Path) -> str:
    """The console's login token (made on first use)."""
    return _secret_file(console_folder(home) / "token", 24)


def new_token(home: Path) -> str:
    """Replace the token: sessions signed with the old key end too."""
    folder = console_folder(home)
    for name in ("token", "session.key"):
        (folder / name).unlink(missing_ok=True)
    return token(home)


def users_file(home: Path) -> Path:
    configured = os.environ.get(USERS_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else console_folder(home) / "users.yml"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def load_users(path: Path) -> dict[str, tuple[Role, str]]:
    """name -> (role, password hash); none when the file does not exist."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"console users file {path} is not YAML ({exc})") from None
    users: dict[str, tuple[Role, str]] = {}
    for entry in data.get("users", []):
        name, role, hashed = entry.get("name"), entry.get("role"), entry.get("password_hash")
        if not name or role not in ROLES or not str(hashed or "").startswith("$argon2"):
            raise ConfigurationError(
                f"console users file {path}: each user needs a name, a role ({' or '.join(ROLES)}) "
                "and an argon2 password_hash (`ledgerlink console add-user NAME` writes one)"
            )
        users[str(name)] = (role, str(hashed))
    return users


def add_user(path: Path, name: str, role: Role, password: str) -> None:
    """Add or replace one user in the users file (written 0600)."""
    if role not in ROLES:
        raise ConfigurationError(f"role {role!r}: choose {' or '.join(ROLES)}")
    data = yaml.safe_load(path.read_text()) if path.exists() else None
    entries = [u for u in (data or {}).get("users", []) if u.get("name") != name]
    entries.append({"name": name, "role": role, "password_hash": hash_password(password)})
    private_folder(path.parent, tighten=False)
    fd = open_private(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump({"users": entries}, handle, sort_keys=False)


class Gate:
    """Checks logins, issues and reads sessions, and checks CSRF tokens."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._token = token(home)
        key = _secret_file(console_folder(home) / "session.key", 32)
        self._sessions = URLSafeTimedSerializer(key, salt="ledgerlink-console-session")
        self.notices = URLSafeSerializer(key, salt="ledgerlink-console-notice")
        self._failures: dict[str, list[float]] = {}
        self._failures_lock = threading.Lock()

    # --- logging in -------------------------------------------------------------------------
    def locked_out(self, address: str) -> bool:
        now = time.monotonic()
        with self._failures_lock:
            recent = [t for t in self._failures.get(address, []) if now - t < LOCKOUT_SECONDS]
            self._failures[address] = recent
            return len(recent) >= FAILED_LOGINS_ALLOWED

    def _failed(self, address: str) -> None:
        with self._failures_lock:
            self._failures.setdefault(address, []).append(time.monotonic())

    def login(self, address: str, name: str, secret: str) -> Viewer | None:
        """The viewer for a token (no name) or a user's password; None when refused."""
        viewer: Viewer | None = None
        if not name.strip():
            if hmac.compare_digest(secret.strip().encode(), self._token.encode()):
                viewer = Viewer(TOKEN_USER, "operator")
        else:
            known = load_users(users_file(self.home)).get(name.strip())
            if known is not None:
                try:
                    _hasher.verify(known[1], secret)
                    viewer = Viewer(name.strip(), known[0])
                except (VerificationError, InvalidHashError):
                    viewer = None
        if viewer is None:
            self._failed(address)
        return viewer

    def bearer(self, header: str) -> Viewer | None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), self._token.encode()
        ):
            return Viewer(TOKEN_USER, "read-only")
        return None

    # --- sessions -----------------------------------------------------------------------------
    def session_cookie(self, viewer: Viewer) -> str:
        return self._sessions.dumps(
            {"name": viewer.name, "role": viewer.role, "csrf": secrets.token_urlsafe(24)}
        )

    def viewer(self, cookie: str | None) -> Viewer | None:
        if not cookie:
            return None
        try:
            data = self._sessions.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        role = data.get("role")
        if role not in ROLES:
            return None
        # A user removed from the list, or given another role, is taken at their word now.
        if data["name"] != TOKEN_USER:
            known = load_users(users_file(self.home)).get(data["name"])
            if known is None:
                return None
            role = known[0]
        return Viewer(data["name"], role, data["csrf"])

    @staticmethod
    def csrf_ok(viewer: Viewer, sent: str | None) -> bool:
        return bool(viewer.csrf) and hmac.compare_digest(
            (sent or "").encode(), viewer.csrf.encode()
        )
