"""Pages a person uses in a browser (placeholder until the pages are written)."""

from flask import Blueprint

blueprint = Blueprint("pages", __name__)
