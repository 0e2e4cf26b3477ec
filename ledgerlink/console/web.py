"""What every page shares: templates, who is asking, the CSRF check, one-time notices, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer

from ledgerlink.console.auth import SESSION_COOKIE, Gate, Viewer
from ledgerlink.console.reading import age
from ledgerlink.settings import Settings

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
NOTICE_COOKIE = "ledgerlink_console_notice"


def money(value: Any) -> str:
    """Money as the warehouse keeps it (Decimal), grouped, two places; blank for none."""
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


TEMPLATES.env.filters["money"] = money
TEMPLATES.env.filters["age"] = age


class NotSignedIn(Exception):
    """No valid session or token: the login page, with 401."""


def gate(request: Request) -> Gate:
    return request.app.state.gate


def settings(request: Request) -> Settings:
    return request.app.state.settings


def viewer(request: Request) -> Viewer:
    """The signed-in person, or `NotSignedIn`."""
    found = gate(request).viewer(request.cookies.get(SESSION_COOKIE))
    if found is None and request.method == "GET":
        found = gate(request).bearer(request.headers.get("authorization", ""))
    if found is None:
        raise NotSignedIn
    return found


async def acting(request: Request) -> tuple[Viewer, dict[str, Any]]:
    """An operator's POST: signed in, with the session's CSRF token, in the operator role."""
    person = viewer(request)
    form = await request.form()
    if not gate(request).csrf_ok(person, str(form.get("csrf") or "")):
        raise HTTPException(403, "the form's security token is missing or old: reload the page")
    if not person.may_act:
        raise HTTPException(403, f"{person.name} is read-only: an operator does this")
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key.endswith("[]"):
            fields.setdefault(key[:-2], []).append(str(value))
        else:
            fields[key] = str(value)
    return person, fields


def notice_serializer(request: Request) -> URLSafeSerializer:
    return request.app.state.notices


def redirect(request: Request, to: str, notice: str = "", problem: bool = False) -> Response:
    """After an action: back to a page, with a one-time notice of what happened."""
    response = RedirectResponse(request.app.state.root_path + to, status_code=303)
    if notice:
        value = notice_serializer(request).dumps({"text": notice, "problem": problem})
        response.set_cookie(NOTICE_COOKIE, value, httponly=True, samesite="strict")
    return response


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    notice = None
    raw = request.cookies.get(NOTICE_COOKIE)
    if raw:
        try:
            notice = notice_serializer(request).loads(raw)
        except BadSignature:
            notice = None
    person = getattr(request.state, "viewer", None)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "viewer": person,
            "notice": notice,
            "root": request.app.state.root_path,
            "dagster_ui_url": settings(request).dagster_ui_url.rstrip("/"),
            **context,
        },
        status_code=status_code,
    )
    if raw:
        response.delete_cookie(NOTICE_COOKIE)
    return response


def csv_response(name: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
