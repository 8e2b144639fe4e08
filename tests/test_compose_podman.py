"""docker-compose up, for real: the production-like set built and run by Podman.

The image is built from docker/Dockerfile and the set started from docker-compose.yml, as a
firm does with Docker (tests/compose_set.py: what docker/test/ changes for this machine, and
why the set comes up in three steps). Then, as its users would: the web client loads, the
administrator connects to the mock KashFlow (a service of the set) with the Connect wizard over
JSON-RPC, a supplier invoice is published through the worker, three workers share a batch, a
worker restarted in the middle of a batch loses nothing and sends nothing twice, and at the
end nothing of the run is left but the images, which the next run builds from.

Runs where Podman is installed or can be (as root, with apt-get); it is skipped elsewhere,
saying why. What it printed: var/compose-test/podman.log.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from compose_set import ComposeSet, podman_ready
from host_network import without_ipv6
from product import REPO, TrytonSession, connect_over_soap, new_supplier_invoice

MOCK_IN_THE_SET = "http://mock:8080/api/service.asmx"  # as the trytond container sees it
ACCOUNT = {"username": "compose-firm", "password": "compose-firm-password"}
LOG = REPO / "var" / "compose-test" / "podman.log"


@pytest.fixture(scope="module")
def compose_set() -> Iterator[ComposeSet]:
    why_not = podman_ready()
    if why_not:
        pytest.skip(why_not)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.write_text("")
    found = ComposeSet(LOG)
    with without_ipv6():  # the containers' interfaces change no address of the host
        try:
            started = time.monotonic()
            found.build()
            print(f"built in {time.monotonic() - started:.0f} s")
            found.up()
            print(f"up and healthy {time.monotonic() - started:.0f} s after the start")
            yield found
        finally:
            found.down()


def session(compose_set: ComposeSet, login: str) -> TrytonSession:
    return TrytonSession(compose_set.tryton, login, compose_set.passwords[login],
                         database="tryton")


def wait_for(condition: Any, what: str | Callable[[], str], timeout: float,
             step: float = 1.0) -> Any:
    """The first true value of condition(); what says what was awaited (a function when it
    says what is there at the end)."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:.0f} s for "
                                 f"{what() if callable(what) else what}")
        time.sleep(step)
    return found


def publish_in_background(user: TrytonSession, ids: list[int]) -> int:
    """The Publish wizard on the selected invoices, as a user clicks it: how many it queued
    for the workers."""
    wizard = "wizard.kashflow.publish"
    context = {"active_model": "account.invoice", "active_ids": ids, "active_id": ids[0]}
    session_id, *_ = user.call(f"{wizard}.create")
    user.call(f"{wizard}.execute", session_id, {}, "start", context=context)
    result = user.call(f"{wizard}.execute", session_id, {"start": {}}, "publish",
                       context=context)
    user.call(f"{wizard}.delete", session_id)
    return result["view"]["defaults"]["queued"]


def shown(user: TrytonSession, ids: list[int]) -> dict[str, tuple[str, str | None]]:
    """Each invoice's reference, and its KashFlow state and number as the ERP shows them."""
    found = user.search_read("account.invoice", [("id", "in", ids)],
                             ["reference", "kashflow_state", "kashflow_number"])
    return {i["reference"]: (i["kashflow_state"],
                             None if i["kashflow_number"] is None else str(i["kashflow_number"]))
            for i in found}


def new_bills(user: TrytonSession, count: int) -> list[dict[str, Any]]:
    return [new_supplier_invoice(user) for _ in range(count)]


def all_published(user: TrytonSession, bills: list[dict[str, Any]], timeout: float) -> None:
    ids = [b["id"] for b in bills]
    wait_for(lambda: all(state == "published" for state, _ in shown(user, ids).values()),
             lambda: f"{len(ids)} bills published: "
                     f"{Counter(s for s, _ in shown(user, ids).values())}",
             timeout)


def published_once(compose_set: ComposeSet, user: TrytonSession,
                   bills: list[dict[str, Any]]) -> None:
    """Each bill is in KashFlow once, and the ERP shows the number KashFlow gave it."""
    references = [b["reference"] for b in bills]
    receipts = compose_set.mock_account(ACCOUNT["username"])["receipts"]
    numbers = {r["CustomerReference"]: str(r["InvoiceNumber"]) for r in receipts}
    assert Counter(r["CustomerReference"] for r in receipts
                   if r["CustomerReference"] in references) == Counter(references)
    assert shown(user, [b["id"] for b in bills]) == {
        r: ("published", numbers[r]) for r in references}


