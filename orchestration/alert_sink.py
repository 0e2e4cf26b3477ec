"""Where alerts go: always one structured log line, and a webhook POST when one is configured.

The webhook is Slack-compatible (`{"text": ..., "blocks": [...]}`) and also carries our own
structured `alert` object, so a plain HTTP receiver can route on `alert.kind` without parsing
prose. The URL itself is a credential (anyone holding it can post to the channel), so it is
registered with the redactor and never written to a log line.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import httpx

from ledgerlink.log import RedactingFilter, get_logger
from ledgerlink.redaction import redact, register_secret
from ledgerlink.settings import Settings

log = get_logger("ledgerlink.alerts")

# httpx logs every request URL at INFO; the webhook URL is a secret, so mask it there too.
_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, RedactingFilter) for f in _httpx_log.filters):
    _httpx_log.addFilter(RedactingFilter())

AlertKind = Literal["run_failure", "check_failure", "dead_letter_growth", "anomaly"]
ALERT_KINDS: tuple[str, ...] = ("run_failure", "check_failure", "dead_letter_growth", "anomaly")

# A sensor tick must stay short and a dead sink must not hold it: one attempt, a few seconds.
# (The shared `build_client` policy retries for up to a minute, right for APIs, wrong here.)
SINK_TIMEOUT = httpx.Timeout(5.0, connect=2.0)

# Slack rejects a section block longer than 3000 characters; keep well inside it.
MAX_REASON_CHARS = 2800
MAX_TEXT_CHARS = 300

_LEVELS = {
    "run_failure": logging.ERROR,
    "check_failure": logging.ERROR,
    "dead_letter_growth": logging.WARNING,
    "anomaly": logging.WARNING,
}
# Names a LogRecord already owns; a caller's field with one of these names gets a prefix.
_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def run_url(settings: Settings, run_id: str) -> str:
    """The Dagster UI page of a run, so whoever reads the alert is one click from the logs."""
    return f"{settings.dagster_ui_url.rstrip('/')}/runs/{run_id}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_payload(
    kind: str, summary: str, reason: str, *, run_url: str | None, fields: dict[str, Any]
) -> dict[str, Any]:
    """The webhook body: Slack's `text` and `blocks`, plus the same facts as structured fields."""
    text = _clip(f"[ledgerlink {kind}] {summary}".replace("\n", " "), MAX_TEXT_CHARS)
    details = _clip(reason, MAX_REASON_CHARS)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*\n{details}"}}
    ]
    if run_url:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{run_url}|Open run>"}]}
        )
    alert = {"kind": kind, "summary": summary, "reason": reason, "run_url": run_url, **fields}
    return {"text": f"{text} {run_url}" if run_url else text, "blocks": blocks, "alert": alert}


def post_to_sink(url: str, payload: dict[str, Any]) -> str | None:
    """POST once; return None on success or a redacted one-line reason why the sink failed."""
    try:
        response = httpx.post(url, json=payload, timeout=SINK_TIMEOUT)
    except Exception as exc:  # any failure (refused, timeout, bad URL) is only a log line
        return redact(f"{type(exc).__name__}: {exc}")
    if not response.is_success:  # redirects too: a moved hook would silently swallow alerts
        return redact(f"HTTP {response.status_code}: {response.text[:200]}")
    return None


def send_alert(
    settings: Settings,
    kind: AlertKind | str,
    summary: str,
    reason: str,
    *,
    run_id: str | None = None,
    **fields: Any,
) -> bool:
    """Log the alert and, if a webhook is configured, post it; True when nothing failed.

    Never raises for a sink problem: an alert about a failure must not become a second failure
    (a sensor that raises would stop reporting everything else). The sink error is logged
    instead, without the URL.
    """
    if kind not in ALERT_KINDS:
        raise ValueError(f"unknown alert kind {kind!r}; expected one of {ALERT_KINDS}")
    webhook = settings.alert_webhook_url.get_secret_value().strip()
    register_secret(webhook)
    summary, reason = redact(summary), redact(reason)
    link = run_url(settings, run_id) if run_id else None
    extra_fields = {k: v for k, v in fields.items() if v is not None}
    if run_id:
        extra_fields["run_id"] = run_id

    log_fields = {(f"alert_{k}" if k in _RESERVED else k): v for k, v in extra_fields.items()} | {
        "alert_kind": kind,
        "summary": summary,
        "reason": reason,
        "run_url": link,
    }
    log.log(_LEVELS[kind], "alert", extra=log_fields)

    if not webhook:
        return True
    failure = post_to_sink(
        webhook, build_payload(kind, summary, reason, run_url=link, fields=extra_fields)
    )
    if failure is None:
        return True
    log.warning("alert sink failed", extra={"alert_kind": kind, "error": failure})
    return False
