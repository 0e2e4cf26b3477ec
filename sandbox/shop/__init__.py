"""Emulator of a Shopify-style Admin REST API (orders, customers, products, order webhooks)."""

from __future__ import annotations

import hashlib
from itertools import islice

from fastapi import APIRouter, FastAPI

from sandbox.emulator import Emulator, SandboxContext
from sandbox.generator import World
from sandbox.shop.derive import ShopWorld
from sandbox.shop.documents import build_order
from sandbox.shop.errors import error_body
from sandbox.shop.orders import OrderDesk
from sandbox.shop.routes import build_api
from sandbox.shop.store import ShopStore
from sandbox.shop.webhooks import Dispatcher, Subscriptions

BATCH = 1_000


def _secret(kind: str, seed: int, prefix: str) -> str:
    return (
        prefix + hashlib.sha256(f"ledgerlink-sandbox:shop:{kind}:{seed}".encode()).hexdigest()[:32]
    )


class ShopEmulator(Emulator):
    """Orders, customers and products derived from the World, served as the Admin REST API does.

    The access token and webhook secret come from the seed the process started with, and stay
    fixed for its lifetime (a reset with another seed changes the data, not the credentials).
    """

    name = "shop"
    data_version = 3

    def __init__(self, ctx: SandboxContext) -> None:
        super().__init__(ctx)
        self.access_token = _secret("token", ctx.seed, "shpat_")
        self.webhook_secret = _secret("webhook", ctx.seed, "shpss_")
        self.store = ShopStore(self.db)
        self.subscriptions = Subscriptions(self.db)
        self.dispatcher = Dispatcher(self.db, self.subscriptions, self.webhook_secret)
        self.desk = OrderDesk(self.store, self.dispatcher, ctx.clock.now)

    def build_app(self) -> FastAPI:
        return build_api(
            self.store, self.subscriptions, lambda: self.access_token, self.ctx.clock.now
        )

    def control_routes(self, router: APIRouter) -> None:
        from sandbox.shop.controls import add_controls

        add_controls(router, self.store, self.desk, self.dispatcher)

    def error_body(self, status: int) -> tuple[str, bytes]:
        return error_body(status)

    def environment(self) -> dict[str, str]:
        return {
            "SHOP_API_URL": self.base_url,
            "SHOP_ACCESS_TOKEN": self.access_token,
            "SHOP_WEBHOOK_SECRET": self.webhook_secret,
        }

    def clear_controls(self) -> None:
        self.dispatcher.forget_pending()

    def load(self, world: World) -> None:
        """Replace every table with the shop derived from `world`, in batches (scales stream)."""
        self.store.recreate()
        shop = ShopWorld.derive(world)
        self.store.insert("products", (item.product_document() for item in shop.catalog))
        specs = shop.orders()
        while batch := list(islice(specs, BATCH)):
            docs = []
            for spec in batch:
                doc = build_order(spec)
                if spec.buyer is not None:
                    spec.buyer.record_order(doc, spec.created_at)
                docs.append(doc)
            self.store.insert("orders", docs)
        for start in range(0, len(shop.buyers), BATCH):
            self.store.insert(
                "customers", [b.document() for b in shop.buyers[start : start + BATCH]]
            )


__all__ = ["ShopEmulator"]