def test_every_service_of_the_set_runs(compose_set: ComposeSet) -> None:
    states = compose_set.states()
    project = compose_set.project
    assert states == {
        f"{project}_postgres_1": "running", f"{project}_init_1": "exited",
        f"{project}_trytond_1": "running", f"{project}_worker_1": "running",
        f"{project}_cron_1": "running", f"{project}_mock_1": "running"}, states
    assert "The database 'tryton' is ready" in compose_set.logs("init")
    # The web client is served by trytond, the mock KashFlow by its own service.
    page = requests.get(compose_set.tryton + "/", timeout=10)
    assert page.status_code == 200 and "sao" in page.text.lower()
    assert "AutoAuth key" in compose_set.logs("mock")


def test_the_web_client_loads_in_chromium(compose_set: ComposeSet, tmp_path: Path) -> None:
    from browser.sao import Sao, Screenshots
    from chromium import installed_chromedriver, new_chromium

    shots = Screenshots.configured(REPO, REPO / "var" / "browser-tests")
    driver = new_chromium(installed_chromedriver(), tmp_path / "profile")
    try:
        sao = Sao(driver, compose_set.tryton, shots).login("admin", compose_set.passwords["admin"])
        assert sao.user_name().startswith("Administrator")
        assert {"Financial", "Administration"} <= set(sao.menu_entries())
        assert sao.js_errors() == []
        sao.screenshot("compose-web-client")
    finally:
        driver.quit()


def test_a_supplier_invoice_is_published_through_the_worker(compose_set: ComposeSet) -> None:
    created = requests.post(f"{compose_set.mock}/_mock/accounts", json=ACCOUNT, timeout=10)
    assert created.status_code == 201, created.text
    admin = session(compose_set, "admin")
    connect_over_soap(admin, MOCK_IN_THE_SET, {
        "username": ACCOUNT["username"], "password": ACCOUNT["password"],
        "autoauth_secret": created.json()["autoauth_key"]})
    # Connecting queues a refresh of KashFlow's lists: the worker runs it.
    fields = ["id", "state", "refresh_state", "refresh_summary"]
    [connection] = wait_for(
        lambda: [c for c in admin.search_read("kashflow.connection", [], fields)
                 if c["refresh_state"] not in (None, "refreshing")],
        "the worker to refresh the lists", timeout=180)
    assert connection["state"] == "connected", connection
    assert connection["refresh_state"] == "done", connection
    admin.call("model.kashflow.connection.suggest_mappings", [connection["id"]])

    user = session(compose_set, "user")
    bills = new_bills(user, 1)
    assert publish_in_background(user, [bills[0]["id"]]) == 1
    all_published(user, bills, timeout=120)
    published_once(compose_set, user, bills)


def test_three_workers_publish_a_batch_each_document_once(compose_set: ComposeSet) -> None:
    compose_set.scale_workers(3)
    workers = {n: s for n, s in compose_set.states().items() if "_worker_" in n}
    assert sorted(workers.values()) == ["running"] * 3, workers
    user = session(compose_set, "user")
    bills = new_bills(user, 12)
    assert publish_in_background(user, [b["id"] for b in bills]) == 12
    all_published(user, bills, timeout=180)
    published_once(compose_set, user, bills)


def test_a_worker_restarted_in_a_batch_loses_nothing(compose_set: ComposeSet) -> None:
    """The workers are restarted while they publish (as a new image is rolled out): the
    documents they were on are published by the retry cron once their claim lapses (15 s
    here, compose.test.yml; 10 minutes by default), each once."""
    user = session(compose_set, "user")
    bills = new_bills(user, 10)
    ids = [b["id"] for b in bills]
    # KashFlow answers slowly, so that the restart falls in the middle of the batch.
    requests.post(f"{compose_set.mock}/_mock/faults", timeout=10, json={
        "operation": "*", "kind": "delay", "times": 10**6, "delay_ms": 1500,
    }).raise_for_status()
    try:
        assert publish_in_background(user, ids) == 10
        wait_for(lambda: "published" in {s for s, _ in shown(user, ids).values()},
                 "a first bill published", timeout=120, step=0.5)
        compose_set.compose("restart", "worker", timeout=180)
    finally:
        requests.delete(f"{compose_set.mock}/_mock/faults", timeout=10).raise_for_status()
    states = Counter(s for s, _ in shown(user, ids).values())
    print(f"after the restart: {dict(states)}")
    assert states["published"] < 10, states
    all_published(user, bills, timeout=240)
    published_once(compose_set, user, bills)


def test_everything_stops_and_is_removed(compose_set: ComposeSet) -> None:
    compose_set.down()
    assert compose_set.left_behind() == []
    with pytest.raises(requests.ConnectionError):
        requests.get(compose_set.tryton + "/", timeout=5)
