"""FreshBooks API client: identity, paged accounting lists, record writes and callbacks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ledgerlink.auth import RefreshingBearerAuth
from ledgerlink.connectors.freshbooks.errors import SERVICE, raise_for_error
from ledgerlink.connectors.freshbooks.models import Callback, Identity
from ledgerlink.connectors.freshbooks.oauth import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.resources import RESOURCES, Resource
from ledgerlink.errors import ConfigurationError, MalformedResponse
from ledgerlink.http import build_client, send
from ledgerlink.records import Rejected, validate_record
from ledgerlink.settings import Settings

PER_PAGE = 100  # FreshBooks' silent cap
M = TypeVar("M", bound=BaseModel)


@dataclass
class Page:
    number: int
    pages: int
    total: int
    records: list[dict[str, Any]]


@dataclass
class Search:
    """Accounting `search[...]` filters; dates are day-granular in FreshBooks."""

    updated_min: date | None = None
    updated_max: date | None = None
    vis_state: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def params(self) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        if self.updated_min:
            params.append(("search[updated_min]", self.updated_min.isoformat()))
        if self.updated_max:
            params.append(("search[updated_max]", self.updated_max.isoformat()))
        if self.vis_state is not None:
            params.append(("search[vis_state]", str(self.vis_state)))
        for key, value in self.extra.items():
            if isinstance(value, list | tuple):
                params.extend((f"search[{key}][]", str(v)) for v in value)
            else:
                params.append((f"search[{key}]", str(value)))
        return params


class FreshBooksClient:
    """One FreshBooks account through the one HTTP policy, with OAuth tokens refreshed as needed."""

    def __init__(self, http: httpx.Client, *, account_id: str = "") -> None:
        self.http = http
        self._account_id = account_id
        self._identity: Identity | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, tokens: FreshBooksTokenManager | None = None
    ) -> FreshBooksClient:
        tokens = tokens or FreshBooksTokenManager(settings)
        http = build_client(
            SERVICE,
            settings.freshbooks_api_url,
            settings,
            auth=RefreshingBearerAuth(tokens),
            headers={"Api-Version": "alpha", "Accept": "application/json"},
            url_setting="FRESHBOOKS_API_URL",
        )
        return cls(http, account_id=settings.freshbooks_account_id)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> FreshBooksClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport -------------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: list[tuple[str, str]] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> Any:
        request = self.http.build_request(method, path, params=params, json=json)
        response = send(self.http, request, service=SERVICE, what=what)
        return raise_for_error(response, what)

    # --- identity --------------------------------------------------------------------------------
    def identity(self) -> Identity:
        if self._identity is None:
            body = self._call("GET", "/auth/api/v1/users/me", "identity")
            try:
                self._identity = Identity.model_validate(body["response"])
            except (KeyError, TypeError, ValidationError) as exc:
                raise MalformedResponse(SERVICE, f"identity: unexpected body ({exc})") from exc
        return self._identity

    @property
    def account_id(self) -> str:
        if not self._account_id:
            memberships = self.identity().business_memberships
            if not memberships:
                raise ConfigurationError(
                    "the FreshBooks user belongs to no business: set FRESHBOOKS_ACCOUNT_ID"
                )
            self._account_id = memberships[0].business.account_id
        return self._account_id

    @property
    def business_id(self) -> int | None:
        for membership in self.identity().business_memberships:
            if membership.business.account_id == self.account_id:
                return membership.business.id
        return None

    def _path(self, resource: Resource, record_id: int | None = None) -> str:
        base = f"/accounting/account/{self.account_id}/{resource.path}"
        return base if record_id is None else f"{base}/{record_id}"

    # --- reads -----------------------------------------------------------------------------------
    def pages(
        self,
        resource: str | Resource,
        *,
        search: Search | None = None,
        include: tuple[str, ...] | None = None,
        start_page: int = 1,
        per_page: int = PER_PAGE,
    ) -> Iterator[Page]:
        """Every page of a list, from `start_page`, until FreshBooks says there are no more."""
        res = RESOURCES[resource] if isinstance(resource, str) else resource
        includes = res.includes if include is None else include
        number = start_page
        while True:
            params = [("page", str(number)), ("per_page", str(per_page))]
            params += [("include[]", name) for name in includes]
            params += (search or Search()).params()
            body = self._call(
                "GET", self._path(res), f"list {res.name} page {number}", params=params
            )
            try:
                result = body["response"]["result"]
                page = Page(
                    number=int(result["page"]),
                    pages=int(result["pages"]),
                    total=int(result["total"]),
                    records=list(result[res.plural]),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise MalformedResponse(
                    SERVICE, f"list {res.name}: unexpected envelope ({exc})"
                ) from exc
            yield page
            if not page.records or page.number >= page.pages:
                return
            number += 1

    def list_raw(self, resource: str | Resource, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Records as FreshBooks sends them (what the warehouse loads)."""
        for page in self.pages(resource, **kwargs):
            yield from page.records

    def list(self, resource: str, **kwargs: Any) -> Iterator[BaseModel | Rejected]:
        """Typed records: each is its model, or a `Rejected` with the raw record and the reason
        (to quarantine, never to skip; `ledgerlink.records.partition` splits them)."""
        res = RESOURCES[resource]
        for raw in self.list_raw(res, **kwargs):
            yield validate_record(SERVICE, res.model, res.name, raw)

    def get(self, resource: str, record_id: int) -> BaseModel:
        res = RESOURCES[resource]
        params = [("include[]", name) for name in res.includes]
        body = self._call(
            "GET", self._path(res, record_id), f"get {res.single} {record_id}", params=params
        )
        return self._single(res, body)

    def count(self, resource: str, *, search: Search | None = None) -> int:
        first = next(self.pages(resource, search=search, per_page=1, include=()))
        return first.total

    def _single(self, res: Resource, body: Any) -> BaseModel:
        try:
            raw = body["response"]["result"][res.single]
        except (KeyError, TypeError) as exc:
            raise MalformedResponse(SERVICE, f"{res.single}: unexpected envelope ({exc})") from exc
        parsed = validate_record(SERVICE, res.model, res.single, raw)
        if isinstance(parsed, Rejected):
            raise MalformedResponse(
                SERVICE, f"{res.single} rejected: {parsed.reason}", details=parsed
            )
        return parsed

    # --- writes ----------------------------------------------------------------------------------
    def create(self, resource: str, data: Mapping[str, Any]) -> BaseModel:
        """POST a new record. Not retried blindly: an unknown outcome raises `OutcomeUnknown`."""
        res = RESOURCES[resource]
        params = [("include[]", name) for name in res.includes]
        body = self._call(
            "POST",
            self._path(res),
            f"create {res.single}",
            params=params,
            json={res.single: dict(data)},
        )
        return self._single(res, body)

    def update(self, resource: str, record_id: int, data: Mapping[str, Any]) -> BaseModel:
        """PUT a partial update. FreshBooks drops every other field when `vis_state` is present,
        so a state change must be its own call (see `delete`/`restore`)."""
        res = RESOURCES[resource]
        if "vis_state" in data and len(data) > 1:
            raise ValueError("send vis_state on its own: FreshBooks ignores other fields beside it")
        params = [("include[]", name) for name in res.includes]
        body = self._call(
            "PUT", self._path(res, record_id), f"update {res.single} {record_id}", params=params,
            json={res.single: dict(data)},
        )  # fmt: skip
        return self._single(res, body)

    def delete(self, resource: str, record_id: int) -> BaseModel:
        return self.update(resource, record_id, {"vis_state": 1})

    def restore(self, resource: str, record_id: int) -> BaseModel:
        return self.update(resource, record_id, {"vis_state": 0})

    def mark_invoice_sent(self, invoice_id: int) -> BaseModel:
        return self.update("invoices", invoice_id, {"action_mark_as_sent": True})

    # --- natural-key look-ups (idempotent writes look before they leap) ---------------------------
    def find_invoice_by_number(self, number: str) -> BaseModel | None:
        return self._find_one("invoices", {"invoice_number": number})

    def find_client_by_email(self, email: str) -> BaseModel | None:
        return self._find_one("clients", {"email": email})

    def _find_one(self, resource: str, filters: dict[str, Any]) -> BaseModel | None:
        for vis_state in (None, 1):  # active and archived first, then deleted
            search = Search(vis_state=vis_state, extra=filters)
            for record in self.list(resource, search=search):
                if isinstance(record, Rejected):
                    raise MalformedResponse(SERVICE, f"{resource}: {record.reason}", details=record)
                return record
        return None

    # --- webhook callbacks -----------------------------------------------------------------------
    def _callbacks_path(self, callback_id: int | None = None) -> str:
        base = f"/events/account/{self.account_id}/events/callbacks"
        return base if callback_id is None else f"{base}/{callback_id}"

    def register_callback(self, event: str, uri: str) -> Callback:
        body = self._call(
            "POST",
            self._callbacks_path(),
            "register callback",
            json={"callback": {"event": event, "uri": uri}},
        )
        return Callback.model_validate(body["response"]["result"]["callback"])

    def verify_callback(self, callback_id: int, verifier: str) -> Callback:
        body = self._call(
            "PUT", self._callbacks_path(callback_id), "verify callback",
            json={"callback": {"verifier": verifier}},
        )  # fmt: skip
        return Callback.model_validate(body["response"]["result"]["callback"])

    def resend_verification(self, callback_id: int) -> Callback:
        body = self._call(
            "PUT", self._callbacks_path(callback_id), "resend verification",
            json={"callback": {"resend": True}},
        )  # fmt: skip
        return Callback.model_validate(body["response"]["result"]["callback"])

    def callbacks(self) -> list[Callback]:
        callbacks: list[Callback] = []
        number = 1
        while True:
            params = [("page", str(number)), ("per_page", str(PER_PAGE))]
            body = self._call("GET", self._callbacks_path(), "list callbacks", params=params)
            result = body["response"]["result"]
            callbacks += [Callback.model_validate(c) for c in result["callbacks"]]
            if not result["callbacks"] or int(result["page"]) >= int(result["pages"]):
                return callbacks
            number += 1

    def delete_callback(self, callback_id: int) -> None:
        self._call("DELETE", self._callbacks_path(callback_id), "delete callback")
