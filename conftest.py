"""How scripts/test shares the tests among its processes (pytest-xdist).

Each file's tests run in one process, so that its module fixtures are made once; the tests
of the running product (tests/product.py: the browser tests and scripts/run's) all run in
one process, which starts the product once: it takes a minute to make, and its mock's faults
are server-wide, so that two of those tests at once would see each other's.
"""

import pytest

PRODUCT_TESTS = ("tests/browser/", "tests/test_run_product")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """--dist loadfile (scripts/test's), with the running product's files as one."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByFileProductTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "the running product" if path.startswith(PRODUCT_TESTS) else path

    return ByFileProductTogether(config, log)
