"""`InforClient`: the `.ionapi` file, ION tokens and the M3 client wired from settings."""

from __future__ import annotations

from types import TracebackType

import httpx

from ledgerlink.auth import RefreshingBearerAuth
from ledgerlink.connectors.infor.auth import IonTokenManager, token_store_for
from ledgerlink.connectors.infor.errors import SERVICE
from ledgerlink.connectors.infor.ionapi import IonApiCredentials, load_ionapi
from ledgerlink.connectors.infor.m3 import M3Client
from ledgerlink.connectors.infor.programs import (
    CashReceipts,
    ChartOfAccounts,
    CustomerOrders,
    Customers,
    Deliveries,
    GeneralLedger,
    Items,
    Receivables,
    Suppliers,
)
from ledgerlink.http import build_client
from ledgerlink.settings import Settings


class InforClient:
    """Every M3 program wrapper the flows use, sharing one M3 client and one token manager."""

    def __init__(
        self,
        m3: M3Client,
        *,
        credentials: IonApiCredentials | None = None,
        tokens: IonTokenManager | None = None,
        token_http: httpx.Client | None = None,
    ) -> None:
        self.m3 = m3
        self.credentials = credentials
        self.tokens = tokens
        self._token_http = token_http
        self.customers = Customers(m3)
        self.orders = CustomerOrders(m3)
        self.deliveries = Deliveries(m3)
        self.receivables = Receivables(m3)
        self.cash_receipts = CashReceipts(m3)
        self.general_ledger = GeneralLedger(m3)
        self.accounts = ChartOfAccounts(m3)
        self.items = Items(m3)
        self.suppliers = Suppliers(m3)

    @classmethod
    def from_settings(cls, settings: Settings, *, persist_tokens: bool = True) -> InforClient:
        """Read `INFOR_IONAPI_FILE`, then build the token and M3 clients on the one HTTP policy.

        With `persist_tokens`, the access token is cached under `<home>/tokens/` (mode 0600), so
        short-lived processes reuse it for its ~2 h instead of asking ION for a new one each time.
        """
        credentials = load_ionapi(settings.infor_ionapi_file)
        source = f"INFOR_IONAPI_FILE {settings.infor_ionapi_file}"
        token_http = build_client(
            SERVICE, credentials.pu, settings, url_setting=f"'pu' in {source}"
        )
        store = token_store_for(credentials, settings.token_dir) if persist_tokens else None
        tokens = IonTokenManager(credentials, token_http, store)
        http = build_client(
            SERVICE,
            credentials.m3_base_url,
            settings,
            auth=RefreshingBearerAuth(tokens),
            headers={"Accept": "application/json"},
            url_setting=f"'iu' in {source}",
        )
        m3 = M3Client(http, cono=settings.infor_cono, divi=settings.infor_divi)
        return cls(m3, credentials=credentials, tokens=tokens, token_http=token_http)

    def close(self) -> None:
        self.m3.close()
        if self._token_http is not None:
            self._token_http.close()

    def __enter__(self) -> InforClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
