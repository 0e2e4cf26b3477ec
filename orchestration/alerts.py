"""Alert sensors: failed runs, failed dbt tests, anomalies and growing dead letters reach a person.

Four sensors, one per alert kind, so each can be switched off on its own in the UI:

- `alert_on_run_failure`: any failed run, with the error that failed it;
- `alert_on_check_failure`: an asset check (a dbt test of severity error) that failed;
- `alert_on_anomaly`: a warn-severity check (our anomaly and consistency dbt tests) that failed;
- `alert_on_dead_letter_growth`: a push asset whose open dead letters rose since its previous
  materialization.

Every alert goes through `send_alert` (a structured log line, plus the webhook when configured)
and carries a link to the run. Settings are read when a sensor evaluates, not at import, so a
changed `.env` or webhook URL takes effect without reloading the code location, and tests can
point the sensors at their own sink.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DefaultSensorStatus,
    EventLogRecord,
    RunFailureSensorContext,
    RunStatusChangeRecordsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    run_failure_sensor,
    sensor,
)

from ledgerlink.log import get_logger
from ledgerlink.settings import Settings, load_settings
from orchestration.alert_sink import ALERT_KINDS, AlertKind, build_payload, run_url, send_alert

if TYPE_CHECKING:
    from dagster_shared.error import SerializableErrorInfo

__all__ = [
    "ALERT_KINDS",
    "ALERT_SENSORS",
    "AlertKind",
    "SettingsFactory",
    "alert_sensors",
    "build_payload",
    "run_url",
    "send_alert",
]

log = get_logger("ledgerlink.alerts")

SettingsFactory = Callable[[], Settings]

# Often enough that a failed nightly sync is seen within a minute, rarely enough to be cheap.
MINIMUM_INTERVAL_SECONDS = 30
# Ended runs read per tick and status; a backlog is worked off over the next ticks, never skipped.
RUN_BATCH = 100
RUN_END_EVENTS = (
    DagsterEventType.RUN_SUCCESS,
    DagsterEventType.RUN_FAILURE,
    DagsterEventType.RUN_CANCELED,
)
# With no cursor yet (a new deployment, a reset sensor), only recent check failures alert:
# enough to catch a run that finished before the first tick, not a flood of history.
FIRST_TICK_LOOKBACK_SECONDS = 15 * 60
PUSH_PREFIX = ("push",)
DBT_FAILED_ROWS = "dagster_dbt/failed_row_count"


def alert_sensors(settings_factory: SettingsFactory = load_settings) -> list[SensorDefinition]:
    """The four alert sensors, reading settings through `settings_factory` at each evaluation."""
    return [
        build_run_failure_sensor(settings_factory),
        build_check_sensor(settings_factory, AssetCheckSeverity.ERROR),
        build_check_sensor(settings_factory, AssetCheckSeverity.WARN),
        build_dead_letter_sensor(settings_factory),
    ]


# ---------------------------------------------------------------------------------------------
# run failures


def root_cause(error: SerializableErrorInfo) -> SerializableErrorInfo:
    """Dagster wraps a user exception in "Error occurred while executing op"; the cause says why."""
    while error.cause is not None:
        error = error.cause
    return error


def _error_line(error: SerializableErrorInfo | None) -> str | None:
    if error is None:
        return None
    root = root_cause(error)
    message = root.message.strip()
    return message if message.startswith(root.cls_name or "") else f"{root.cls_name}: {message}"


def run_failure_reason(context: RunFailureSensorContext) -> str:
    """The error of each failed step, or the run's own error when no step got to fail."""
    lines = []
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        lines.append(f"step {event.step_key}: {_error_line(error) or 'failed'}")
    if not lines:  # failed before any step ran (launch error, bad config, killed worker)
        failure = context.failure_event
        data = failure.event_specific_data
        error = getattr(data, "error", None)
        lines.append(_error_line(error) or failure.message or "run failed")
    return "\n".join(lines)


