"""FreshBooks answers are typed by status first: an error page that is not JSON is still a 5xx."""

from __future__ import annotations

import httpx
import pytest

from ledgerlink.connectors.freshbooks.errors import raise_for_error
from ledgerlink.errors import MalformedResponse, RateLimited, TransientFailure

TEXT = {"content-type": "text/plain; charset=utf-8"}


def test_a_server_error_page_is_a_transient_failure():
    response = httpx.Response(503, headers=TEXT, content=b"Service Unavailable")
    with pytest.raises(TransientFailure, match="create client"):
        raise_for_error(response, "create client")


def test_a_rate_limit_page_is_rate_limited():
    with pytest.raises(RateLimited):
        raise_for_error(httpx.Response(429, headers=TEXT, content=b"slow down"), "list clients")


def test_a_success_that_is_not_json_is_malformed():
    with pytest.raises(MalformedResponse, match="expected JSON"):
        raise_for_error(httpx.Response(200, headers=TEXT, content=b"<html>"), "list clients")
