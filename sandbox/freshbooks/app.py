"""The FreshBooks emulator's FastAPI app: routes plus error bodies in each API family's shape."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sandbox.freshbooks import errors
from sandbox.freshbooks.errors import AccountingError, EventsError, FieldError, OAuthError
from sandbox.freshbooks.routes import accounting_router, auth_router, events_router

if TYPE_CHECKING:
    from sandbox.freshbooks.emulator import FreshBooksEmulator

log = logging.getLogger(__name__)


def _family(path: str) -> str:
    if path.startswith("/events/"):
        return "events"
    if path.startswith(("/auth/", "/oauth/")):
        return "auth"
    return "accounting"


def _accounting_response(request: Request, error: AccountingError) -> JSONResponse:
    # Callers that pin a newer API version get the google.rpc error shape.
    new_style = "x-api-version" in request.headers
    return JSONResponse(error.body(new_style=new_style), status_code=error.status)


def _generic(request: Request, status: int, message: str) -> JSONResponse:
    family = _family(request.url.path)
    if family == "events":
        return JSONResponse({"errno": status, "message": message}, status_code=status)
    if family == "auth":
        error = "not_found" if status == 404 else "invalid_request"
        return JSONResponse({"error": error, "error_description": message}, status_code=status)
    errno = errors.ERRNO_NOT_FOUND if status == 404 else errors.ERRNO_BAD_REQUEST
    return _accounting_response(request, AccountingError(status, FieldError(errno, message)))


def build_app(emulator: FreshBooksEmulator) -> FastAPI:
    app = FastAPI(
        title="FreshBooks API (sandbox)",
        docs_url="/_sandbox/docs",
        openapi_url="/_sandbox/openapi.json",
        redoc_url=None,
    )
    app.include_router(auth_router(emulator))
    app.include_router(accounting_router(emulator))
    app.include_router(events_router(emulator))

    @app.exception_handler(AccountingError)
    async def accounting_error(request: Request, error: AccountingError) -> JSONResponse:
        return _accounting_response(request, error)

    @app.exception_handler(EventsError)
    async def events_error(request: Request, error: EventsError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status)

    @app.exception_handler(OAuthError)
    async def oauth_error(request: Request, error: OAuthError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        messages = {404: errors.RESOURCE_NOT_FOUND_MESSAGE, 405: "Method not allowed."}
        return _generic(
            request, error.status_code, messages.get(error.status_code, str(error.detail))
        )

    @app.exception_handler(RequestValidationError)
    async def request_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return _generic(request, 400, "The request could not be understood.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error in the FreshBooks emulator")
        return _generic(request, 500, "An unexpected error occurred.")

    return app
