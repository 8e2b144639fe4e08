"""pytest runs the scenario_*.rst files (--doctest-glob) without trytond's
doctest setUp/tearDown: drop the scenario's database afterwards, as
load_doc_tests does, so that the next one can be restored from the cache
(PostgreSQL refuses to drop a database still in use).

connected_books: what the race tests start from.

The scenarios of BOTH_APIS run twice: as written (SOAP), and again as
"scenario_....rst[rest]" with the company connected over KashFlow's REST API
(tools.set_up_books reads which; a scenario's few lines that differ ask
tools.scenario_api()).

The activated database, and the books the publishing tests start from
(tools.make_books), are made once in DB_CACHE and restored for each test.

scripts/test runs the tests in several processes (pytest-xdist): on
PostgreSQL each needs a database name of its own (trytond's default is made
of the second it started), and the first to need the activated database
makes the cache while the others wait, rather than all making it at once."""
import fcntl
import hashlib
import os
import time
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem, DoctestTextfile

USER, PASSWORD = 'shop@example.com', 'Secret-1'
MODULE = 'dext_kashflow'
BOOKS = f'{MODULE}--make_books'  # activate_modules' name for its cache
VAR = Path(__file__).resolve().parents[3] / 'var'

# Before trytond.tests.test_tryton reads it (at its import).
if os.environ.get('PYTEST_XDIST_WORKER') and not os.environ.get('DB_NAME'):
    os.environ['DB_NAME'] = (
        f"test_{int(time.time())}_{os.environ['PYTEST_XDIST_WORKER']}")


BOTH_APIS = {
    'scenario_kashflow_bookkeeper.rst',
    'scenario_kashflow_publish.rst',
    'scenario_kashflow_publish_bulk.rst',
    'scenario_kashflow_publish_currency.rst',
    'scenario_kashflow_publish_duplicates.rst',
    'scenario_kashflow_publish_files.rst',
    'scenario_kashflow_publish_lines.rst',
    'scenario_kashflow_publish_paid.rst',
    'scenario_kashflow_refresh.rst',
    }


class ScenarioOverRest(DoctestTextfile):
    "A scenario run again, connected to KashFlow over its REST API"

    def collect(self):
        for item in super().collect():
            yield DoctestItem.from_parent(self, name=f'{item.name}[rest]',
                runner=item.runner, dtest=item.dtest)


def pytest_collect_file(parent, file_path):
    # CI's PostgreSQL pass (.ci/run) runs them as written only: what it adds
    # (locks, claims, workers) does not depend on the API.
    if os.environ.get('KASHFLOW_SCENARIOS_OVER_REST') == 'no':
        return None
    if file_path.name in BOTH_APIS:
        return ScenarioOverRest.from_parent(parent, path=file_path)


@pytest.fixture(autouse=True)
def scenario_over_rest(request, monkeypatch):
    if isinstance(request.node.parent, ScenarioOverRest):
        from .tools import SCENARIO_API
        monkeypatch.setenv(SCENARIO_API, 'rest')


# How much a process of these tests yields the cores (os.nice) beside the others of
# scripts/test: these tests only use the CPU, in their own process, while the running
# product's tests (tests/conftest.py) wait, one after the other, on a browser and a server,
# the longest chain of the run. The cores go to the chain when it needs them, and to these
# tests the rest of the time.
YIELD_TO_THE_PRODUCT = 5


@pytest.fixture(scope='session', autouse=True)
def yield_to_the_running_product():
    if os.environ.get('PYTEST_XDIST_WORKER'):
        os.nice(YIELD_TO_THE_PRODUCT)


@pytest.fixture(scope='session', autouse=True)
def db_cache_made():
    "The activated database and the books on it in DB_CACHE, made by one process at a time"
    if not os.environ.get('DB_CACHE'):
        return
    from trytond.config import get
    from trytond.tests.test_tryton import backup_db_cache, drop_db
    from trytond.tests.tools import activate_modules

    from .tools import make_books

    # One lock per cache: the passes on SQLite and on PostgreSQL do not wait for each other
    cache = os.environ['DB_CACHE'] + get('database', 'uri', default='')
    lock_file = VAR / f"db-cache-{hashlib.sha256(cache.encode()).hexdigest()[:16]}.lock"
    VAR.mkdir(exist_ok=True)
    with lock_file.open('w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not db_cache_exists(MODULE):  # made as the scenarios make it
            activate_modules(MODULE)
            drop_db()
        # What activate_modules(MODULE, make_books) restores, made on the
        # activated database rather than activating the modules again
        if not db_cache_exists(BOOKS):
            activate_modules(MODULE)
            make_books()
            backup_db_cache(BOOKS)
            drop_db()


def db_cache_exists(name):
    # trytond's own names for the cache (test_tryton._db_cache_file)
    from trytond.tests.test_tryton import DB_CACHE, _db_cache_file, db_exist
    cache = _db_cache_file(DB_CACHE, name)
    if DB_CACHE.startswith('postgresql://'):
        return db_exist(cache[len(DB_CACHE) + 1:])
    return os.path.exists(cache)


@pytest.fixture(autouse=True)
def tryton_scenario_teardown(request):
    yield
    if isinstance(request.node, pytest.DoctestItem):
        from trytond.tests.test_tryton import doctest_teardown
        doctest_teardown(request.node.dtest)


@pytest.fixture(autouse=True)
def kashflow_settings_restored():
    "A test that shortens the KashFlow timeouts leaves the next one the defaults"
    yield
    from .tools import set_kashflow_timeout, set_late_write_margin
    set_kashflow_timeout(None)
    set_late_write_margin(None)


@pytest.fixture
def connected_books(request):
    """A company connected to a mock KashFlow of its own (set_up_books), with
    .kashflow, .username and .database_name; the database is dropped after.
    Over SOAP, or over the API given as the fixture's parameter (indirect)."""
    from trytond.tests.test_tryton import drop_db
    from trytond.tests.tools import activate_modules

    from .tools import MockKashFlow, make_books
    from .tools import books as demo_books

    kashflow = MockKashFlow()
    try:
        key = kashflow.create_account(USER, PASSWORD)
        config = activate_modules(MODULE, make_books)
        books = demo_books.set_up_books(kashflow, USER, PASSWORD, key,
            api=getattr(request, 'param', 'soap'))
        books.kashflow, books.username = kashflow, USER
        books.database_name = config.database_name
        yield books
    finally:
        kashflow.stop()
        drop_db()
