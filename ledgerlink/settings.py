"""Settings: the one place that reads environment variables and `.env` files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import annotated_types
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerlink.errors import ConfigurationError

SANDBOX_ENV_FILE = "sandbox.env"
# M3's GL periods are closed month by month; a quarter covers the periods still open to
# back-dated postings in most companies.
DEFAULT_GL_REREAD_DAYS = 92
# FreshBooks deliveries carry no timestamp or event id, so a captured delivery can only be told
# from a new one by remembering it: its key is kept this long (see ledgerlink/webhooks/).
DEFAULT_WEBHOOK_REPLAY_WINDOW_SECONDS = 30 * 24 * 3600
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


class Settings(BaseSettings):
    """Connection settings, credentials and limits.

    Values come from the environment, then `.env`, then `<home>/sandbox.env` (written by
    `ledgerlink sandbox up`, so every command talks to a running sandbox without extra flags).
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        extra="ignore",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        populate_by_name=True,  # fields by name in code, by their variable's name from outside
    )

    # where ledgerlink keeps its state: warehouse, tokens, inbox, sandbox data
    ledgerlink_home: Path = Path(".ledgerlink")
    warehouse_path: Path | None = Field(default=None, validation_alias="LEDGERLINK_WAREHOUSE")

    # which systems this deployment connects (comma list; empty: FreshBooks and Infor, plus the
    # shop when its URL and token are filled) and the entities switched off ("system.entity")
    systems_setting: str = Field(default="", validation_alias="LEDGERLINK_SYSTEMS")
    disabled_entities_setting: str = Field(
        default="", validation_alias="LEDGERLINK_DISABLED_ENTITIES"
    )

    # FreshBooks
    freshbooks_api_url: str = "https://api.freshbooks.com"
    freshbooks_auth_url: str = "https://auth.freshbooks.com"
    freshbooks_client_id: str = ""
    freshbooks_client_secret: SecretStr = SecretStr("")
    freshbooks_redirect_uri: str = "http://127.0.0.1:8765/callback"
    freshbooks_account_id: str = ""
    freshbooks_webhook_verifier: SecretStr = SecretStr("")
    freshbooks_rate_limit: float = Field(default=5.0, gt=0)

    # Infor M3 (ION API gateway)
    infor_ionapi_file: Path | None = None
    infor_cono: str = "100"
    infor_divi: str = "AAA"
    # the tenant's codes that writes use (`ledgerlink check` confirms each exists in M3)
    infor_facility: str = "A01"
    infor_warehouse: str = "A01"
    infor_local_currency: str = "USD"
    infor_statement_type: str = "1"  # ABS100MI bank statement type (BSTY) of cash receipts
    infor_gl_interface: str = "FBEXPENSE"  # GLS850 interface (INTN) of GL journal batches
    # a FreshBooks payment that settles an Infor invoice to within PAYMENT_DIFFERENCE_TOLERANCE
    # (over or under, in the payment's currency) is booked whole: the invoice's open amount to
    # AR, the difference as a statement detail with this ABS business transaction code (BLBC),
    # which the tenant books to an account; a larger difference is held for review (0: any is)
    payment_difference_tolerance: Decimal = Field(default=Decimal("1.00"), ge=0, decimal_places=2)
    infor_payment_difference_code: str = Field(default="PAYDIF", min_length=1, max_length=6)
    infor_rate_limit: float = Field(default=10.0, gt=0)
    # M3 history: the first load reads customer invoices and GL vouchers from this date
    # (YYYY-MM-DD; empty: all of it), and later runs re-read GL vouchers whose accounting date
    # lies in the last INFOR_GL_REREAD_DAYS days (vouchers are often posted back-dated)
    infor_history_start_setting: str = Field(default="", validation_alias="INFOR_HISTORY_START")
    infor_gl_reread_days_setting: str = Field(
        default=str(DEFAULT_GL_REREAD_DAYS), validation_alias="INFOR_GL_REREAD_DAYS"
    )

    # Shop (Shopify-style Admin REST API)
    shop_api_url: str = ""
    shop_access_token: SecretStr = SecretStr("")
    shop_webhook_secret: SecretStr = SecretStr("")
    shop_rate_limit: float = Field(default=2.0, gt=0)

    # the one HTTP policy
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    http_max_attempts: int = Field(default=6, ge=1)
    http_max_total_wait_seconds: float = Field(default=60.0, ge=0)
    http_backoff_base_seconds: float = Field(default=0.5, ge=0)
    http_backoff_cap_seconds: float = Field(default=20.0, ge=0)
    # how long a push waits before looking up records whose write ended without an answer
    # (a timeout, a dropped connection): the server may still be writing them
    push_settle_seconds: float = Field(default=5.0, ge=0)
    # the pre-posting gate (`hold:` in reverse_etl/syncs.yml): off, every planned row is written
    # without being scored
    anomaly_gate: bool = True

    # webhook receiver (`ledgerlink webhooks serve`): where it listens, the public URL the
    # services post to, and how long a delivery is remembered: a repeat within the window (a
    # retry, or a captured delivery replayed) is acknowledged and dropped
    webhooks_host: str = "127.0.0.1"
    webhooks_port: int = Field(default=8780, ge=0, le=65535)
    webhooks_public_url: str = ""
    webhooks_dedupe_window_seconds: float = Field(
        default=DEFAULT_WEBHOOK_REPLAY_WINDOW_SECONDS, gt=0
    )

    # orchestration: schedules, the Infor polling interval, alerts and the UI links they carry
    sync_cron: str = "*/15 * * * *"
    reference_refresh_cron: str = "0 2 * * *"
    infor_poll_interval_seconds: int = Field(default=60, ge=1)
    alert_webhook_url: SecretStr = SecretStr("")
    dagster_ui_url: str = "http://127.0.0.1:3000"

    # the operator console (`ledgerlink console`; the demo starts it on this address)
    console_host: str = Field(default="127.0.0.1", validation_alias="LEDGERLINK_CONSOLE_HOST")
    console_port: int = Field(default=8790, validation_alias="LEDGERLINK_CONSOLE_PORT")

    # mapping tables (CSV, named as the project's seeds) that replace the project's own ones
    mappings_dir: Path | None = Field(default=None, validation_alias="LEDGERLINK_MAPPINGS_DIR")
    # `ledgerlink mapping accept` refuses a suggestion less confident than this (unless --force)
    mapping_accept_min_confidence: float = Field(
        default=0.4, ge=0.0, le=1.0, validation_alias="LEDGERLINK_MAPPING_ACCEPT_MIN_CONFIDENCE"
    )
    # `ledgerlink mapping accept --auto` accepts, with no person, suggestions at least this
    # confident; unset (the default), nothing is ever accepted automatically
    mapping_auto_accept_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, validation_alias="LEDGERLINK_MAPPING_AUTO_ACCEPT_CONFIDENCE"
    )

    log_level: str = "INFO"
    log_format: str = "text"

    @field_validator("freshbooks_api_url", "freshbooks_auth_url")
    @classmethod
    def _required_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("shop_api_url", "webhooks_public_url", "dagster_ui_url")
    @classmethod
    def _optional_url(cls, value: str) -> str:
        return _http_url(value) if value.strip() else value

    @field_validator("alert_webhook_url")
    @classmethod
    def _optional_secret_url(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value().strip():
            _http_url(value.get_secret_value())
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"is not a log level: use one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.strip().lower() not in LOG_FORMATS:
            raise ValueError(f"is not a log format: use {' or '.join(LOG_FORMATS)}")
        return value.strip().lower()

    @property
    def home(self) -> Path:
        return self.ledgerlink_home.resolve()

    @property
    def warehouse(self) -> Path:
        return (self.warehouse_path or self.home / "warehouse.duckdb").resolve()

    @property
    def token_dir(self) -> Path:
        return self.home / "tokens"

    @property
    def inbox_path(self) -> Path:
        """The webhook inbox (SQLite): receivers append, the Dagster sensor drains."""
        return self.home / "inbox.sqlite"

    @property
    def sandbox_env_file(self) -> Path:
        return self.home / SANDBOX_ENV_FILE

    def system_choices(self) -> dict[str, SystemChoice]:
        """Each system, whether it is on, and why (the setting that decided it)."""
        return choose_systems(self)

    @property
    def systems(self) -> tuple[str, ...]:
        """The systems this deployment connects, in the order they are loaded."""
        return tuple(name for name, choice in self.system_choices().items() if choice.enabled)

    def system_enabled(self, system: str) -> bool:
        return system in self.systems

    @property
    def disabled_entities(self) -> frozenset[str]:
        """Entities switched off, as `system.entity` (validated against the sources by them)."""
        return frozenset(
            item.strip().lower()
            for item in self.disabled_entities_setting.split(",")
            if item.strip()
        )

    def entity_enabled(self, system: str, entity: str) -> bool:
        return self.system_enabled(system) and f"{system}.{entity}" not in self.disabled_entities

    @property
    def infor_history_start(self) -> date | None:
        """The first day the first M3 load reads invoices and GL vouchers from (None: all)."""
        text = self.infor_history_start_setting.strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ConfigurationError(
                f"INFOR_HISTORY_START={text} is not a date: use YYYY-MM-DD (e.g. 2019-01-01), "
                "or leave it empty to load all of M3's history"
            ) from None

    @property
    def infor_gl_reread_days(self) -> int:
        """How many days back, by accounting date, later runs read GL vouchers again."""
        text = self.infor_gl_reread_days_setting.strip()
        if not text.isdigit() or int(text) < 1:
            raise ConfigurationError(
                f"INFOR_GL_REREAD_DAYS={text} is not a number of days: use a whole number of "
                f"at least 1 (default {DEFAULT_GL_REREAD_DAYS})"
            )
        return int(text)

    def rate_limit_for(self, service: str) -> float:
        return {
            "freshbooks": self.freshbooks_rate_limit,
            "infor": self.infor_rate_limit,
            "shop": self.shop_rate_limit,
        }.get(service, 10.0)


SYSTEMS = ("freshbooks", "infor", "shop")
REQUIRED_SYSTEMS = ("freshbooks", "infor")  # the integration pair itself


@dataclass(frozen=True)
class SystemChoice:
    enabled: bool
    reason: str


def choose_systems(settings: Settings) -> dict[str, SystemChoice]:
    """On or off per system: `LEDGERLINK_SYSTEMS` when set, else FreshBooks and Infor always and
    the shop when `SHOP_API_URL` and `SHOP_ACCESS_TOKEN` are both filled."""
    named = [s.strip().lower() for s in settings.systems_setting.split(",") if s.strip()]
    if named:
        unknown = sorted(set(named) - set(SYSTEMS))
        if unknown:
            raise ConfigurationError(
                f"LEDGERLINK_SYSTEMS names {', '.join(unknown)}: "
                f"use a comma list of {', '.join(SYSTEMS)}"
            )
        missing = [s for s in REQUIRED_SYSTEMS if s not in named]
        if missing:
            raise ConfigurationError(
                f"LEDGERLINK_SYSTEMS must include {' and '.join(REQUIRED_SYSTEMS)} "
                f"(ledgerlink connects that pair); add {', '.join(missing)}"
            )
        return {
            s: SystemChoice(s in named, f"LEDGERLINK_SYSTEMS={settings.systems_setting}")
            for s in SYSTEMS
        }
    choices = {s: SystemChoice(True, "always connected") for s in REQUIRED_SYSTEMS}
    shop_filled = bool(settings.shop_api_url.strip()) and bool(
        settings.shop_access_token.get_secret_value().strip()
    )
    choices["shop"] = SystemChoice(
        shop_filled,
        "SHOP_API_URL and SHOP_ACCESS_TOKEN are set"
        if shop_filled
        else "SHOP_API_URL or SHOP_ACCESS_TOKEN is empty",
    )
    return choices


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, and a port that is a number if there is one."""
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _http_url(value: str) -> str:
    if not is_http_url(value):
        raise ValueError("is not an http(s) URL: write it as scheme://host[:port]")
    return value.strip()


# What a numeric setting counts, for the message that says what to write instead.
UNITS = {
    "freshbooks_rate_limit": "requests per second to FreshBooks",
    "infor_rate_limit": "requests per second to Infor",
    "shop_rate_limit": "requests per second to the shop",
    "http_timeout_seconds": "seconds",
    "http_max_attempts": "tries per request",
    "http_max_total_wait_seconds": "seconds",
    "http_backoff_base_seconds": "seconds",
    "http_backoff_cap_seconds": "seconds",
    "push_settle_seconds": "seconds",
    "webhooks_port": "0 picks a free port",
    "webhooks_dedupe_window_seconds": "seconds",
    "infor_poll_interval_seconds": "seconds",
}
_NOT_A_NUMBER = frozenset(
    {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"}
    | {"decimal_parsing", "decimal_type"}
)
_OUT_OF_RANGE = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})


def variable_name(field: str) -> str:
    """The environment variable (or `.env` key) that sets `field`."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else field.upper()


def _expected(info: FieldInfo) -> str:
    """What a numeric field accepts, in words: "a whole number from 0 to 65535"."""
    kind = "a whole number" if info.annotation is int else "a number"
    low = high = None
    for rule in info.metadata:
        if isinstance(rule, annotated_types.Gt):
            low = f"greater than {rule.gt}"
        elif isinstance(rule, annotated_types.Ge):
            low = f"of at least {rule.ge}"
        elif isinstance(rule, annotated_types.Le):
            high = rule.le
    if isinstance(low, str) and low.startswith("of at least") and high is not None:
        return f"{kind} from {low.removeprefix('of at least ')} to {high}"
    return " ".join(part for part in (kind, low) if part)


def explain(error: ValidationError) -> str:
    """One line per wrong setting, joined: which variable, its value, and what to write."""
    problems = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        info = Settings.model_fields.get(field)
        if info is None:
            problems.append(item["msg"])
            continue
        secret = info.annotation is SecretStr
        shown = "(hidden)" if secret else str(item.get("input", ""))
        default = info.default.get_secret_value() if secret else info.default
        hint = f"default {default}" if default not in ("", None) else "or leave it empty"
        if item["type"] == "value_error":
            what = str(item["ctx"]["error"]) if item.get("ctx") else item["msg"]
            problems.append(f"{variable_name(field)}={shown} {what} ({hint})")
            continue
        unit = f"{UNITS[field]}; " if field in UNITS else ""
        problems.append(f"{variable_name(field)}={shown} {_wrong(item, info)} ({unit}{hint})")
    return "; ".join(problems)


def _wrong(item: Any, info: FieldInfo) -> str:
    """What is wrong with one value and what to write instead, from pydantic's error type."""
    kind, context = item["type"], item.get("ctx") or {}
    if kind in _NOT_A_NUMBER:
        return f"is not a number: use {_expected(info)}"
    if kind in _OUT_OF_RANGE:
        return f"is out of range: use {_expected(info)}"
    if kind == "decimal_max_places":
        return f"has too many decimals: use at most {context['decimal_places']}"
    if kind in ("string_too_long", "string_too_short"):
        rules = {type(r).__name__: r for r in info.metadata}
        low = getattr(rules.get("MinLen"), "min_length", 0)
        high = getattr(rules.get("MaxLen"), "max_length", "any number of")
        too = "is too long" if kind == "string_too_long" else "is too short"
        return f"{too}: use {low} to {high} characters"
    return f"is not valid ({item['msg']})"


def _settings(**values: Any) -> Settings:
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigurationError(f"{explain(exc)}; change it in the environment or .env") from None


def load_settings(**overrides: object) -> Settings:
    """Read settings; `<home>/sandbox.env` fills what neither the environment nor `.env` sets.

    A wrong value raises `ConfigurationError`, one line naming each variable and what it takes.
    """
    base = _settings(**overrides)
    sandbox_env = base.sandbox_env_file
    if not sandbox_env.exists():
        return base
    # .env wins over sandbox.env only for keys it really sets; the process environment always wins.
    return _settings(_env_file=(sandbox_env, ".env"), **overrides)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def environment_for_subprocess(settings: Settings) -> dict[str, str]:
    """The environment a child process (dbt, dagster) should inherit, with our home pinned."""
    env = dict(os.environ)
    env["LEDGERLINK_HOME"] = str(settings.home)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    return env
