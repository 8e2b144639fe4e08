"""The mock KashFlow's web pages, used in a browser tab as a KashFlow user uses the real ones:
log in, Apps > API Settings (the switches, the username, the AutoAuth key and its Copy code
button), Purchases and Sales."""

from __future__ import annotations

from dataclasses import dataclass

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from .sao import Page, Screenshots, xpath_literal


@dataclass
class ApiSettings:
    """What the API Settings page shows."""

    username: str
    soap_api_enabled: bool
    autoauth_enabled: bool
    autoauth_key: str
    copy_status: str  # what the page said after Copy code ("Copied", or how to copy by hand)


@dataclass
class Purchase:
    """What a purchase's own page shows: its number, its tables as rows of {column heading:
    text}, and its totals by name (Net, VAT, Total, Paid, Outstanding)."""

    number: str
    lines: list[dict[str, str]]
    payments: list[dict[str, str]]
    totals: dict[str, str]


class KashFlowWeb(Page):
    """The mock KashFlow's pages in a tab of its own (opened next to sao's)."""

    def __init__(self, driver: WebDriver, base_url: str, shots: Screenshots) -> None:
        driver.switch_to.new_window("tab")
        super().__init__(driver, shots)
        self.base_url = base_url.rstrip("/")

    def heading(self) -> str:
        headings = self.visible(self.driver, By.TAG_NAME, "h1")
        return headings[0].text.strip() if headings else ""

    def login(self, username: str, password: str) -> None:
        self.focus()
        self.driver.get(f"{self.base_url}/login")
        self.wait(lambda: self.visible(self.driver, By.ID, "username")[0],
                  "KashFlow's login form").send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
        self.wait(lambda: self.visible(self.driver, By.CSS_SELECTOR, ".who .logout"),
                  f"KashFlow's home page for {username}")

    def open_main_menu(self, name: str) -> None:
        """Click an entry of the top menu (Home, Sales, Purchases, Apps)."""
        self.focus()
        self.click(lambda: self.visible(
            self.driver, By.XPATH, f"//nav[@class='mainnav']/ul/li/a"
            f"[starts-with(normalize-space(.), {xpath_literal(name)})]")[0],
            f"KashFlow's menu {name!r}")
        self.wait(lambda: self.heading() == name, f"KashFlow's {name} page")

    def open_api_settings(self) -> None:
        """Apps, then API Settings."""
        self.open_main_menu("Apps")
        self.click(lambda: self.driver.find_element(
            By.CSS_SELECTOR, "main").find_element(By.LINK_TEXT, "API Settings"),
            "the API Settings link")
        self.wait(lambda: self.heading() == "API Settings", "KashFlow's API Settings page")

    def read_api_settings(self) -> ApiSettings:
        """Read the page as a person does and select Copy code. Headless Chromium may refuse
        the clipboard, so the key is read from its field, as a person reads the screen."""
        self.focus()
        key_field = self.driver.find_element(By.ID, "autoauth-key")
        self.click(lambda: self.driver.find_element(
            By.XPATH, "//button[normalize-space(.)='Copy code']"), "Copy code")
        status = self.wait(lambda: self.driver.find_element(By.ID, "copy-status").text.strip(),
                           "what Copy code says")
        return ApiSettings(
            username=self.driver.find_element(By.ID, "api-username").text.strip(),
            soap_api_enabled=self.driver.find_element(By.ID, "soap_api_enabled").is_selected(),
            autoauth_enabled=self.driver.find_element(By.ID, "autoauth_enabled").is_selected(),
            autoauth_key=(key_field.get_attribute("value") or "").strip(),
            copy_status=status,
        )

    def purchase_references(self) -> list[str]:
        """Purchases (top menu): the Reference column of the list, top to bottom."""
        self.open_main_menu("Purchases")
        return [row.find_elements(By.TAG_NAME, "td")[3].text.strip()
                for row in self.driver.find_elements(By.CSS_SELECTOR, "table.data tbody tr")]

    def open_purchase(self, reference: str) -> Purchase:
        """Purchases, then the number of the purchase with this reference: its page."""
        self.open_main_menu("Purchases")
        self.click(lambda: next(
            (row.find_element(By.TAG_NAME, "a")
             for row in self.driver.find_elements(By.CSS_SELECTOR, "table.data tbody tr")
             if row.find_elements(By.TAG_NAME, "td")[3].text.strip() == reference), None),
            f"the purchase with the reference {reference!r}")
        self.wait(lambda: self.heading().startswith("Purchase"), "the purchase's page")
        crumbs = self.driver.find_element(By.CSS_SELECTOR, "p.crumbs").text
        totals = {(row.find_element(By.TAG_NAME, "th").get_attribute("textContent")
                   or "").strip():
                  row.find_element(By.TAG_NAME, "td").text.strip()
                  for row in self.driver.find_elements(By.CSS_SELECTOR, "table.totals tr")}
        return Purchase(number=crumbs.split("›")[-1].strip(), lines=self._table("Lines"),
                        payments=self._table("Payments"), totals=totals)

    def _table(self, section: str) -> list[dict[str, str]]:
        """The data table under the heading section, as rows of {column heading: text}."""
        tables = self.driver.find_elements(
            By.XPATH, f"//section[h2[normalize-space(.)={xpath_literal(section)}]]"
            f"//table[contains(@class, 'data')]")
        if not tables:
            return []  # "No payments recorded."
        # As written in the page: CSS shows headings in capitals.
        headings = [(th.get_attribute("textContent") or "").strip()
                    for th in tables[0].find_elements(By.CSS_SELECTOR, "thead th")]
        return [dict(zip(headings, (td.text.strip() for td in
                                    row.find_elements(By.TAG_NAME, "td")), strict=False))
                for row in tables[0].find_elements(By.CSS_SELECTOR, "tbody tr")]
