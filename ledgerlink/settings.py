"""Settings: the one place that reads environment variables and `.env` files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerlink.errors import ConfigurationError

SANDBOX_ENV_FILE = "sandbox.env"
# M3's GL periods are closed month by month; a quarter covers the periods still open to
# back-dated postings in most companies.
DEFAULT_GL_REREAD_DAYS = 92


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
    freshbooks_rate_limit: float = 5.0

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
    infor_rate_limit: float = 10.0
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
    shop_rate_limit: float = 2.0

    # the one HTTP policy
    http_timeout_seconds: float = 30.0
    http_max_attempts: int = 6
    http_max_total_wait_seconds: float = 60.0
    http_backoff_base_seconds: float = 0.5
    http_backoff_cap_seconds: float = 20.0
    # how long a push waits before looking up records whose write ended without an answer
    # (a timeout, a dropped connection): the server may still be writing them
    push_settle_seconds: float = 5.0

    # webhook receiver (`ledgerlink webhooks serve`): where it listens, the public URL the
    # services post to, and how long a redelivered event counts as a repeat
    webhooks_host: str = "127.0.0.1"
    webhooks_port: int = 8780
    webhooks_public_url: str = ""
    webhooks_dedupe_window_seconds: float = 300.0

    # orchestration: schedules, the Infor polling interval, alerts and the UI links they carry
    sync_cron: str = "*/15 * * * *"
    reference_refresh_cron: str = "0 2 * * *"
    infor_poll_interval_seconds: int = 60
    alert_webhook_url: SecretStr = SecretStr("")
    dagster_ui_url: str = "http://127.0.0.1:3000"

    # mapping tables (CSV, named as the project's seeds) that replace the project's own ones
    mappings_dir: Path | None = Field(default=None, validation_alias="LEDGERLINK_MAPPINGS_DIR")

    log_level: str = "INFO"
    log_format: str = "text"

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


def load_settings(**overrides: object) -> Settings:
    """Read settings; `<home>/sandbox.env` fills what neither the environment nor `.env` sets."""
    base = Settings(**overrides)
    sandbox_env = base.sandbox_env_file
    if not sandbox_env.exists():
        return base
    # .env wins over sandbox.env only for keys it really sets; the process environment always wins.
    return Settings(_env_file=(sandbox_env, ".env"), **overrides)


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
