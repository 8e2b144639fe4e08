"""Fixtures shared by the cross-part tests: one mock KashFlow server for the session,
and the running product (`bash scripts/run`), started once when a test asks for it.

Tests share that server, so none of them resets it: each gets its own account
(a fresh, unique username) and removes the faults it injected.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from product import Product, ProductRunner
from rawsoap import Account, new_account

from kashflow import KashFlowClient
from kashflow.models import Customer, Supplier
from mock_kashflow import ThreadedMockServer

# The tests of the running product (tests/product.py): they share one process under
# scripts/test's pytest-xdist, which starts the product once. It takes a minute to make, and
# its mock's faults are server-wide: two of those tests at once would see each other's.
PRODUCT_TESTS = ("tests/browser/", "tests/test_run_product")
# The files that take minutes, in the order they start (CI's --durations): a process starts
# each as soon as it is free. xdist hands out the files with most tests first, which left the
# one-test scenarios to start last and run alone at the end of the pass. The compose test
# builds and starts the set, which takes both cores for a minute or two, then mostly waits on
# its containers: it starts once the first scenarios are done (the databases they share are
# made at the start of the pass), so that its waits fall beside other tests' work rather
# than at the end of the pass with nothing beside them.
LONGEST_FIRST = (
    "the running product",
    "addons/dext_kashflow/tests/scenario_kashflow_publish_currency.rst[rest]",
    "addons/dext_kashflow/tests/scenario_kashflow_publish_faults.rst",
    "addons/dext_kashflow/tests/scenario_kashflow_publish_currency.rst",
    "tests/test_compose_podman.py",
    "addons/dext_kashflow/tests/scenario_kashflow_publish_bulk.rst",
    "addons/dext_kashflow/tests/scenario_kashflow_publish_bulk.rst[rest]",
    "addons/dext_kashflow/tests/scenario_kashflow_bookkeeper.rst",
    "addons/dext_kashflow/tests/scenario_kashflow_publish.rst",
    "addons/dext_kashflow/tests/test_secrets.py",
    "addons/dext_kashflow/tests/scenario_kashflow_publish_files.rst",
    "addons/dext_kashflow/tests/test_module.py",
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """--dist loadfile (scripts/test's): each file's tests in one process, so that its
    module fixtures are made once; the running product's files count as one; the files
    of LONGEST_FIRST before the others."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByFileProductTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            if path.startswith(PRODUCT_TESTS):
                return "the running product"
            # A scenario run again over REST (the module's conftest.py) goes its own way.
            return f"{path}[rest]" if nodeid.endswith("[rest]") else path

        def _assign_work_unit(self, node) -> None:
            for scope in LONGEST_FIRST:
                if scope in self.workqueue:
                    self.workqueue.move_to_end(scope, last=False)
                    break
            super()._assign_work_unit(node)

    return ByFileProductTogether(config, log)


@pytest.fixture(scope="session")
def mock_server():
    server = ThreadedMockServer(port=0).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def product_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductRunner]:
    """`bash scripts/run` on free ports with its own state folder, for the whole session."""
    runner = ProductRunner(tmp_path_factory.mktemp("product"))
    yield runner
    runner.close()


@pytest.fixture
def product(product_runner: ProductRunner) -> Product:
    """The running product (Tryton with the demo database, sao, the mock KashFlow): made
    once per session (a minute), started again when a test stopped it (seconds)."""
    return product_runner.running()


@pytest.fixture
def kashflow_account(mock_server) -> Account:
    """A new demo account that any IP may use: .username, .password, .autoauth_key,
    .url (the SOAP endpoint), .base_url, .state() and .settings(**values)."""
    return new_account(mock_server.url, seed="demo", open_ips=True)


@pytest.fixture
def client(kashflow_account) -> KashFlowClient:
    with KashFlowClient(kashflow_account.username, kashflow_account.password,
                        url=kashflow_account.url, timeout=5.0) as kashflow:
        yield kashflow


@dataclass
class Demo:
    """The demo account's records, found through the client, for building documents."""

    nominal_ids: dict[int, int]  # nominal code (7502) -> KashFlow id
    suppliers: dict[str, Supplier]  # by code
    customers: dict[str, Customer]
    bank_account_id: int
    receipt_method_id: int
    invoice_method_id: int
    project_id: int


@pytest.fixture
def demo(client) -> Demo:
    return Demo(
        nominal_ids={n.code: n.id for n in client.get_nominal_codes()},
        suppliers={s.code: s for s in client.get_suppliers()},
        customers={c.code: c for c in client.get_customers()},
        bank_account_id=client.get_bank_accounts()[0].id,
        receipt_method_id=client.get_receipt_payment_methods()[0].id,
        invoice_method_id=client.get_invoice_payment_methods()[0].id,
        project_id=client.get_projects()[0].id,
    )


def account_state(base_url: str, username: str) -> dict:
    """An account's whole state in the mock, as JSON."""
    response = requests.get(f"{base_url}/_mock/accounts/{username}", timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def inject_fault(mock_server):
    """inject_fault(operation, kind, times=1, delay_ms=0): make the next calls fail.
    Faults are server-wide, so they are cleared when the test ends."""

    def inject(operation: str, kind: str, times: int = 1, delay_ms: int = 0) -> None:
        requests.post(f"{mock_server.url}/_mock/faults", timeout=10, json={
            "operation": operation, "kind": kind, "times": times, "delay_ms": delay_ms,
        }).raise_for_status()

    yield inject
    requests.delete(f"{mock_server.url}/_mock/faults", timeout=10).raise_for_status()
