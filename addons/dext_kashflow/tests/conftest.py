"""pytest runs the scenario_*.rst files (--doctest-glob) without trytond's
doctest setUp/tearDown: drop the scenario's database afterwards, as
load_doc_tests does, so that the next one can be restored from the cache
(PostgreSQL refuses to drop a database still in use)."""
import pytest


@pytest.fixture(autouse=True)
def tryton_scenario_teardown(request):
    yield
    if isinstance(request.node, pytest.DoctestItem):
        from trytond.tests.test_tryton import doctest_teardown
        doctest_teardown(request.node.dtest)
