"""Shop Admin REST API client: cursor-paged reads, single records, counts and webhook subscriptions.

Reads follow the `Link: <...page_info=...>; rel="next"` header until there is no next page. Each
typed iterator (`orders`, `customers`, `products`) yields, per record, either the validated
model or a `Rejected` (from `ledgerlink.records`) holding the raw record and the reason it did
not validate. Callers quarantine the rejected ones; `partition` splits a read into both lists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from ledgerlink.connectors.shop.errors import SERVICE, raise_for_error
from ledgerlink.connectors.shop.models import Customer, Order, Product, WebhookSubscription
from ledgerlink.errors import (
    ConfigurationError,
    MalformedResponse,
    NotFound,
    OutcomeUnknown,
    ValidationFailed,
)
from ledgerlink.http import build_client, send
from ledgerlink.records import Rejected
from ledgerlink.records import validate_record as validate_shop_record
from ledgerlink.redaction import register_secret
from ledgerlink.settings import Settings

API_VERSION = "2024-07"
MAX_LIMIT = 250  # Shopify's largest page
M = TypeVar("M", bound=BaseModel)
Filter = str | int | datetime | None
SINGULAR = {"orders": "order", "customers": "customer", "products": "product"}
MODELS: dict[str, type[BaseModel]] = {"orders": Order, "customers": Customer, "products": Product}


def validate_record(model: type[M], entity: str, raw: Any) -> M | Rejected:
    """`raw` as `model`, or the `Rejected` that says why it is not one."""
    return validate_shop_record(SERVICE, model, entity, raw)


def query_time(value: datetime) -> str:
    """A filter timestamp in ISO 8601 with its offset; a naive value is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


