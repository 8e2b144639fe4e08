"""pytest runs the scenario_*.rst files (--doctest-glob) without trytond's
doctest setUp/tearDown: drop the scenario's database afterwards, as
load_doc_tests does, so that the next one can be restored from the cache
(PostgreSQL refuses to drop a database still in use).

connected_books: what the race tests start from."""
import pytest

USER, PASSWORD = 'shop@example.com', 'Secret-1'


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
def connected_books():
    """A company connected to a mock KashFlow of its own (set_up_books), with
    .kashflow, .username and .database_name; the database is dropped after."""
    from trytond.tests.test_tryton import drop_db
    from trytond.tests.tools import activate_modules

    from .tools import MockKashFlow, set_up_books

    kashflow = MockKashFlow()
    try:
        key = kashflow.create_account(USER, PASSWORD)
        config = activate_modules('dext_kashflow')
        books = set_up_books(kashflow, USER, PASSWORD, key)
        books.kashflow, books.username = kashflow, USER
        books.database_name = config.database_name
        yield books
    finally:
        kashflow.stop()
        drop_db()
