"""Apps, then API Settings: the switches an app such as Dext needs, and the IP access list."""

from __future__ import annotations

import ipaddress
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from .models import Account, new_autoauth_key
from .pages_common import account, backend

MAX_COMMENT = 100

blueprint = Blueprint("settings", __name__)


@blueprint.route("/api-settings", methods=["GET", "POST"])
def api_settings() -> BaseResponse | tuple[str, int]:
    current = account()
    with backend().lock:
        if request.method == "GET":
            return settings_page(current, form_from_settings(current))
        form = form_from_request(request.form)
        error = settings_error(current, form)
        if error:
            return settings_page(current, form, error, 400)
        settings = current.settings
        settings.soap_api_enabled = form["soap_api_enabled"]
        settings.rest_api_enabled = form["rest_api_enabled"]
        if form["memorable_word"]:
            settings.memorable_word = form["memorable_word"]
        settings.autoauth_enabled = form["autoauth_enabled"]
        settings.restrict_ips = form["restrict_ips"]
        settings.password_mode = form["password_mode"]
        if form["api_password"]:
            settings.api_password = form["api_password"]
        backend().commit(current)
    flash("Your API settings have been updated.")
    return redirect(url_for(".api_settings"))


@blueprint.post("/api-settings/autoauth-key")
def regenerate_key() -> BaseResponse:
    with backend().lock:
        current = account()
        current.settings.autoauth_key = new_autoauth_key()
        backend().commit(current)
    flash("A new AutoAuth key has been made. The old key no longer works; "
          "addresses already in the access list keep their access.")
    return redirect(url_for(".api_settings"))


def form_from_settings(current: Account) -> dict[str, Any]:
    settings = current.settings
    return {"soap_api_enabled": settings.soap_api_enabled,
            "rest_api_enabled": settings.rest_api_enabled, "memorable_word": "",
            "autoauth_enabled": settings.autoauth_enabled,
            "restrict_ips": settings.restrict_ips, "password_mode": settings.password_mode,
            "api_password": ""}


def form_from_request(data: MultiDict[str, str]) -> dict[str, Any]:
    # An unticked checkbox is not sent at all.
    return {"soap_api_enabled": "soap_api_enabled" in data,
            "rest_api_enabled": "rest_api_enabled" in data,
            "memorable_word": data.get("memorable_word", "").strip(),
            "autoauth_enabled": "autoauth_enabled" in data,
            "restrict_ips": "restrict_ips" in data,
            "password_mode": data.get("password_mode", ""),
            "api_password": data.get("api_password", "")}


def settings_error(current: Account, form: dict[str, Any]) -> str | None:
    if form["memorable_word"] and len(form["memorable_word"]) < 3:
        return "Make your memorable word at least 3 characters long."
    if form["password_mode"] not in ("login", "separate"):
        return "Choose which password apps use: the login password or a separate API password."
    if (form["password_mode"] == "separate" and not form["api_password"]
            and not current.settings.api_password):
        return "Enter the separate API password that apps will use."
    return None


def settings_page(current: Account, form: dict[str, Any], error: str | None = None,
                  status: int = 200) -> tuple[str, int]:
    return render_template("api_settings.html", section="apps", form=form, error=error,
                           settings=current.settings,
                           address_count=len(current.access_list)), status


# The access list ----------------------------------------------------------


@blueprint.get("/api-settings/access-list")
def access_list() -> tuple[str, int]:
    with backend().lock:
        return access_list_page(account())


@blueprint.post("/api-settings/access-list")
def add_address() -> BaseResponse | tuple[str, int]:
    raw_ip = (request.form.get("ip") or "").strip()
    comment = (request.form.get("comment") or "").strip()
    with backend().lock:
        current = account()
        try:
            ip = str(ipaddress.ip_address(raw_ip))
        except ValueError:
            return access_list_page(current, f"{raw_ip or 'An empty value'} is not an IP "
                                    "address. Enter one such as 203.0.113.7.", raw_ip, comment)
        if any(entry["ip"] == ip for entry in current.access_list):
            return access_list_page(current, f"{ip} is already in the list.", raw_ip, comment)
        if len(comment) > MAX_COMMENT:
            return access_list_page(current, f"Keep the comment to {MAX_COMMENT} characters.",
                                    raw_ip, comment)
        current.access_list.append({"ip": ip, "comment": comment})
        backend().commit(current)
    flash(f"{ip} has been added to the access list.")
    return redirect(url_for(".access_list"))


@blueprint.post("/api-settings/access-list/remove")
def remove_address() -> BaseResponse:
    ip = request.form.get("ip") or ""
    with backend().lock:
        current = account()
        before = len(current.access_list)
        current.access_list[:] = [e for e in current.access_list if e["ip"] != ip]
        removed = len(current.access_list) < before
        if removed:
            backend().commit(current)
    flash(f"{ip} has been removed from the access list." if removed
          else f"{ip} was not in the access list.")
    return redirect(url_for(".access_list"))


def access_list_page(current: Account, error: str | None = None, ip: str = "",
                     comment: str = "") -> tuple[str, int]:
    return render_template("access_list.html", section="apps", entries=current.access_list,
                           restricted=current.settings.restrict_ips, error=error, ip=ip,
                           comment=comment, your_ip=request.remote_addr or ""), (
        400 if error else 200)
