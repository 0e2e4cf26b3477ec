"""The httpx client factory: timeouts, per-host rate limits, retries and redacted call logs.

A failure that no wait can cure is raised at once as one of our errors instead of being
retried: an address that is not an http(s) URL, a host name that does not exist, and a
connection refused on this machine (nothing listens on that port: the sandbox or the service
is not running, or the setting names the wrong port).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Mapping

import httpx

from ledgerlink.errors import (
    ConfigurationError,
    OutcomeUnknown,
    ServiceUnreachable,
    TransientFailure,
)
from ledgerlink.http.ratelimit import TokenBucket, limiter_for_host
from ledgerlink.http.retry import RETRY_STATUSES, RetryableStatus, RetryPolicy
from ledgerlink.log import get_logger
from ledgerlink.redaction import redact
from ledgerlink.settings import Settings, is_http_url

log = get_logger("ledgerlink.http")

# getaddrinfo's answers for a name that does not exist (not "try again later": EAI_AGAIN).
UNKNOWN_HOST_ERRORS = frozenset(
    code for code in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)) if code is not None
)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_IDEMPOTENT_KEY = "ledgerlink.idempotent"


def mark_idempotent(request: httpx.Request, idempotent: bool) -> httpx.Request:
    """Override the method's default: M3 writes are GETs that must not be repeated blindly."""
    request.extensions[_IDEMPOTENT_KEY] = idempotent
    return request


def is_idempotent(request: httpx.Request) -> bool:
    return bool(request.extensions.get(_IDEMPOTENT_KEY, request.method in IDEMPOTENT_METHODS))


def check_url(url: str, setting: str | None, *, example: str = "https://host") -> str:
    """`url` when it is an absolute http(s) URL; else `ConfigurationError` naming `setting`."""
    if not is_http_url(url):
        raise ConfigurationError(
            f"{setting or 'the service URL'} is {url!r}, not an http(s) URL: write it as "
            f"scheme://host[:port], e.g. {example}"
        )
    return url


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _os_error(exc: httpx.TransportError) -> BaseException | None:
    """The socket error under httpx's and httpcore's wrappers."""
    current: BaseException | None = exc
    while current is not None and not isinstance(current, OSError):
        current = current.__cause__ or current.__context__
    return current


def hopeless(exc: httpx.TransportError, url: httpx.URL) -> str | None:
    """Why trying `url` again cannot help (a short reason), or None when a retry may.

    A refused connection to this machine means nothing listens there; a remote host may be
    restarting behind its load balancer, so there it is retried like any connect error.
    """
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "not an http(s) URL"
    cause = _os_error(exc)
    if isinstance(cause, ConnectionRefusedError) and is_loopback(url.host):
        return "connection refused: nothing listens on that port"
    if isinstance(cause, socket.gaierror) and cause.errno in UNKNOWN_HOST_ERRORS:
        return f"the host name {url.host} does not exist"
    return None


class PolicyTransport(httpx.BaseTransport):
    """Wraps a real transport with the rate limit and the retry loop of the one policy."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        service: str,
        policy: RetryPolicy,
        limiter: TokenBucket,
        url_setting: str | None = None,
    ) -> None:
        self.inner = inner
        self.service = service
        self.policy = policy
        self.limiter = limiter
        self.url_setting = url_setting

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        idempotent = is_idempotent(request)
        attempt_no = 0
        try:
            for attempt in self.policy.retrying(idempotent=idempotent):
                with attempt:
                    attempt_no = attempt.retry_state.attempt_number
                    response = self._send_once(request, attempt_no)
            return response
        except RetryableStatus as exhausted:
            # Out of retries: hand back the last answer so the connector can type the error.
            return exhausted.response

    def _send_once(self, request: httpx.Request, attempt: int) -> httpx.Response:
        self.limiter.acquire()
        started = time.perf_counter()
        fields = {
            "service": self.service,
            "method": request.method,
            "url": redact(str(request.url)),
            "attempt": attempt,
        }
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            reason = hopeless(exc, request.url)
            if reason is not None:
                # Never retried: the request did not leave this machine, and no wait helps.
                netloc = request.url.netloc.decode()
                origin = f"{request.url.scheme}://{netloc}" if netloc else str(request.url)
                service = self.service.removesuffix("-oauth")  # FreshBooks, to the operator
                raise ServiceUnreachable(service, origin, reason, self.url_setting) from None
            log.warning(
                "http call failed",
                extra={**fields, "error": type(exc).__name__, "ms": _ms(started)},
            )
            raise
        fields.update(status=response.status_code, ms=_ms(started))
        if response.status_code in RETRY_STATUSES:
            response.read()
            retryable = RetryableStatus(response)
            if response.status_code == 429 and retryable.retry_after:
                self.limiter.pause(retryable.retry_after)
            log.warning("http call retryable", extra=fields)
            raise retryable
        log.debug("http call", extra=fields)
        return response

    def close(self) -> None:
        self.inner.close()


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def build_client(
    service: str,
    base_url: str,
    settings: Settings,
    *,
    auth: httpx.Auth | None = None,
    headers: Mapping[str, str] | None = None,
    rate_limit: float | None = None,
    inner_transport: httpx.BaseTransport | None = None,
    url_setting: str | None = None,
) -> httpx.Client:
    """An httpx client for `service` that follows the one policy (timeouts, limits, retries).

    `url_setting` names where `base_url` comes from (`FRESHBOOKS_API_URL`, a key of the
    `.ionapi` file): an error that a wrong address causes tells the operator what to change.
    """
    check_url(base_url, url_setting)
    policy = RetryPolicy(
        max_attempts=settings.http_max_attempts,
        base_seconds=settings.http_backoff_base_seconds,
        cap_seconds=settings.http_backoff_cap_seconds,
        max_total_wait_seconds=settings.http_max_total_wait_seconds,
    )
    host = httpx.URL(base_url).host or base_url
    limiter = limiter_for_host(
        f"{service}:{host}:{httpx.URL(base_url).port}",
        rate_limit or settings.rate_limit_for(service),
    )
    transport = PolicyTransport(
        inner_transport or httpx.HTTPTransport(limits=httpx.Limits(max_connections=16)),
        service=service,
        policy=policy,
        limiter=limiter,
        url_setting=url_setting,
    )
    return httpx.Client(
        base_url=base_url,
        auth=auth,
        headers={"User-Agent": "ledgerlink/0.1", **(headers or {})},
        timeout=httpx.Timeout(settings.http_timeout_seconds, connect=10.0),
        transport=transport,
    )


def send(
    client: httpx.Client, request: httpx.Request, *, service: str, what: str
) -> httpx.Response:
    """Send through the policy and turn transport failures into typed errors.

    A non-idempotent request that failed after it may have reached the server raises
    `OutcomeUnknown`: the caller must look the record up before any retry.
    """
    try:
        return client.send(request)
    except httpx.TransportError as exc:
        if not is_idempotent(request) and not isinstance(
            exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
        ):
            raise OutcomeUnknown(service, what, exc) from exc
        raise TransientFailure(service, f"{what} failed: {type(exc).__name__}: {exc}") from exc
