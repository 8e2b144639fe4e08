"""create_app(): the mock KashFlow as one Flask application."""

from __future__ import annotations

import os

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from . import control, errors, pages, rest, service
from .gate import waiting
from .models import Backend
from .rest.sessions import Sessions

# ASP.NET's default request limit; larger bodies are refused before parsing.
MAX_REQUEST_BYTES = 4 * 1024 * 1024 * 2


def create_app(backend: Backend | None = None, state_file: str | os.PathLike[str] | None = None,
               max_request_bytes: int = MAX_REQUEST_BYTES) -> Flask:
    app = Flask(__name__)
    app.config["BACKEND"] = backend = backend or Backend(state_file)
    app.config["MAX_CONTENT_LENGTH"] = max_request_bytes
    app.config["SECRET_KEY"] = os.urandom(16)
    app.session_interface = PageSessions()
    app.register_blueprint(service.blueprint)
    app.register_blueprint(control.blueprint)
    app.register_blueprint(pages.blueprint)
    app.config["REST_SESSIONS"] = Sessions()
    app.register_blueprint(rest.blueprint)
    errors.register(app)

    @app.after_request
    def written_before_answered(response: Response) -> Response:
        with waiting(request.environ):  # others come in meanwhile (gate.py)
            backend.wait_for_disk()  # with --fsync; the lock is free by now
        return response

    return app


class PageSessions(SecureCookieSessionInterface):
    """Only the web pages keep a session: the SOAP endpoint and the control API do without
    reading and signing a cookie, a good part of the cost of a call."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith((service.SOAP_PATH, control.blueprint.url_prefix,
                                    f"{rest.PREFIX}/")):
            return None  # Flask gives these requests its null session
        return super().open_session(app, request)