class ShopClient:
    """One shop through the one HTTP policy (rate limit, retries, typed errors)."""

    def __init__(self, http: httpx.Client, *, api_version: str = API_VERSION) -> None:
        self.http = http
        self.api_version = api_version

    @classmethod
    def from_settings(cls, settings: Settings, *, rate_limit: float | None = None) -> ShopClient:
        if not settings.shop_api_url.strip():
            raise ConfigurationError(
                "SHOP_API_URL is not set: give the shop's address (e.g. https://example.myshopify.com),"
                " or leave the shop out with LEDGERLINK_SYSTEMS=freshbooks,infor"
            )
        token = settings.shop_access_token.get_secret_value()
        if not token:
            raise ConfigurationError(
                "SHOP_ACCESS_TOKEN is not set: create an Admin API access token for the shop "
                "(or start the sandbox with `ledgerlink sandbox up`)"
            )
        register_secret(token)
        http = build_client(
            SERVICE,
            settings.shop_api_url,
            settings,
            headers={"X-Shopify-Access-Token": token, "Accept": "application/json"},
            rate_limit=rate_limit,
            url_setting="SHOP_API_URL",
        )
        return cls(http)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ShopClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport -------------------------------------------------------------------------------
    def _path(self, name: str) -> str:
        return f"/admin/api/{self.api_version}/{name}.json"

    def _call(
        self,
        method: str,
        url: str,
        what: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> tuple[Any, httpx.Response]:
        request = self.http.build_request(method, url, params=params, json=json)
        response = send(self.http, request, service=SERVICE, what=what)
        return raise_for_error(response, what), response

    def _envelope(self, body: Any, key: str, what: str) -> Any:
        if not isinstance(body, dict) or key not in body:
            shape = sorted(body) if isinstance(body, dict) else type(body).__name__
            raise MalformedResponse(SERVICE, f"{what}: expected a `{key}` key, got {shape}")
        return body[key]

    def _same_origin(self, url: str, what: str) -> str:
        # The token goes with every request: never follow a link to another host.
        link, base = httpx.URL(url), self.http.base_url
        if (link.scheme, link.host, link.port) != (base.scheme, base.host, base.port):
            raise MalformedResponse(SERVICE, f"{what}: next-page link points to another host")
        return url

    # --- reads -----------------------------------------------------------------------------------
    def pages(
        self, resource: str, params: Mapping[str, Filter] | None = None
    ) -> Iterator[list[Any]]:
        """Every page of `resource` (orders, customers, products) for these filters, in order."""
        first = {"limit": str(MAX_LIMIT), **_params(params or {})}
        query: dict[str, str] | None = first
        url, number, seen = self._path(resource), 1, set()
        while True:
            what = f"list {resource} page {number}"
            body, response = self._call("GET", url, what, params=query)
            records = self._envelope(body, resource, what)
            if not isinstance(records, list):
                raise MalformedResponse(SERVICE, f"{what}: `{resource}` is not a list")
            yield records
            next_link = response.links.get("next", {}).get("url")
            if not next_link:
                return
            if next_link in seen:
                raise MalformedResponse(SERVICE, f"{what}: the next-page link repeats itself")
            seen.add(next_link)
            # The link carries `page_info` and `limit`; other filters must not be sent again
            # (and an empty params mapping would make httpx drop the link's own query).
            url, query, number = self._same_origin(next_link, what), None, number + 1

    def iter_raw(self, resource: str, **filters: Filter) -> Iterator[Any]:
        """Records exactly as the API sends them (Decimal for JSON numbers): what loaders store."""
        for page in self.pages(resource, filters):
            yield from page

    def iter_typed(self, resource: str, **filters: Filter) -> Iterator[Any]:
        """Each record validated into its model, or a `Rejected` with the raw record and reason."""
        model = MODELS[resource]
        for raw in self.iter_raw(resource, **filters):
            yield validate_record(model, resource, raw)

    def orders(
        self,
        updated_at_min: datetime | None = None,
        status: str = "any",
        *,
        updated_at_max: datetime | None = None,
        created_at_min: datetime | None = None,
        since_id: int | None = None,
        limit: int = MAX_LIMIT,
    ) -> Iterator[Order | Rejected]:
        """Orders (all states by default; Shopify's own default is only open ones)."""
        yield from self.iter_typed(
            "orders",
            status=status,
            updated_at_min=updated_at_min,
            updated_at_max=updated_at_max,
            created_at_min=created_at_min,
            since_id=since_id,
            limit=limit,
        )

    def customers(
        self,
        updated_at_min: datetime | None = None,
        *,
        updated_at_max: datetime | None = None,
        since_id: int | None = None,
        limit: int = MAX_LIMIT,
    ) -> Iterator[Customer | Rejected]:
        yield from self.iter_typed(
            "customers",
            updated_at_min=updated_at_min,
            updated_at_max=updated_at_max,
            since_id=since_id,
            limit=limit,
        )

    def products(
        self,
        updated_at_min: datetime | None = None,
        *,
        updated_at_max: datetime | None = None,
        status: str | None = None,
        since_id: int | None = None,
        limit: int = MAX_LIMIT,
    ) -> Iterator[Product | Rejected]:
        yield from self.iter_typed(
            "products",
            updated_at_min=updated_at_min,
            updated_at_max=updated_at_max,
            status=status,
            since_id=since_id,
            limit=limit,
        )

    def get(self, resource: str, object_id: int) -> Any:
        """One record as the API sends it; `NotFound` when it does not exist."""
        what = f"get {SINGULAR[resource]} {object_id}"
        body, _ = self._call("GET", self._path(f"{resource}/{int(object_id)}"), what)
        return self._envelope(body, SINGULAR[resource], what)

    def get_order(self, order_id: int) -> Order:
        return self._get_typed("orders", order_id)  # type: ignore[return-value]

    def get_customer(self, customer_id: int) -> Customer:
        return self._get_typed("customers", customer_id)  # type: ignore[return-value]

    def get_product(self, product_id: int) -> Product:
        return self._get_typed("products", product_id)  # type: ignore[return-value]

    def _get_typed(self, resource: str, object_id: int) -> BaseModel:
        """A single record has nowhere to be quarantined: an invalid one raises, with the reason
        and the `Rejected` in `details`."""
        result = validate_record(MODELS[resource], resource, self.get(resource, object_id))
        if isinstance(result, Rejected):
            raise MalformedResponse(
                SERVICE,
                f"{SINGULAR[resource]} {object_id} does not validate: {result.reason}",
                details=result,
            )
        return result

    def find_customer(self, email: str) -> Customer | None:
        """The customer with this e-mail (case-insensitive), or None: a natural-key lookup."""
        what = "search customers by email"
        body, _ = self._call(
            "GET", self._path("customers/search"), what, params={"query": f"email:{email.strip()}"}
        )
        for raw in self._envelope(body, "customers", what):
            customer = validate_record(Customer, "customers", raw)
            if isinstance(customer, Customer) and customer.email_key == email.strip().lower():
                return customer
        return None

    def count(self, resource: str = "orders", **filters: Filter) -> int:
        """How many records match; for orders pass `status="any"` to count every state."""
        what = f"count {resource}"
        body, _ = self._call("GET", self._path(f"{resource}/count"), what, params=_params(filters))
        count = self._envelope(body, "count", what)
        if not isinstance(count, int):
            raise MalformedResponse(SERVICE, f"{what}: `count` is not an integer")
        return count

    # --- webhook subscriptions -------------------------------------------------------------------
    def webhooks(
        self, topic: str | None = None, address: str | None = None
    ) -> list[WebhookSubscription]:
        what = "list webhooks"
        body, _ = self._call(
            "GET",
            self._path("webhooks"),
            what,
            params=_params({"topic": topic, "address": address}),
        )
        return [
            WebhookSubscription.model_validate(w) for w in self._envelope(body, "webhooks", what)
        ]

    def create_webhook(self, topic: str, address: str) -> WebhookSubscription:
        """Subscribe `address` to `topic`. Not retried blindly: prefer `ensure_webhook`."""
        what = f"create webhook {topic}"
        payload = {"webhook": {"topic": topic, "address": address, "format": "json"}}
        body, _ = self._call("POST", self._path("webhooks"), what, json=payload)
        return WebhookSubscription.model_validate(self._envelope(body, "webhook", what))

    def ensure_webhook(self, topic: str, address: str) -> WebhookSubscription:
        """The subscription for (topic, address), created only when missing: safe to repeat."""
        existing = self.webhooks(topic=topic, address=address)
        if existing:
            return existing[0]
        try:
            return self.create_webhook(topic, address)
        except (OutcomeUnknown, ValidationFailed):
            # The create may have happened (lost answer, or a concurrent caller): look it up.
            existing = self.webhooks(topic=topic, address=address)
            if existing:
                return existing[0]
            raise

    def delete_webhook(self, webhook_id: int) -> None:
        try:
            self._call("DELETE", self._path(f"webhooks/{int(webhook_id)}"), "delete webhook")
        except NotFound:
            return  # already gone: the outcome the caller wanted


def _params(filters: Mapping[str, Filter]) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in filters.items():
        if value is None:
            continue
        params[key] = query_time(value) if isinstance(value, datetime) else str(value)
    if "limit" in params and not 1 <= int(params["limit"]) <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    return params
