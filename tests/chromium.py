"""Debian's Chromium, headless, driven by Selenium: what the browser tests and the compose
test share. Chromium and its driver are installed with apt-get (as root) when missing;
Selenium is given /usr/bin/chromedriver, so Selenium Manager downloads nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from debian import apt_install, can_install
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Headless on this machine: without the background-networking switches Chromium's own
# connections are refused and it stalls; a fresh profile per browser.
SWITCHES = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-dev-shm-usage", "--window-size=1400,900", "--lang=en-GB"]


def installed_chromedriver() -> Path:
    """Debian's Chromium and its driver, installed (as root) when missing."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if not can_install():
            pytest.fail("Chromium is missing: apt-get install chromium chromium-driver (as root)")
        apt_install("chromium", "chromium-driver")
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), "chromium did not install"
    return CHROMEDRIVER


def new_chromium(chromedriver: Path, profile: Path) -> WebDriver:
    """A headless Chromium with a profile folder of its own, keeping its console log."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for switch in [*SWITCHES, f"--user-data-dir={profile}"]:
        options.add_argument(switch)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=str(chromedriver)),
                            options=options)
