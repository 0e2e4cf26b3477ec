"""Infor M3 connector: ION API auth from an `.ionapi` file and the MI REST v2 client."""

from ledgerlink.connectors.infor.auth import IonTokenManager, ServiceAccountRejected
from ledgerlink.connectors.infor.client import InforClient
from ledgerlink.connectors.infor.errors import (
    M3AlreadyExists,
    M3Error,
    M3InputRejected,
    M3NotFound,
    M3ValidationError,
)
from ledgerlink.connectors.infor.ionapi import IonApiCredentials, load_ionapi, parse_ionapi
from ledgerlink.connectors.infor.m3 import (
    M3BulkResult,
    M3Client,
    M3Result,
    is_read_transaction,
)
from ledgerlink.connectors.infor.programs import PAGED_LISTS

__all__ = [
    "PAGED_LISTS",
    "InforClient",
    "IonApiCredentials",
    "IonTokenManager",
    "M3AlreadyExists",
    "M3BulkResult",
    "M3Client",
    "M3Error",
    "M3InputRejected",
    "M3NotFound",
    "M3Result",
    "M3ValidationError",
    "ServiceAccountRejected",
    "is_read_transaction",
    "load_ionapi",
    "parse_ionapi",
]
