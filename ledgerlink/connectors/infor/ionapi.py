"""The `.ionapi` credentials file of an ION API app: parsed, validated, secrets registered."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from ledgerlink.errors import ConfigurationError
from ledgerlink.http.client import check_url
from ledgerlink.redaction import register_secret

# What each key is, for error messages that tell the operator what is missing.
REQUIRED_KEYS = {
    "ti": "tenant identifier",
    "cn": "client (app) name",
    "ci": "OAuth client id",
    "cs": "OAuth client secret",
    "iu": "ION API gateway URL",
    "pu": "authorization server URL",
    "oa": "authorize path",
    "ot": "token path",
    "or": "revoke path",
    "saak": "service account access key",
    "sask": "service account secret key",
}
# The two addresses, with what Infor's own files hold there.
URL_EXAMPLES = {
    "iu": "https://mingle-ionapi.inforcloudsuite.com",
    "pu": "https://mingle-sso.inforcloudsuite.com:443/TENANT/as/",
}
# Keys the connector uses: an empty value there is as bad as a missing key.
NON_EMPTY_KEYS = ("ti", "ci", "cs", "iu", "pu", "ot", "saak", "sask")
WHERE_TO_GET_IT = (
    "download the credentials of a backend-service app with a service account "
    "(Infor OS > API Gateway > Authorized Apps > Download Credentials) and point "
    "INFOR_IONAPI_FILE at the file"
)


class IonApiCredentials(BaseModel):
    """The keys of an `.ionapi` file the connector needs; secrets stay `SecretStr`."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    ti: str
    cn: str
    ci: str
    cs: SecretStr
    iu: str
    pu: str
    oa: str
    ot: str
    or_: str = Field(alias="or")
    saak: SecretStr
    sask: SecretStr

    @property
    def tenant(self) -> str:
        return self.ti

    @property
    def token_url(self) -> str:
        return _join(self.pu, self.ot)

    @property
    def revoke_url(self) -> str:
        return _join(self.pu, self.or_)

    @property
    def m3_base_url(self) -> str:
        """`<iu>/<ti>/M3/m3api-rest/v2`, parent of `execute/{PROGRAM}/{TRANSACTION}`."""
        return f"{self.iu.rstrip('/')}/{self.ti}/M3/m3api-rest/v2"


def _join(base: str, path: str) -> str:
    """Plain concatenation as Infor documents it (`pu` ends with `/`), forgiving a missing `/`."""
    if base.endswith("/") or path.startswith("/"):
        return base + path
    return f"{base}/{path}"


def parse_ionapi(data: Mapping[str, Any], *, source: str = ".ionapi file") -> IonApiCredentials:
    """Validate a decoded `.ionapi` object; a missing or empty key raises `ConfigurationError`."""
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{source} is not a JSON object; {WHERE_TO_GET_IT}")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    empty = [key for key in NON_EMPTY_KEYS if key in data and not str(data[key] or "").strip()]
    if missing or empty:
        problems = [f"missing key '{k}' ({REQUIRED_KEYS[k]})" for k in missing]
        problems += [f"empty key '{k}' ({REQUIRED_KEYS[k]})" for k in empty]
        hint = (
            " (an app without saak/sask is not a service-account app)"
            if {"saak", "sask"} & set(missing)
            else ""
        )
        raise ConfigurationError(f"{source}: {'; '.join(problems)}{hint}; {WHERE_TO_GET_IT}")
    for key in ("cs", "saak", "sask"):
        register_secret(str(data[key]))
    for key, example in URL_EXAMPLES.items():
        check_url(str(data[key]), f"'{key}' ({REQUIRED_KEYS[key]}) in {source}", example=example)
    try:
        return IonApiCredentials.model_validate(
            {k: str(v) for k, v in data.items() if k in REQUIRED_KEYS}
        )
    except ValidationError as exc:  # pragma: no cover - every key is a string by now
        raise ConfigurationError(f"{source}: {exc.errors()[0]['msg']}") from None


def load_ionapi(path: Path | str | None) -> IonApiCredentials:
    """Read and validate the `.ionapi` file at `path` (the `INFOR_IONAPI_FILE` setting)."""
    if path is None or str(path) == "":
        raise ConfigurationError(f"INFOR_IONAPI_FILE is not set; {WHERE_TO_GET_IT}")
    file = Path(path).expanduser()
    if file.is_dir():
        raise ConfigurationError(f"INFOR_IONAPI_FILE {file} is a folder; {WHERE_TO_GET_IT}")
    if not file.is_file():
        raise ConfigurationError(f"INFOR_IONAPI_FILE {file} does not exist; {WHERE_TO_GET_IT}")
    try:
        text = file.read_text(encoding="utf-8-sig")
        if not text.strip():
            raise ConfigurationError(f"INFOR_IONAPI_FILE {file} is empty; {WHERE_TO_GET_IT}")
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"INFOR_IONAPI_FILE {file} is not readable JSON ({type(exc).__name__}); "
            f"{WHERE_TO_GET_IT}"
        ) from None
    return parse_ionapi(data, source=f"INFOR_IONAPI_FILE {file}")
