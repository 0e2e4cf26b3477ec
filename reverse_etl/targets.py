"""The writers for each target, connected from settings (one client per target per push)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from ledgerlink.connectors.freshbooks import FreshBooksClient
from ledgerlink.connectors.infor import InforClient
from ledgerlink.settings import Settings
from reverse_etl import exchanges
from reverse_etl.operations import Writer


class TargetWriters:
    """Builds each target's writer on first use and closes its client at the end."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._writers: dict[str, Writer] = {}
        self._stack = ExitStack()

    def __call__(self, target: str) -> Writer:
        if target not in self._writers:
            self._writers[target] = self._build(target)
        return self._writers[target]

    def _build(self, target: str) -> Writer:
        if target == "infor":
            from reverse_etl.writers.infor import InforWriter

            client: Any = self._stack.enter_context(InforClient.from_settings(self.settings))
            exchanges.attach(client.m3.http)  # M3 only: the token grant carries secrets
            return InforWriter(client)
        if target == "freshbooks":
            from reverse_etl.writers.freshbooks import FreshBooksWriter

            client = self._stack.enter_context(FreshBooksClient.from_settings(self.settings))
            exchanges.attach(client.http)
            return FreshBooksWriter(client, infor_company=self.settings.infor_cono)
        raise ValueError(f"no writer for target {target!r}")

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> TargetWriters:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
