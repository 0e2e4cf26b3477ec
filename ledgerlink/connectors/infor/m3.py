"""The M3 MI REST v2 client: execute one transaction, run a bulk, page through a list."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ledgerlink.connectors.infor.errors import (
    SERVICE,
    M3Error,
    M3InputRejected,
    M3RateLimited,
    M3ServerError,
    M3Unavailable,
    error_class,
)
from ledgerlink.connectors.infor.values import (
    input_problems,
    key_inputs,
    to_m3_record,
    transaction_spec,
    trim,
)
from ledgerlink.errors import AuthError, MalformedResponse, OutcomeUnknown
from ledgerlink.http import mark_idempotent, send

# Transactions that only read. Everything else (Add, Chg, Upd, Dlt, Confirm, Ctrl, Validate, ...)
# changes M3, arrives as a GET all the same, and must never be repeated blindly.
READ_PREFIXES = ("Get", "Lst", "Sel", "Search", "List")
Record = dict[str, str]
Keys = Collection[str]
# Statuses that say this M3 does not serve the call to this account: the gateway has no such
# path (404), the service account may not use it (403), M3 does not implement it (501). Each is
# a definite refusal, for a write too: nothing was applied.
UNAVAILABLE_STATUSES = frozenset({403, 404, 501})
_TAGS = re.compile(r"<[^>]+>")  # an HTML error page from a proxy: keep its words


def is_read_transaction(transaction: str) -> bool:
    return transaction.startswith(READ_PREFIXES)


@dataclass(frozen=True)
class M3Result:
    """The records of one transaction (values trimmed strings), or its error inside a bulk."""

    program: str
    transaction: str
    records: tuple[Record, ...] = ()
    error: M3Error | None = None
    not_processed: bool = False

    def first(self) -> Record | None:
        return self.records[0] if self.records else None

    @property
    def record(self) -> Record:
        """The single record of a Get/Add answer ({} when M3 returned none)."""
        return self.records[0] if self.records else {}

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


@dataclass(frozen=True)
class M3BulkResult:
    """Per-transaction results of a bulk POST and M3's counters (`nrOfSuccessfullTransactions`)."""

    program: str
    results: tuple[M3Result, ...]
    successful: int = 0
    failed: int = 0
    not_processed: int = 0
    was_terminated: bool = False
    termination_reason: str | None = None
    bulk_job_id: str | None = None

    @property
    def errors(self) -> list[M3Error]:
        return [r.error for r in self.results if r.error is not None]

    def raise_for_errors(self) -> None:
        """Raise the first transaction's error, or a termination without one."""
        if self.errors:
            raise self.errors[0]
        if self.was_terminated or self.not_processed:
            raise M3Error(
                self.program,
                "bulk",
                self.termination_reason or f"{self.not_processed} transactions not processed",
            )


# --- parsing the v2 envelope (pure functions, unit-tested on canned bodies) -----------------------
def _error_fields(obj: Mapping[str, Any]) -> dict[str, str | None] | None:
    """M3's error keys of one result or of the top level; v1 spellings (`@code`, `Message`) too."""
    nested = obj.get("ErrorMessage")
    if isinstance(nested, Mapping):
        obj = nested
    message = obj.get("errorMessage") or obj.get("Message") or obj.get("message")
    code = obj.get("errorCode") or obj.get("@code") or obj.get("code")
    if not message and not code:
        return None
    return {
        "message": trim(message) if message else "",
        "code": trim(code) if code else None,
        "field": trim(obj.get("errorField") or obj.get("@field")) or None,
        "error_type": trim(obj.get("errorType") or obj.get("@type")) or None,
        "cfg": trim(obj.get("errorCfg")) or None,
    }


def _make_error(
    program: str,
    transaction: str,
    fields: Mapping[str, str | None],
    status: int | None,
    key_fields: Keys = (),
) -> M3Error:
    cls = error_class(
        transaction,
        fields.get("code"),
        fields.get("message"),
        fields.get("field"),
        key_fields=key_fields,
        program=program,
    )
    return cls(
        program,
        transaction,
        fields.get("message") or "",
        status=status,
        code=fields.get("code"),
        field=fields.get("field"),
        error_type=fields.get("error_type"),
        cfg=fields.get("cfg"),
    )


