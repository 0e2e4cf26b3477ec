"""The console's FastAPI app: log in, then the pages; every page reads the readers' snapshot and
every action goes through `reverse_etl.operator_actions` (writer lock, state machine, push)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ledgerlink.console import enrichment, finance, health, letters, mappings, review, web
from ledgerlink.console.auth import SESSION_COOKIE, SESSION_SECONDS, Gate
from ledgerlink.errors import LedgerlinkError
from ledgerlink.log import get_logger
from ledgerlink.settings import Settings
from ledgerlink.warehouse import NoSnapshot

log = get_logger("ledgerlink.console")
STATIC = Path(__file__).with_name("static")
# Pages that answer without a session.
PUBLIC = ("/login", "/static/", "/healthz")


def create_app(settings: Settings, *, root_path: str = "", secure_cookies: bool = False) -> FastAPI:
    """The console for `settings`; `root_path` when served under a prefix behind a proxy,
    `secure_cookies` when it is reached over https only."""
    app = FastAPI(title="ledgerlink console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.gate = gate = Gate(settings.home)
    app.state.notices = gate.notices
    app.state.root_path = root_path.rstrip("/")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def local_path(request: Request) -> str:
        """The path within the console (behind a proxy, without its prefix)."""
        path, prefix = request.url.path, request.scope.get("root_path", "")
        return path[len(prefix) :] or "/" if prefix and path.startswith(prefix) else path

    @app.middleware("http")
    async def signed_in(request: Request, call_next):  # type: ignore[no-untyped-def]
        if not local_path(request).startswith(PUBLIC):
            try:
                request.state.viewer = web.viewer(request)
            except web.NotSignedIn:
                return login_page(request, status_code=401)
        response = await call_next(request)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'",
        )
        return response

    def login_page(request: Request, status_code: int = 200, problem: str = "") -> Response:
        return web.render(
            request,
            "login.html",
            status_code=status_code,
            problem=problem,
            next=local_path(request) if request.method == "GET" else "/",
        )

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        return login_page(request)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        address = request.client.host if request.client else "?"
        if gate.locked_out(address):
            return login_page(request, 429, "too many failed logins: wait a minute")
        person = gate.login(address, str(form.get("name") or ""), str(form.get("secret") or ""))
        if person is None:
            log.warning("console login refused", extra={"peer": address})
            return login_page(request, 401, "that name, password or token is not right")
        log.info("console login", extra={"user": person.name, "role": person.role})
        target = str(form.get("next") or "/")
        if not target.startswith("/") or target.startswith("//") or target.startswith("/login"):
            target = "/"
        response = RedirectResponse(app.state.root_path + target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            gate.session_cookie(person),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=secure_cookies,
            path=(app.state.root_path or "") + "/",
        )
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        person = web.viewer(request)
        form = await request.form()
        if not gate.csrf_ok(person, str(form.get("csrf") or "")):
            raise HTTPException(403, "the form's security token is missing or old")
        response = RedirectResponse(app.state.root_path + "/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=(app.state.root_path or "") + "/")
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(NoSnapshot)
    def nothing_yet(request: Request, exc: NoSnapshot) -> Response:
        return web.render(request, "message.html", heading="Nothing to show yet", text=str(exc))

    @app.exception_handler(HTTPException)
    def refused(request: Request, exc: HTTPException) -> Response:
        return web.render(
            request,
            "message.html",
            status_code=exc.status_code,
            heading="Refused" if exc.status_code == 403 else "Not found",
            text=str(exc.detail),
        )

    @app.exception_handler(LedgerlinkError)
    def failed(request: Request, exc: LedgerlinkError) -> Response:
        return web.render(
            request, "message.html", status_code=409, heading="Could not do that", text=str(exc)
        )

    for module in (health, letters, review, finance, mappings, enrichment):
        app.include_router(module.router)
    return app
