"""Settings: the one place that reads environment variables and `.env` files."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SANDBOX_ENV_FILE = "sandbox.env"


class Settings(BaseSettings):
    """Connection settings, credentials and limits.

    Values come from the environment, then `.env`, then `<home>/sandbox.env` (written by
    `ledgerlink sandbox up`, so every command talks to a running sandbox without extra flags).
    """

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", env_file_encoding="utf-8", env_ignore_empty=True
    )

    # where ledgerlink keeps its state: warehouse, tokens, inbox, sandbox data
    ledgerlink_home: Path = Path(".ledgerlink")
    warehouse_path: Path | None = Field(default=None, validation_alias="LEDGERLINK_WAREHOUSE")

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
    infor_rate_limit: float = 10.0

    # Shop (Shopify-style Admin REST API)
    shop_api_url: str = "http://127.0.0.1:8003"
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

    def rate_limit_for(self, service: str) -> float:
        return {
            "freshbooks": self.freshbooks_rate_limit,
            "infor": self.infor_rate_limit,
            "shop": self.shop_rate_limit,
        }.get(service, 10.0)


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