def _records(
    result: Mapping[str, Any], program: str, transaction: str, status: int
) -> tuple[Record, ...]:
    records = result.get("records") or []
    if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
        raise MalformedResponse(
            SERVICE, f"{program}/{transaction}: records is not a list of objects", status=status
        )
    return tuple({str(k): trim(v) for k, v in r.items()} for r in records)


def _result(
    program: str, transaction: str, raw: Any, status: int, key_fields: Keys = ()
) -> M3Result:
    if not isinstance(raw, Mapping):
        raise MalformedResponse(
            SERVICE, f"{program}/{transaction}: a result is not an object", status=status
        )
    name = trim(raw.get("transaction")) or transaction
    fields = _error_fields(raw)
    error = _make_error(program, name, fields, status, key_fields) if fields else None
    records = () if error else _records(raw, program, name, status)
    return M3Result(
        program, name, records, error=error, not_processed=bool(raw.get("notProcessed"))
    )


def _termination(program: str, transaction: str, body: Mapping[str, Any], status: int) -> M3Error:
    reason = trim(body.get("terminationReason")) or "M3 terminated the request"
    return M3Error(
        program,
        transaction,
        reason,
        status=status,
        error_type=trim(body.get("terminationErrorType")) or None,
    )


def parse_execute(
    program: str, transaction: str, status: int, body: Any, *, key_fields: Keys = ()
) -> M3Result:
    """Read a v2 answer to one transaction; raise its error as a typed `M3Error`.

    Errors come in `results[0]` on HTTP 200 and at the top level on HTTP 400. `key_fields` are
    the key inputs the request carried well-formed (they decide what "not found" is).
    """
    if not isinstance(body, Mapping):
        raise MalformedResponse(
            SERVICE, f"{program}/{transaction}: the answer is not a JSON object", status=status
        )
    top = _error_fields(body)
    results = body.get("results")
    if status >= 400 or top:
        first = (
            results[0]
            if isinstance(results, list) and results and isinstance(results[0], Mapping)
            else {}
        )
        fields = (
            top or _error_fields(first) or {"message": f"HTTP {status} without an error message"}
        )
        raise _make_error(program, transaction, fields, status, key_fields)
    if not isinstance(results, list):
        raise MalformedResponse(
            SERVICE, f"{program}/{transaction}: no results in the answer", status=status
        )
    result = (
        _result(program, transaction, results[0], status, key_fields)
        if results
        else M3Result(program, transaction)
    )
    if result.error is not None:
        raise result.error
    if body.get("wasTerminated") or int(body.get("nrOfFailedTransactions") or 0) > 0:
        raise _termination(program, transaction, body, status)
    return result


def parse_bulk(
    program: str, status: int, body: Any, *, key_fields: Sequence[Keys] = ()
) -> M3BulkResult:
    """Read a v2 bulk answer: one result per transaction, errors kept per transaction
    (`key_fields`: per transaction, in order, as for `parse_execute`)."""
    if not isinstance(body, Mapping):
        raise MalformedResponse(
            SERVICE, f"{program}/bulk: the answer is not a JSON object", status=status
        )
    top = _error_fields(body)
    if status >= 400 or top:
        raise _make_error(
            program, "bulk", top or {"message": f"HTTP {status} without an error message"}, status
        )
    results = body.get("results")
    if not isinstance(results, list):
        raise MalformedResponse(SERVICE, f"{program}/bulk: no results in the answer", status=status)
    return M3BulkResult(
        program=program,
        results=tuple(
            _result(program, "", raw, status, key_fields[n] if n < len(key_fields) else ())
            for n, raw in enumerate(results)
        ),
        successful=int(body.get("nrOfSuccessfullTransactions") or 0),
        failed=int(body.get("nrOfFailedTransactions") or 0),
        not_processed=int(body.get("nrOfNotProcessedTransactions") or 0),
        was_terminated=bool(body.get("wasTerminated")),
        termination_reason=trim(body.get("terminationReason")) or None,
        bulk_job_id=trim(body.get("bulkJobId")) or None,
    )


