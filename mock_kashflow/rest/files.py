"""A document's files over REST. KashFlow's REST API keeps them in the account's Dropbox,
and its Swagger gives the paths without their bodies; the mock keeps to this (see the
developer guide, "The REST API in the mock"):
- POST /purchases/{number}/files (or /invoices/...): multipart/form-data, one part "file"
  with its file name and type; 201 {Id, FileName, ContentType, Size};
- GET /purchases/{number}/files: [{Id, FileName, ContentType, Size}].
An account without Dropbox connected (setting dropbox_connected) is answered 400. The
files are the SOAP side's attachments: a file sent over one API is listed by the other."""

from __future__ import annotations

import base64

from flask import Response, jsonify, request

from .. import documents
from ..exceptions import KashFlowError
from ..models import Account
from ..schema import Record
from . import backend, blueprint
from .documents import held, kind_of
from .errors import invalid
from .login import current_account


@blueprint.post("/purchases/<int:number>/files", defaults={"resource": "purchases"})
@blueprint.post("/invoices/<int:number>/files", defaults={"resource": "invoices"})
def upload(resource: str, number: int) -> tuple[Response, int]:
    account = current_account()
    kind = kind_of(resource)
    if not account.settings.dropbox_connected:
        raise invalid("Files are kept in Dropbox. Connect Dropbox to KashFlow (Settings, "
                      "Dropbox) to add files.")
    sent = request.files.get("file")
    if sent is None:
        raise invalid('Send the file as multipart/form-data, in a part named "file".')
    content = sent.read()
    filename = sent.filename or ""
    state = backend()
    with state.lock:
        held(account, kind, number)
        try:
            file_id = documents.attach_file(
                account, kind, number, base64.b64encode(content).decode("ascii"),
                sent.mimetype, filename, None, str(len(content)), state.next_dbid)
        except KashFlowError as error:
            raise invalid(error.detail) from None
        state.commit(account)
        stored = account.find("attachments", "AttachmentID", file_id)
        assert stored is not None  # stored above
        return jsonify(file_shape(stored)), 201


@blueprint.get("/purchases/<int:number>/files", defaults={"resource": "purchases"})
@blueprint.get("/invoices/<int:number>/files", defaults={"resource": "invoices"})
def list_files(resource: str, number: int) -> Response:
    account = current_account()
    kind = kind_of(resource)
    with backend().lock:
        held(account, kind, number)
        return jsonify(files_of(account, kind.file_key, number))


def files_of(account: Account, file_key: str, number: int) -> list[dict]:
    return [file_shape(a) for a in account.attachments if a.get(file_key) == number]


def file_shape(attachment: Record) -> dict:
    return {"Id": attachment["AttachmentID"], "FileName": attachment["Filename"],
            "ContentType": attachment["ContentType"], "Size": attachment["Size"]}
