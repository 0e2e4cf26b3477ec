"""Shop connector (Shopify-style Admin REST API): paged reads, typed records, signed webhooks."""

from ledgerlink.connectors.shop.client import API_VERSION, ShopClient, validate_record
from ledgerlink.connectors.shop.errors import ShopAuthError
from ledgerlink.connectors.shop.models import (
    Address,
    Customer,
    LineItem,
    Order,
    Product,
    ShippingLine,
    TaxLine,
    Variant,
    WebhookSubscription,
)
from ledgerlink.connectors.shop.webhooks import (
    DEFAULT_TOLERANCE,
    ShopWebhook,
    ShopWebhookVerifier,
    WebhookRejected,
    sign_webhook,
    verify_webhook,
)
from ledgerlink.records import Rejected, partition

__all__ = [
    "API_VERSION",
    "DEFAULT_TOLERANCE",
    "Address",
    "Customer",
    "LineItem",
    "Order",
    "Product",
    "Rejected",
    "ShippingLine",
    "ShopAuthError",
    "ShopClient",
    "ShopWebhook",
    "ShopWebhookVerifier",
    "TaxLine",
    "Variant",
    "WebhookRejected",
    "WebhookSubscription",
    "partition",
    "sign_webhook",
    "validate_record",
    "verify_webhook",
]