# --- the client -----------------------------------------------------------------------------------
class M3Client:
    """Runs MI transactions over an httpx client built by `ledgerlink.http.build_client`.

    The base URL is `<iu>/<ti>/M3/m3api-rest/v2`; company and division default to the settings
    and go out as the `cono`/`divi` controls. Inputs are checked against the contract file (when
    present) before anything is sent.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        cono: str | None = None,
        divi: str | None = None,
        check_inputs: bool = True,
    ) -> None:
        self.http = http
        self.cono = cono
        self.divi = divi
        self.check_inputs = check_inputs

    def execute(
        self,
        program: str,
        transaction: str,
        record: Mapping[str, object] | None = None,
        *,
        maxrecs: int | None = None,
        returncols: Sequence[str] | None = None,
        cono: str | None = None,
        divi: str | None = None,
    ) -> M3Result:
        """Run one transaction; raise `M3Error` (typed) when M3 refuses it."""
        fields = to_m3_record(record or {})
        self._check(program, transaction, fields)
        params = {**fields, **self._controls(cono, divi, maxrecs, returncols)}
        request = self.http.build_request("GET", f"execute/{program}/{transaction}", params=params)
        read = is_read_transaction(transaction)
        mark_idempotent(request, read)
        response = send(self.http, request, service=SERVICE, what=f"{program}/{transaction}")
        return parse_execute(
            program,
            transaction,
            response.status_code,
            read_body(response, program, transaction, read),
            key_fields=key_inputs(program, transaction, fields),
        )

    def bulk(
        self,
        program: str,
        transactions: Iterable[tuple[str, Mapping[str, object] | None]],
        *,
        cono: str | None = None,
        divi: str | None = None,
    ) -> M3BulkResult:
        """POST several transactions of one program; errors stay per transaction in the result."""
        calls = [(name, to_m3_record(record or {})) for name, record in transactions]
        for name, fields in calls:
            self._check(program, name, fields)
        company = cono or self.cono
        body: dict[str, Any] = {
            "program": program,
            "transactions": [{"transaction": name, "record": fields} for name, fields in calls],
        }
        if company:
            body["cono"] = int(company) if company.isdigit() else company
        if divi or self.divi:
            body["divi"] = divi or self.divi
        request = self.http.build_request("POST", "execute", json=body)
        read = all(is_read_transaction(name) for name, _ in calls)
        mark_idempotent(request, read)
        response = send(self.http, request, service=SERVICE, what=f"{program} bulk of {len(calls)}")
        return parse_bulk(
            program,
            response.status_code,
            read_body(response, program, "bulk", read),
            key_fields=[key_inputs(program, name, fields) for name, fields in calls],
        )

    def list_all(
        self,
        program: str,
        transaction: str,
        key_field: str,
        record: Mapping[str, object] | None = None,
        page_size: int = 100,
        *,
        returncols: Sequence[str] | None = None,
    ) -> Iterator[Record]:
        """Every record of a list transaction, paged by start key and `maxrecs`.

        M3 has no cursor: each page starts at the last key seen, so its first row repeats the
        previous page's last one and is dropped. `key_field` must be unique in the list's order
        (CUNO for CRS610MI/LstByNumber, ITNO for MMS200MI/LstItmByItm).
        """
        if page_size < 2:
            raise ValueError("page_size must be at least 2: each later page repeats one row")
        base = to_m3_record(record or {})
        columns = list(returncols) if returncols else None
        if columns and key_field not in columns:
            columns.append(key_field)
        start = base.get(key_field)
        first_page = True
        while True:
            page = dict(base)
            if start:
                page[key_field] = start
            result = self.execute(program, transaction, page, maxrecs=page_size, returncols=columns)
            rows = result.records
            if not first_page and rows and rows[0].get(key_field) == start:
                rows = rows[1:]
            yield from rows
            if len(result.records) < page_size:
                return
            next_start = result.records[-1].get(key_field)
            if not next_start or next_start == start:
                raise M3Error(
                    program,
                    transaction,
                    f"cannot page on {key_field}: a full page of {page_size} kept the same key",
                )
            start, first_page = next_start, False

    def close(self) -> None:
        self.http.close()

    def _controls(
        self,
        cono: str | None,
        divi: str | None,
        maxrecs: int | None,
        returncols: Sequence[str] | None,
    ) -> dict[str, str]:
        controls = {}
        if cono or self.cono:
            controls["cono"] = str(cono or self.cono)
        if divi or self.divi:
            controls["divi"] = str(divi or self.divi)
        if maxrecs is not None:
            controls["maxrecs"] = str(maxrecs)
        if returncols:
            controls["returncols"] = ",".join(returncols)
        return controls

    def _check(self, program: str, transaction: str, fields: Mapping[str, str]) -> None:
        if not self.check_inputs:
            return
        spec = transaction_spec(program, transaction)
        if spec is None:
            return
        problems = input_problems(spec, fields)
        if problems:
            raise M3InputRejected(program, transaction, problems)


def read_body(response: httpx.Response, program: str, transaction: str, read: bool) -> Any:
    """The JSON of a 200/400 answer; every other status as the typed error the policy left us,
    in M3's or the gateway's own words."""
    status = response.status_code
    what = f"{program}/{transaction}"
    if status in (200, 400):
        try:
            return response.json()
        except ValueError:
            if status == 200:
                raise MalformedResponse(
                    SERVICE, f"{what}: HTTP 200 answer is not JSON", status=status
                ) from None
    fields = _gateway_error(response)  # a 400 page from a proxy, too, in its own words
    if status == 401:
        raise AuthError(
            f"{SERVICE}: {what} was refused with HTTP 401 even after a token refresh "
            f"({fields['message']}); check that the .ionapi app's service account may use M3"
        )
    if status in UNAVAILABLE_STATUSES:
        raise _typed(M3Unavailable, program, transaction, fields, status)
    if status == 429:
        raise _typed(M3RateLimited, program, transaction, fields, status)
    if status >= 500:
        failure = _typed(M3ServerError, program, transaction, fields, status)
        if read:
            raise failure
        # A write that met a server error may have been applied: the caller must look it up.
        raise OutcomeUnknown(SERVICE, what, failure)
    raise _make_error(program, transaction, fields, status)


def _typed(
    cls: type[M3Error],
    program: str,
    transaction: str,
    fields: Mapping[str, str | None],
    status: int,
) -> M3Error:
    return cls(
        program,
        transaction,
        fields.get("message") or "",
        status=status,
        code=fields.get("code"),
        field=fields.get("field"),
        error_type=fields.get("error_type"),
    )


def _gateway_error(response: httpx.Response) -> dict[str, str | None]:
    """The error an answer other than 200/400 carries: M3's error keys when M3 wrote it, the
    gateway's `{code, message, detail}` or OAuth `{error, error_description}`, else its text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    fields: dict[str, str | None] | None = None
    if isinstance(body, Mapping):
        fields = _error_fields(body)
        if fields is None and body.get("error"):
            fields = {"message": trim(body["error"]), "code": None, "field": None}
        detail = trim(body.get("detail") or body.get("error_description") or "")
        if fields is not None and detail and detail.lower() != (fields["message"] or "").lower():
            fields["message"] = f"{fields['message']}: {detail}" if fields["message"] else detail
    if fields is None:
        text = " ".join(_TAGS.sub(" ", response.text).split())[:200] if response.content else ""
        fields = {"message": text, "code": None, "field": None}
    if fields.get("code") == str(response.status_code):
        fields["code"] = None  # the gateway repeats the status as its code
    fields["message"] = fields.get("message") or response.reason_phrase or "no error text"
    return fields
