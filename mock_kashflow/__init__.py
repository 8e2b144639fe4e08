"""A Flask server that behaves like KashFlow's SOAP API, for development, demos and tests."""

from .app import create_app
from .in_process import MockKashFlow
from .models import Backend
from .server import ThreadedMockServer

__all__ = ["Backend", "MockKashFlow", "ThreadedMockServer", "create_app"]
