"""Browser tests: a real headless Chromium drives sao and the mock KashFlow's pages.

- Debian's chromium and chromium-driver (tests/chromium.py: installed with apt-get as root
  when missing);
- the running product from tests/conftest.py (`bash scripts/run` once per session);
- `admin` and `plain_user`: a new browser each, logged in to sao (see sao.py for the helpers);
- `kashflow_web`: the mock KashFlow's pages in a second tab of the administrator's browser;
- `connected`: the demo company's connection, connected through sao when it is not yet;
  `mapped`: that connection with its accounts and taxes mapped;
- `purchases`: the mock KashFlow's pages, logged in as the demo account;
- `no_faults`: removes, after the test, the faults it injected in the mock KashFlow.

Named screenshots (sao.screenshot("name")) go to var/browser-tests/screenshots/, or to
$DEXT_SCREENSHOTS (docs/screenshots/ to refresh the README's). When a test fails, every browser
it used leaves a screenshot, its page and its console log in var/browser-tests/failures/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from chromium import installed_chromedriver, new_chromium
from host_network import steady
from product import REPO, Product
from selenium.webdriver.remote.webdriver import WebDriver

from .flows import account_mappings, connect, connections, demo_credentials
from .kashflow_web import KashFlowWeb
from .sao import Sao, Screenshots

ARTIFACTS = REPO / "var" / "browser-tests"


@pytest.fixture(scope="session")
def chromedriver() -> Path:
    return installed_chromedriver()


@pytest.fixture(scope="session")
def screenshots() -> Screenshots:
    found = Screenshots.configured(REPO, ARTIFACTS)
    shutil.rmtree(found.failures, ignore_errors=True)  # what is there tells about this run only
    return found


class Browsers:
    """The browsers of one test: made on demand, closed when the test ends."""

    def __init__(self, chromedriver: Path, profiles: Path) -> None:
        self.chromedriver = chromedriver
        self.profiles = profiles
        self.drivers: list[WebDriver] = []
        self.pages: list[Sao] = []

    def new(self) -> WebDriver:
        driver = new_chromium(self.chromedriver, self.profiles / f"profile-{len(self.drivers)}")
        self.drivers.append(driver)
        return driver

    def save_failure(self, folder: Path, test_name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", test_name)
        for number, driver in enumerate(self.drivers):
            for handle in driver.window_handles:
                driver.switch_to.window(handle)
                name = f"{stem}-{number}-{driver.window_handles.index(handle)}"
                driver.save_screenshot(str(folder / f"{name}.png"))
                (folder / f"{name}.html").write_text(driver.page_source)
        for number, page in enumerate(self.pages):
            page.js_errors()
            (folder / f"{stem}-{number}-console.log").write_text(
                "\n".join(f"{e.get('level')} {e.get('message')}" for e in page.console))

    def close(self) -> None:
        for driver in self.drivers:
            driver.quit()
        self.drivers.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browsers(request: pytest.FixtureRequest, chromedriver: Path, screenshots: Screenshots,
             tmp_path: Path) -> Iterator[Browsers]:
    found = Browsers(chromedriver, tmp_path)
    with steady():  # the compose test adds no address to the machine meanwhile
        yield found
    try:
        failed = [getattr(request.node, f"report_{when}", None) for when in ("setup", "call")]
        if any(report is not None and report.failed for report in failed):
            found.save_failure(screenshots.failures, request.node.name)
    finally:
        found.close()
        shutil.rmtree(tmp_path, ignore_errors=True)  # the browser profiles


def logged_in(browsers: Browsers, product: Product, screenshots: Screenshots,
              login: str) -> Sao:
    sao = Sao(browsers.new(), product.tryton, screenshots)
    browsers.pages.append(sao)
    return sao.login(login, product.logins[login])


def check_javascript(request: pytest.FixtureRequest, sao: Sao) -> None:
    """A test that passed fails all the same when sao's JavaScript failed meanwhile."""
    report = getattr(request.node, "report_call", None)
    if report is not None and report.passed:
        errors = sao.js_errors()
        assert not errors, "sao's JavaScript failed:\n" + "\n".join(errors)


@pytest.fixture
def admin(request: pytest.FixtureRequest, browsers: Browsers, product: Product,
          screenshots: Screenshots) -> Iterator[Sao]:
    """sao in a new browser, logged in as the administrator (also KashFlow Administrator)."""
    sao = logged_in(browsers, product, screenshots, "admin")
    yield sao
    check_javascript(request, sao)


@pytest.fixture
def plain_user(request: pytest.FixtureRequest, browsers: Browsers, product: Product,
               screenshots: Screenshots) -> Iterator[Sao]:
    """sao in a new browser, logged in as the plain user (accounting, KashFlow Publisher)."""
    sao = logged_in(browsers, product, screenshots, "user")
    yield sao
    check_javascript(request, sao)


@pytest.fixture
def kashflow_web(admin: Sao, product: Product, screenshots: Screenshots) -> Iterator[KashFlowWeb]:
    """The mock KashFlow's pages, in a second tab of the administrator's browser."""
    web = KashFlowWeb(admin.driver, product.mock, screenshots)
    yield web
    admin.focus()


@pytest.fixture(scope="session")
def connect_failures() -> list[str]:
    """Why connecting in sao failed, once: the next tests that need a connection fail at
    once with that reason rather than trying (and waiting) again."""
    return []


@pytest.fixture
def connected(product: Product, browsers: Browsers, screenshots: Screenshots,
              connect_failures: list[str]) -> dict:
    """The demo company's KashFlow connection, connected (by the administrator in sao, in a
    browser of its own, when an earlier test has not done it)."""
    found = connections(product)
    if not (found and found[0]["state"] == "connected"):
        if connect_failures:
            pytest.fail(f"Connecting in sao failed earlier in this session:\n"
                        f"{connect_failures[0]}")
        sao = logged_in(browsers, product, screenshots, "admin")
        try:
            connect(sao, product, demo_credentials(product))
        except AssertionError as error:
            connect_failures.append(str(error))
            raise
        found = connections(product)
    assert len(found) == 1 and found[0]["state"] == "connected", found
    return found[0]


@pytest.fixture
def mapped(connected: dict, product: Product) -> dict:
    """The connection, with its mappings suggested (by RPC when the test of Suggest Mappings
    has not run before)."""
    if not account_mappings(product):
        product.session("admin").call("model.kashflow.connection.suggest_mappings",
                                      [connected["id"]])
    assert account_mappings(product)
    return connected


@pytest.fixture
def purchases(kashflow_web: KashFlowWeb, product: Product) -> KashFlowWeb:
    """The mock KashFlow's pages, logged in as the demo account."""
    credentials = demo_credentials(product)
    kashflow_web.login(credentials.username, credentials.password)
    return kashflow_web


@pytest.fixture
def no_faults(product: Product) -> Iterator[None]:
    yield
    requests.delete(f"{product.mock}/_mock/faults", timeout=10).raise_for_status()