def build_run_failure_sensor(settings_factory: SettingsFactory) -> SensorDefinition:
    """Alert once per failed run of any job, with the failing step's error and the run link."""

    @run_failure_sensor(
        name="alert_on_run_failure",
        description="Sends a run_failure alert (log line + webhook) for every failed run.",
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        monitor_all_code_locations=True,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def alert_on_run_failure(context: RunFailureSensorContext) -> None:
        run = context.dagster_run
        send_alert(
            settings_factory(),
            "run_failure",
            f"Run {run.run_id[:8]} of {run.job_name} failed",
            run_failure_reason(context),
            run_id=run.run_id,
            job=run.job_name,
        )

    return alert_on_run_failure


# ---------------------------------------------------------------------------------------------
# asset checks (dbt tests): severity ERROR -> check_failure, severity WARN -> anomaly


def _load_cursor(cursor: str | None) -> dict[str, Any]:
    """A cursor that does not parse is treated as absent: restarting beats crashing each tick."""
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except ValueError:
        log.warning("alert sensor cursor unreadable, starting over", extra={"cursor": cursor})
        return {}
    return value if isinstance(value, dict) else {}


def _scalar_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Short scalar metadata (counts, status) worth repeating in an alert; the rest stays in UI."""
    out: dict[str, Any] = {}
    for key, entry in metadata.items():
        value = getattr(entry, "value", entry)
        if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 200):
            out[key] = value
    return out


def check_failure_reason(evaluation: AssetCheckEvaluation, run_id: str) -> str:
    """What failed, on which asset, how badly (dbt's failing row count) and in which run."""
    asset = evaluation.asset_key.to_user_string()
    metadata = _scalar_metadata(evaluation.metadata)
    parts = [
        f"check {evaluation.check_name} on {asset} failed "
        f"(severity {evaluation.severity.value}) in run {run_id}"
    ]
    if DBT_FAILED_ROWS in metadata:
        parts.append(f"failing rows: {metadata[DBT_FAILED_ROWS]}")
    if evaluation.description:
        parts.append(evaluation.description)
    shown = {
        k: v
        for k, v in metadata.items()
        if k != DBT_FAILED_ROWS and not k.startswith(("unique_id", "invocation_id"))
    }
    if shown:
        parts.append("metadata: " + ", ".join(f"{k}={v}" for k, v in sorted(shown.items())))
    return "; ".join(parts)


def _ended_runs(
    context: SensorEvaluationContext, after: int | None
) -> tuple[list[EventLogRecord], int]:
    """Run-end events after storage id `after` (the recent ones when None), oldest first, and
    the storage id to resume after.

    Checks are evaluated inside runs, so a run that ended is when its evaluations are final.
    Run-end events are the one cross-run index every event log storage keeps, including the
    default run-sharded SQLite one of `dagster dev`, where check events cannot be paged by id.
    """
    instance = context.instance
    batches = []
    for event_type in RUN_END_EVENTS:
        records_filter = (
            RunStatusChangeRecordsFilter(
                event_type, after_timestamp=time.time() - FIRST_TICK_LOOKBACK_SECONDS
            )
            if after is None
            else RunStatusChangeRecordsFilter(event_type, after_storage_id=after)
        )
        batches.append(
            instance.fetch_run_status_changes(records_filter, limit=RUN_BATCH, ascending=True)
        )
    # A full batch may hide later events of its type: stop at the first such cut-off.
    horizon = min((b.records[-1].storage_id for b in batches if b.has_more), default=None)
    ended = sorted(
        (r for b in batches for r in b.records if horizon is None or r.storage_id <= horizon),
        key=lambda r: r.storage_id,
    )
    if ended:
        return ended, ended[-1].storage_id
    if after is not None:
        return [], after
    # Nothing recent: start after the newest run end, so history never floods the channel.
    newest = [instance.fetch_run_status_changes(t, limit=1).records for t in RUN_END_EVENTS]
    return [], max((r[0].storage_id for r in newest if r), default=0)


def _failed_evaluations(
    context: SensorEvaluationContext, run_id: str, severity: AssetCheckSeverity
) -> list[AssetCheckEvaluation]:
    records = context.instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = [
        r.event_log_entry.dagster_event.asset_check_evaluation_data
        for r in records
        if r.event_log_entry.dagster_event is not None
    ]
    return [e for e in evaluations if not e.passed and e.severity == severity]


def build_check_sensor(
    settings_factory: SettingsFactory, severity: AssetCheckSeverity
) -> SensorDefinition:
    """Alert on each failed check evaluation of one severity, once, when its run has ended."""
    kind: AlertKind = "check_failure" if severity == AssetCheckSeverity.ERROR else "anomaly"
    name = "alert_on_check_failure" if kind == "check_failure" else "alert_on_anomaly"
    what = "dbt test / asset check" if kind == "check_failure" else "anomaly test"

    @sensor(
        name=name,
        description=f"Sends a {kind} alert for every failed {what} of severity {severity.value}.",
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def _check_sensor(context: SensorEvaluationContext) -> SensorResult:
        state = _load_cursor(context.cursor)
        after = state.get("after_storage_id")
        ended, next_after = _ended_runs(context, after if isinstance(after, int) else None)
        settings: Settings | None = None
        alerts = 0
        for run_end in ended:
            run_id = run_end.event_log_entry.run_id
            for evaluation in _failed_evaluations(context, run_id, severity):
                asset = evaluation.asset_key.to_user_string()
                settings = settings or settings_factory()
                send_alert(
                    settings,
                    kind,
                    f"{evaluation.check_name} failed on {asset}",
                    check_failure_reason(evaluation, run_id),
                    run_id=run_id,
                    asset=asset,
                    check=evaluation.check_name,
                    severity=evaluation.severity.value,
                    failed_rows=_scalar_metadata(evaluation.metadata).get(DBT_FAILED_ROWS),
                )
                alerts += 1
        cursor = json.dumps({"after_storage_id": next_after})
        if alerts:
            return SensorResult(cursor=cursor)
        return SensorResult(skip_reason=f"no new failed {severity.value} checks", cursor=cursor)

    return _check_sensor


# ---------------------------------------------------------------------------------------------
# dead letters: open dead letters of a push asset rose since its previous materialization


def _int_metadata(record: EventLogRecord, key: str) -> int | None:
    materialization = record.event_log_entry.asset_materialization
    entry = materialization.metadata.get(key) if materialization else None
    value = getattr(entry, "value", None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _previous_open(context: SensorEvaluationContext, key: AssetKey, before: int) -> int:
    """Open dead letters after the materialization before `before`; none yet counts as zero."""
    earlier = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, before_storage_id=before), limit=1
    ).records
    value = _int_metadata(earlier[0], "dead_letters_open") if earlier else None
    return value or 0


def _push_keys(context: SensorEvaluationContext) -> Iterable[AssetKey]:
    return context.instance.get_asset_keys(prefix=list(PUSH_PREFIX))


def build_dead_letter_sensor(settings_factory: SettingsFactory) -> SensorDefinition:
    """Alert when a push leaves more dead letters open than the push before it did.

    The cursor keeps, per push asset, the storage id and `dead_letters_open` of the last
    materialization seen, so each materialization is judged once. An asset the cursor has not
    seen yet is compared with its previous materialization in the event log (zero if none).
    """

    @sensor(
        name="alert_on_dead_letter_growth",
        description="Sends a dead_letter_growth alert when a push asset's open dead letters rise.",
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def alert_on_dead_letter_growth(context: SensorEvaluationContext) -> SensorResult:
        state = _load_cursor(context.cursor)
        settings: Settings | None = None
        alerts = 0
        for key in _push_keys(context):
            name = key.to_user_string()
            seen = state.get(name) if isinstance(state.get(name), dict) else None
            latest = context.instance.fetch_materializations(key, limit=1).records
            if not latest or (seen and seen.get("storage_id") == latest[0].storage_id):
                continue
            record = latest[0]
            now_open = _int_metadata(record, "dead_letters_open")
            if now_open is None:  # not a push report; remember it so it is not re-read
                state[name] = {"storage_id": record.storage_id, "open": (seen or {}).get("open")}
                continue
            before = seen.get("open") if seen else None
            if not isinstance(before, int):
                before = _previous_open(context, key, record.storage_id)
            state[name] = {"storage_id": record.storage_id, "open": now_open}
            if now_open <= before:
                continue
            sync = key.path[-1]
            run_id = record.event_log_entry.run_id
            counts = {
                k: v
                for k in ("dead_lettered", "failed")
                if (v := _int_metadata(record, k)) is not None
            }
            detail = ", ".join(f"{k} this run: {v}" for k, v in counts.items())
            settings = settings or settings_factory()
            send_alert(
                settings,
                "dead_letter_growth",
                f"Dead letters growing for {sync}: {before} → {now_open}",
                f"open dead letters for sync {sync} rose from {before} to {now_open} "
                f"after run {run_id}"
                + (f" ({detail})" if detail else "")
                + "; see them with `ledgerlink dlq list`",
                run_id=run_id or None,
                asset=name,
                sync=sync,
                dead_letters_open=now_open,
                previous_dead_letters_open=before,
            )
            alerts += 1
        cursor = json.dumps(state, sort_keys=True)
        if alerts:
            return SensorResult(cursor=cursor)
        return SensorResult(skip_reason="no push asset has more open dead letters", cursor=cursor)

    return alert_on_dead_letter_growth


ALERT_SENSORS: list[SensorDefinition] = alert_sensors()
