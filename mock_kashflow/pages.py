"""Pages a person uses in a browser: log in and out, Home, Apps.

API Settings (pages_settings) and Purchases and Sales (pages_documents) are
blueprints nested in this one, so its log-in check, CSRF check, response
headers and error page cover them too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from . import pages_documents, pages_settings
from .models import Account
from .pages_common import (
    CSRF_FIELD,
    backend,
    check_csrf,
    csrf_token,
    day,
    file_size,
    money,
    passwords_match,
    plain_number,
    safe_next,
    signed_in_account,
    vat_rate,
)
from .pages_documents import amounts

blueprint = Blueprint("pages", __name__)
blueprint.register_blueprint(pages_settings.blueprint)
blueprint.register_blueprint(pages_documents.blueprint)

PUBLIC_ENDPOINTS = {"pages.login", "pages.logout"}
CONTENT_SECURITY_POLICY = ("default-src 'self'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'")

for name, function in {"money": money, "day": day, "number": plain_number,
                       "vat_rate": vat_rate, "file_size": file_size}.items():
    blueprint.add_app_template_filter(function, name)


@blueprint.context_processor
def page_context() -> dict[str, Any]:
    return {"account": g.get("account"), "csrf_token": csrf_token, "csrf_field": CSRF_FIELD}


@blueprint.before_request
def guard() -> BaseResponse | None:
    """Refuse forged forms, and send anyone not logged in to /login."""
    if request.method == "POST":
        check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    with backend().lock:
        account = signed_in_account()
    if account is None:
        session.pop("username", None)
        here = request.path + (f"?{request.query_string.decode()}" if request.query_string
                               else "")
        return redirect(url_for("pages.login", next=here if here != "/" else None))
    g.account = account
    return None


@blueprint.after_request
def page_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@blueprint.errorhandler(HTTPException)
def error_page(error: HTTPException) -> tuple[str, int]:
    return render_template("error.html", error=error), error.code or 500


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int]:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET" and signed_in_account() is not None:
        return redirect(next_url)
    username, error, status = "", None, 200
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        with backend().lock:
            found = backend().accounts.get(username)
            # The web login always takes the login password, whatever the API uses.
            ok = found is not None and passwords_match(found.password,
                                                       request.form.get("password") or "")
        if ok:
            session.clear()
            session["username"] = username
            csrf_token()
            return redirect(next_url)
        error, status = "Incorrect username or password", 401
    return render_template("login.html", username=username, error=error,
                           next_url=next_url if next_url != "/" else ""), status


@blueprint.get("/logout")
def logout() -> BaseResponse:
    session.clear()
    return redirect(url_for("pages.login"))


@blueprint.get("/")
def home() -> str:
    account: Account = g.account
    with backend().lock:
        return render_template("home.html", section="home", **home_figures(account))


@blueprint.get("/apps")
def apps() -> str:
    with backend().lock:
        return render_template("apps.html", section="apps")


def home_figures(account: Account) -> dict[str, Any]:
    def outstanding(docs: list[dict[str, Any]]) -> Decimal:
        return sum((total - paid for _, _, total, paid in map(amounts, docs)), Decimal(0))

    settings = account.settings
    return {
        "company": account.company.get("CompanyName") or account.username,
        "counts": {"purchases": len(account.receipts), "sales": len(account.invoices),
                   "suppliers": len(account.suppliers), "customers": len(account.customers)},
        "owed_to_suppliers": outstanding(account.receipts),
        "owed_by_customers": outstanding(account.invoices),
        "api": {"soap": settings.soap_api_enabled, "autoauth": settings.autoauth_enabled,
                "restricted": settings.restrict_ips, "addresses": len(account.access_list)},
    }
