"""The M3 MI REST v2 routes behind the ION gateway: one transaction by GET, several by POST.

`GET .../v2/execute/{PROGRAM}/{TRANSACTION}` takes fields and controls as query or matrix
parameters; the bulk `POST .../v2/execute` takes `{"program", "transactions": [...]}`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from sandbox.infor import errors, ionapi, mi
from sandbox.infor.errors import MIError, RequestError, Unavailable
from sandbox.infor.executor import Executor
from sandbox.infor.ionapi import TokenStore

# Bulk body keys that carry control parameters (names as third-party clients send them).
BULK_CONTROLS = {
    "cono": "cono",
    "divi": "divi",
    "maxReturnedRecords": "maxrecs",
    "excludeEmptyValues": "excludeempty",
    "rightTrim": "righttrim",
    "dateformat": "dateformat",
    "extendedresult": "extendedresult",
}


def _answer(body: dict, status: int, controls: mi.Controls | None) -> Response:
    pretty = controls is None or controls.format == "PRETTY"
    text = json.dumps(body, indent=2 if pretty else None, separators=None if pretty else (",", ":"))
    return Response(text, status_code=status, media_type="application/json; charset=UTF-8")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def m3_router(tenant: str, tokens: TokenStore, executor: Executor) -> APIRouter:
    router = APIRouter(prefix=f"/{tenant}/M3/m3api-rest", tags=["M3 MI REST"])

    @router.api_route("/{tail:path}", methods=["GET", "POST"])
    async def execute(tail: str, request: Request) -> Response:
        if not tokens.valid(ionapi.bearer_token(request)):
            return ionapi.unauthorized()
        controls: mi.Controls | None = None
        try:
            names, matrix = mi.split_path(tail)
            if names[:2] != ["v2", "execute"]:
                if names[:1] == ["execute"]:
                    raise RequestError(
                        errors.BAD_PARAMETER,
                        "This M3 serves the REST v2 API: use /m3api-rest/v2/execute",
                    )
                return JSONResponse(
                    {"error": f"No resource at /m3api-rest/{tail}"}, status_code=404
                )
            matrix_controls, matrix_fields = mi.split_params(matrix.items())
            query_controls, query_fields = mi.split_params(request.query_params.multi_items())
            if request.method == "GET":
                if len(names) != 4:
                    raise RequestError(
                        errors.BAD_PARAMETER, "Expected /v2/execute/{PROGRAM}/{TRANSACTION}"
                    )
                controls = mi.parse_controls({**matrix_controls, **query_controls})
                record = {**matrix_fields, **query_fields}
                body = await run_in_threadpool(
                    _single, executor, names[2], names[3], record, controls
                )
                return _answer(body, 200, controls)
            if len(names) != 2:
                raise RequestError(errors.BAD_PARAMETER, "Bulk requests are posted to /v2/execute")
            payload = await _json_body(request)
            program, transactions, body_controls = _bulk_parts(payload)
            controls = mi.parse_controls({**body_controls, **matrix_controls, **query_controls})
            body = await run_in_threadpool(_bulk, executor, program, transactions, controls)
            return _answer(body, 200, controls)
        except RequestError as error:
            return _answer(error.body(), 400, controls)
        except Unavailable as error:
            return JSONResponse(error.body(), status_code=error.status)

    return router


def _single(
    executor: Executor, program: str, name: str, record: dict[str, str], controls: mi.Controls
) -> dict:
    result, _ = executor.run(program, name, record, controls)
    return mi.envelope([result], str(uuid.uuid4()))


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RequestError(errors.BAD_BODY, "The request body is not valid JSON") from None


def _bulk_parts(payload: Any) -> tuple[str, list[tuple[str, dict[str, str]]], dict[str, str]]:
    if not isinstance(payload, dict) or not isinstance(payload.get("program"), str):
        raise RequestError(
            errors.BAD_BODY, 'The body must be {"program": ..., "transactions": [...]}'
        )
    raw = payload.get("transactions")
    if not isinstance(raw, list) or not raw:
        raise RequestError(errors.BAD_BODY, "The body has no transactions")
    transactions = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("transaction"), str):
            raise RequestError(
                errors.BAD_BODY, 'Each transaction needs {"transaction": ..., "record": {...}}'
            )
        record = entry.get("record") or {}
        if not isinstance(record, dict):
            raise RequestError(errors.BAD_BODY, "A transaction's record must be an object")
        transactions.append(
            (entry["transaction"], {str(k): _as_text(v) for k, v in record.items()})
        )
    controls = {
        BULK_CONTROLS[key]: _as_text(value)
        for key, value in payload.items()
        if key in BULK_CONTROLS
    }
    if isinstance(payload.get("selectedColumns"), list):
        controls["returncols"] = ",".join(str(col) for col in payload["selectedColumns"])
    return payload["program"], transactions, controls


def _bulk(
    executor: Executor,
    program: str,
    transactions: list[tuple[str, dict[str, str]]],
    controls: mi.Controls,
) -> dict:
    for name, _ in transactions:  # an unknown program or transaction refuses the whole request
        executor.resolve(program, name)
    results: list[dict] = []
    termination: MIError | None = None
    for name, record in transactions:
        if termination is not None:
            results.append(mi.not_processed_result(name))
            continue
        result, terminate = executor.run(program, name, record, controls, bulk=True)
        results.append(result)
        if terminate:
            termination = MIError(
                result.get("errorCode", ""),
                result.get("errorMessage", ""),
                result.get("errorField"),
            )
    return mi.envelope(results, str(uuid.uuid4()), termination)
