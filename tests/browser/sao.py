"""Driving Tryton's web client sao the way a person does: small helpers over Selenium.

sao builds its pages with bootstrap 3: the menu is a tree in the left pane (#menu), each
opened menu entry is a tab (#tablist, #tabcontent > .tab-pane.active), form fields are inputs
named after their field (name="url"), buttons carry their label as title, and wizards, errors
and questions are modal dialogs (.modal). Every helper waits for what it needs (WebDriverWait);
none sleeps.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

T = TypeVar("T")
# sao's errors whose cause in our views is known: a hint for whoever reads the failure.
KNOWN_ERRORS = {
    "ColumnFactory is not a constructor":
        "a list (tree) view has a field sao's lists cannot show: sao 8.0 has no 'datetime' "
        "column, so a DateTime field needs widget=\"date\" (and a second one with "
        "widget=\"time\"), as trytond's own lists do",
}
TIMEOUT = 20.0
# A fresh browser loads and compiles all of sao's scripts before the login dialog shows: on a
# machine busy with other work (CI runs the compose set beside these tests) that takes longer
# than a click's answer.
PAGE_LOAD_TIMEOUT = 60.0
# What may happen while sao redraws a page under our feet: look again.
FLEETING = (NoSuchElementException, StaleElementReferenceException,
            ElementClickInterceptedException, ElementNotInteractableException, IndexError)


def xpath_literal(text: str) -> str:
    """text as an XPath string literal, whatever quotes it holds."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


def css_string(text: str) -> str:
    """text as a CSS string, for attribute selectors."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Screenshots:
    """Where screenshots go: named ones (for docs/screenshots/) and failure ones."""

    def __init__(self, named: Path, failures: Path) -> None:
        self.named = named
        self.failures = failures

    @classmethod
    def configured(cls, repo: Path, artifacts: Path) -> Screenshots:
        """Named ones in $DEXT_SCREENSHOTS (relative to repo) or artifacts/screenshots;
        failure ones in artifacts/failures."""
        named = Path(os.environ.get("DEXT_SCREENSHOTS") or artifacts / "screenshots")
        return cls(named=named if named.is_absolute() else repo / named,
                   failures=artifacts / "failures")

    def take(self, driver: WebDriver, name: str) -> Path:
        self.named.mkdir(parents=True, exist_ok=True)
        path = self.named / f"{name}.png"
        driver.save_screenshot(str(path))
        return path


class Page:
    """What sao and the mock's pages share: a window of a driver, waits, screenshots."""

    def __init__(self, driver: WebDriver, shots: Screenshots, window: str | None = None,
                 timeout: float = TIMEOUT) -> None:
        self.driver = driver
        self.shots = shots
        self.window = window or driver.current_window_handle
        self.timeout = timeout

    def focus(self) -> None:
        if self.driver.current_window_handle != self.window:
            self.driver.switch_to.window(self.window)

    def problems(self) -> str:
        """Extra words for a failure message (sao adds its JavaScript errors)."""
        return ""

    def wait(self, condition: Callable[[], T], what: str | Callable[[], str],
             timeout: float | None = None) -> T:
        """The first true value of condition(), looked for until timeout. what says what
        was awaited, for the failure (a function when it says what is there instead)."""
        waiter = WebDriverWait(self.driver, timeout or self.timeout, poll_frequency=0.1,
                               ignored_exceptions=FLEETING)
        try:
            return waiter.until(lambda _driver: condition())
        except TimeoutException:
            if callable(what):
                try:
                    what = what()
                except FLEETING as error:
                    what = f"(the page changed while looking: {error.__class__.__name__})"
            raise AssertionError(f"Waited {timeout or self.timeout:.0f} s for {what}"
                                 f"{self.problems()}") from None

    def read(self, look: Callable[[], T], what: str) -> T:
        """What look() returns, looked at again while the page is being redrawn."""
        return self.wait(lambda: (look(),), what)[0]

    def screenshot(self, name: str) -> Path:
        self.focus()
        return self.shots.take(self.driver, name)

    def visible(self, root: WebDriver | WebElement, by: str, selector: str) -> list[WebElement]:
        return [e for e in root.find_elements(by, selector) if e.is_displayed()]

    def click(self, find: Callable[[], WebElement | None], what: str) -> None:
        """Click what find() returns, once it is there, enabled and not covered."""
        def clicked() -> bool:
            element = find()
            if element is None or not element.is_enabled():
                return False
            element.click()
            return True
        self.wait(clicked, f"{what} to be clickable")


class Sao(Page):
    """One person logged in to sao in one browser window."""

    MENU = "#menu"

    def __init__(self, driver: WebDriver, base_url: str, shots: Screenshots) -> None:
        super().__init__(driver, shots)
        self.base_url = base_url.rstrip("/") + "/"
        self.console: list[dict[str, Any]] = []

    # What went wrong in the page -------------------------------------------------------

    def js_errors(self) -> list[str]:
        """The page's uncaught JavaScript errors so far."""
        try:
            self.console.extend(self.driver.get_log("browser"))
        except Exception:  # the browser is gone
            pass
        return [entry["message"] for entry in self.console
                if entry.get("source") == "javascript"]

    def problems(self) -> str:
        words = []
        errors = self.js_errors()
        if errors:
            words.append("sao's JavaScript errors:\n  " + "\n  ".join(errors))
            words.extend(f"(likely cause: {hint})" for error, hint in KNOWN_ERRORS.items()
                         if any(error in found for found in errors))
        try:
            dialog = self.dialog()
            if dialog is not None:
                words.append(f"an open dialog says: {dialog.text.strip()!r}")
        except Exception:
            pass
        return ("\n" + "\n".join(words)) if words else ""

    # Logging in ------------------------------------------------------------------------

    def login(self, login: str, password: str) -> Sao:
        """The login dialog (user name, Enter), then the password dialog, then the menu."""
        self.focus()
        self.driver.get(self.base_url)
        user_name = self.wait(lambda: self.visible(self.driver, By.ID, "login")[0],
                              "the login dialog", timeout=PAGE_LOAD_TIMEOUT)
        # sao fills in the database once it has asked the server: a login sent before
        # that is ignored (the dialog only marks the empty field).
        self.wait(lambda: any(e.get_attribute("value") for e in self.visible(
            self.driver, By.CSS_SELECTOR, ".login-dialog #database")),
            "the login dialog's database", timeout=PAGE_LOAD_TIMEOUT)
        user_name.send_keys(login, Keys.ENTER)
        for attempt in range(3):  # a person would click Login again
            try:
                entry = self.wait(
                    lambda: self.visible(self.driver, By.ID, "ask-dialog-entry")[0],
                    f"the password dialog of {login}", timeout=None if attempt == 2 else 5)
                break
            except AssertionError:
                if attempt == 2:
                    raise
                buttons = self.visible(self.driver, By.CSS_SELECTOR,
                                       ".login-dialog button[type=submit]")
                if buttons and buttons[0].is_enabled():
                    try:
                        buttons[0].click()
                    except FLEETING:
                        pass  # the password dialog came meanwhile
        entry.send_keys(password, Keys.ENTER)
        self.wait(lambda: self.menu_entries() and self.dialog() is None,
                  f"the menu after {login} logged in", timeout=PAGE_LOAD_TIMEOUT)
        return self

    def user_name(self) -> str:
        """The name shown at the top right."""
        return self.driver.find_element(By.ID, "user-preferences").text.strip()

    # The menu --------------------------------------------------------------------------

    def menu_entries(self) -> list[str]:
        """The menu entries shown now, top to bottom."""
        return self.read(lambda: [e.text.strip() for e in self.visible(
            self.driver, By.CSS_SELECTOR, f"{self.MENU} .column-char")], "the menu")

    def _menu_row(self, name: str, after: WebElement | None) -> WebElement | None:
        """The visible menu row called name (a child of the row after, when given: two
        folders may have the same name, as Financial > KashFlow and Financial >
        Configuration > KashFlow)."""
        if after is None:
            cell = (f"td//div[contains(@class, 'column-char') "
                    f"and normalize-space(.)={xpath_literal(name)}]")
            rows = self.driver.find_elements(
                By.XPATH, f"//div[@id='menu']//tr[{cell}]")
            return next((r for r in rows if r.is_displayed()), None)
        # sao indents a row by its depth in the tree (its expander's margin, in em); the
        # children of a row follow it until a row as shallow as it.
        return self.driver.execute_script("""
            const after = arguments[0], name = arguments[1];
            const depth = (row) => {
                const icon = row.querySelector('.expander img');
                return icon ? parseFloat(icon.style.marginLeft || icon.style.marginRight
                                         || '0') : 0;
            };
            const top = depth(after);
            for (let row = after.nextElementSibling; row; row = row.nextElementSibling) {
                if (row.offsetParent === null) continue;  // hidden
                const level = depth(row);
                if (level <= top) return null;
                const text = row.querySelector('.column-char');
                if (level === top + 1 && text
                        && text.textContent.replace(/\\s+/g, ' ').trim() === name) {
                    return row;
                }
            }
            return null;""", after, name)

    def _find_menu(self, path: tuple[str, ...], timeout: float | None = None) -> WebElement:
        """The row of the last entry of path, opening the folders on the way. Clicking a
        folder's name opens it when it is closed and leaves it open when it is open (its
        arrow would close it)."""
        row = None
        for depth, name in enumerate(path):
            parent = row
            row = self._menu_row(name, parent)
            if row is None and parent is not None:
                parent.find_element(By.CSS_SELECTOR, ".column-char").click()
            row = self.wait(lambda name=name, parent=parent: self._menu_row(name, parent),
                            f"the menu entry {' > '.join(path[:depth + 1])!r}", timeout)
        assert row is not None
        return row

    def open_menu(self, *path: str) -> None:
        """Open a menu entry by its path, as a person does: open each folder, click the
        entry, and wait for its tab."""
        self.focus()
        row = self._find_menu(path)
        title = " / ".join(path)
        self.click(lambda: row.find_element(By.CSS_SELECTOR, ".column-char"),
                   f"the menu entry {title!r}")
        self.wait(lambda: self.tab_title() == title and self.view() is not None,
                  f"the tab {title!r} to open")

    def has_menu(self, *path: str) -> bool:
        """Whether the menu shows this path (opening the folders that exist)."""
        self.focus()
        try:
            self._find_menu(path, timeout=3)
        except AssertionError:
            return False
        return True

    # Tabs and views --------------------------------------------------------------------

    def tab(self) -> WebElement:
        """The content of the tab in front."""
        return self.driver.find_element(By.CSS_SELECTOR, "#tabcontent > .tab-pane.active")

    def tab_title(self) -> str | None:
        tabs = self.driver.find_elements(By.CSS_SELECTOR, "#tablist > li.active span[title]")
        return tabs[0].get_attribute("title") if tabs else None

    def open_url(self, fragment: str) -> None:
        """Open a sao URL (what follows '#', e.g. 'demo/model/kashflow.connection/1'),
        as a person following a link."""
        self.focus()
        self.driver.get(f"{self.base_url}#{fragment}")
        self.wait(lambda: self.view() is not None, f"#{fragment} to open")

    def view(self) -> str | None:
        """'form' or 'tree' when the tab in front shows a loaded view, else None."""
        tabs = self.driver.find_elements(By.CSS_SELECTOR, "#tabcontent > .tab-pane.active")
        if not tabs:
            return None
        if self.visible(tabs[0], By.CSS_SELECTOR, ".form-container"):
            return "form"
        if self.visible(tabs[0], By.CSS_SELECTOR, ".treeview table"):
            return "tree"
        return None

    def toolbar(self, title: str) -> None:
        """Click a button of the tab's toolbar by its title (New, Save, Reload/Undo...)."""
        self.click(lambda: self.visible(self.tab(), By.CSS_SELECTOR,
                                        f".toolbar button[title={css_string(title)}]")[0],
                   f"the toolbar button {title!r}")

    def new_record(self) -> None:
        self.toolbar("New")
        self.wait(lambda: self.view() == "form", "the form of a new record")

    def save(self) -> None:
        """Save with the toolbar's button, then wait until the counter gives the record its
        place ('1/3', where a new record shows '_/3'). A message sao shows instead (a field
        missing, a rule broken) fails the wait with its words."""
        self.toolbar("Save")

        def saved() -> bool:
            dialog = self.dialog()
            if dialog is not None:
                raise AssertionError(f"sao did not save, it says: {dialog.text.strip()}")
            badges = self.visible(self.tab(), By.CSS_SELECTOR, ".toolbar .badge")
            return bool(badges) and re.match(r"\d+/", badges[0].text.strip()) is not None
        self.wait(saved, "the record to be saved")

    def record_count(self) -> int | None:
        """The number of records of the tab, as its counter shows it ('_/28' -> 28)."""
        badges = self.visible(self.tab(), By.CSS_SELECTOR, ".toolbar .badge")
        match = re.search(r"/(\d+)", badges[0].text) if badges else None
        return int(match.group(1)) if match else None

    def wait_for_count(self, count: int, what: str) -> None:
        self.wait(lambda: self.record_count() == count,
                  lambda: f"{what} to count {count} (it shows {self.record_count()})")

    def search(self, text: str) -> None:
        """Type text in the list's search box and press Enter."""
        box = self.wait(lambda: self.visible(self.tab(), By.CSS_SELECTOR,
                                             ".filter-box input.form-control")[0],
                        "the search box")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(text, Keys.ENTER)

    def rows(self) -> list[str]:
        """The rows of the list in front, as their visible text."""
        return self.read(lambda: [row.text for row in self.visible(
            self.tab(), By.CSS_SELECTOR, ".treeview tbody tr")], "the rows of the list")

    def row(self, text: str) -> str:
        """The first row of the list in front that shows text, once it shows."""
        return self.wait(lambda: next((r for r in self.rows() if text in r), None),
                         lambda: f"a row showing {text!r} (rows: {self.rows()!r})")

    def open_row(self, text: str | None = None) -> None:
        """Double-click the list row that shows text (the first row without text) to open
        its record in the form."""
        def cell() -> WebElement | None:
            # Looked for again when the list is redrawn meanwhile (a stale row or cell).
            rows = self.visible(self.tab(), By.CSS_SELECTOR, ".treeview tbody tr")
            found = next((r for r in rows if text is None or text in r.text), None)
            if found is None:
                return None
            # Hidden columns have no size; a link (many2one) cell opens its own record: the
            # cell that shows text, else the last visible one.
            cells = self.visible(found, By.CSS_SELECTOR, "td")
            return next((c for c in cells if text and c.text.strip() == text), cells[-1])
        found = self.wait(cell, f"a row showing {text!r}" if text else "a row")
        ActionChains(self.driver).double_click(found).perform()
        self.wait(lambda: self.view() == "form", "the record's form")

    def open_page(self, name: str) -> None:
        """Open a notebook page of the form by its label."""
        self.click(lambda: self.visible(
            self.scope(), By.XPATH, f".//ul[contains(@class, 'nav-tabs')]//a"
            f"[normalize-space(.)={xpath_literal(name)}]")[0], f"the page {name!r}")

    def open_list_tab(self, name: str) -> None:
        """Click a tab of the list's filter (Draft, Posted, All...) by its label (a count
        may follow the label)."""
        self.click(lambda: self.visible(
            self.tab(), By.XPATH, f".//ul[contains(@class, 'nav-tabs')]//a"
            f"[starts-with(normalize-space(.), {xpath_literal(name)})]")[0],
            f"the list's tab {name!r}")
        self.wait(lambda: self.visible(
            self.tab(), By.XPATH, f".//ul[contains(@class, 'nav-tabs')]/li[contains(@class, "
            f"'active')]/a[starts-with(normalize-space(.), {xpath_literal(name)})]"),
            f"the list's tab {name!r} to be in front")

    def select_rows(self, *texts: str) -> None:
        """Tick the selection box of each list row that shows one of texts."""
        for text in texts:
            def box(text: str = text) -> WebElement | None:
                rows = self.visible(self.tab(), By.CSS_SELECTOR, ".treeview tbody tr")
                row = next((r for r in rows if text in r.text), None)
                if row is None:
                    return None
                found = row.find_element(By.CSS_SELECTOR, "td.selection-state input")
                return None if found.is_selected() else found
            self.click(box, f"the selection box of the row showing {text!r}")

    def launch_action(self, name: str) -> None:
        """The toolbar's Launch action menu, then its entry called name."""
        self.toolbar("Launch action")
        self.click(lambda: self.visible(
            self.tab(), By.XPATH, f".//ul[contains(@class, 'dropdown-menu')]//a"
            f"[normalize-space(.)={xpath_literal(name)}]")[0], f"the action {name!r}")

    def reload(self) -> None:
        self.toolbar("Reload/Undo")

    # Dialogs ---------------------------------------------------------------------------

    def dialog(self) -> WebElement | None:
        """The dialog in front (a wizard, an error, a question), None when there is none."""
        shown = self.visible(self.driver, By.CSS_SELECTOR, ".modal.in")
        if not shown:
            return None
        return max(shown, key=lambda m: int(m.value_of_css_property("z-index") or 0))

    def scope(self) -> WebElement:
        """Where a person looks: the dialog in front, else the tab in front."""
        return self.dialog() or self.tab()

    def dialog_title(self) -> str:
        dialog = self.wait(self.dialog, "a dialog")
        titles = dialog.find_elements(By.CSS_SELECTOR, ".modal-header .model-title, "
                                                       ".modal-header .modal-title")
        return titles[0].text.strip() if titles else ""

    def error_message(self) -> str:
        """Wait for sao's error (or warning) dialog; return what it says."""
        def alert() -> WebElement | None:
            dialog = self.dialog()
            if dialog is None:
                return None
            alerts = dialog.find_elements(By.CSS_SELECTOR, ".alert")
            return alerts[0] if alerts else None
        return self.wait(alert, "an error dialog").text.strip()

    def close_error(self) -> None:
        """Click OK on the error dialog in front and wait until it is gone."""
        self._ok("the error dialog")

    def confirm(self, question: str) -> None:
        """Answer OK to the question sao asks ("Are you sure...?") once it shows."""
        self.wait(lambda: question in (self.dialog() or self.tab()).text,
                  f"sao to ask {question!r}")
        self._ok(f"the question {question!r}")

    def _ok(self, what: str) -> None:
        dialog = self.wait(self.dialog, what)
        self.click(lambda: dialog.find_element(By.CSS_SELECTOR, ".modal-footer .btn-primary"),
                   f"OK on {what}")

        def closed() -> bool:
            try:
                return not dialog.is_displayed()
            except StaleElementReferenceException:  # sao removed it from the page
                return True
        self.wait(closed, f"{what} to close")

    def wait_for_dialog_closed(self) -> None:
        self.wait(lambda: self.dialog() is None, "the dialog to close")

    # Buttons and fields (in the dialog in front, else in the tab in front) -------------

    def _button(self, label: str) -> WebElement | None:
        for button in self.visible(self.scope(), By.TAG_NAME, "button"):
            text = (button.get_attribute("textContent") or "").strip()
            if label in (text, button.get_attribute("title")):
                return button
        return None

    def button(self, label: str) -> WebElement:
        return self.wait(lambda: self._button(label), f"a button {label!r}")

    def has_button(self, label: str) -> bool:
        return self.read(lambda: self._button(label) is not None, f"the button {label!r}")

    def click_button(self, label: str) -> None:
        """Click the button with this label (as written in the view, not as CSS shows it)."""
        self.focus()
        self.click(lambda: self._button(label), f"the button {label!r}")

    def field(self, name_or_label: str) -> WebElement:
        """A field's input, by field name ('url') or by its label ('Service URL')."""
        def find() -> WebElement | None:
            scope = self.scope()
            named = [e for e in scope.find_elements(
                By.CSS_SELECTOR, f"input[name={css_string(name_or_label)}], "
                f"select[name={css_string(name_or_label)}], "
                f"textarea[name={css_string(name_or_label)}]")
                if e.is_displayed() or e.get_attribute("type") == "checkbox"]
            if named:
                return named[0]
            for label in self.visible(scope, By.CSS_SELECTOR, "label"):
                if label.text.strip().rstrip(":").strip() == name_or_label:
                    target = label.get_attribute("for")
                    if target:
                        return scope.find_element(By.ID, target)
            return None
        return self.wait(find, f"the field {name_or_label!r}")

    def fill(self, name_or_label: str, value: str | bool) -> None:
        """Type a value into a field (tick or untick a checkbox with True or False)."""
        element = self.field(name_or_label)
        if element.get_attribute("type") == "checkbox":
            if element.is_selected() != bool(value):
                element.click()
            self.wait(lambda: element.is_selected() == bool(value),
                      f"{name_or_label!r} to be {'ticked' if value else 'unticked'}")
            return
        if element.tag_name == "select":
            Select(element).select_by_visible_text(str(value))
            return
        self.start_typing(element, name_or_label)
        element.send_keys(Keys.DELETE)
        element.send_keys(str(value))

    def start_typing(self, element: WebElement, name_or_label: str) -> None:
        """Select what the field holds, once it takes typing: a form still being drawn (on a
        busy machine) shows a field a moment before it can be typed into."""
        self.wait(lambda: element.send_keys(Keys.CONTROL, "a") or True,
                  f"the field {name_or_label!r} to take typing")

    def choose(self, name_or_label: str, text: str, choice: str | None = None) -> None:
        """Type text into a link field (many2one) and click the suggestion that shows choice
        (text itself when not given), as a person picks from the drop-down."""
        entry = self.field(name_or_label)
        self.start_typing(entry, name_or_label)
        entry.send_keys(Keys.DELETE)
        entry.send_keys(text)
        choice = choice or text
        menu = entry.find_element(
            By.XPATH, "ancestor::div[contains(concat(' ', @class, ' '), ' dropdown ')][1]")

        def suggestion() -> WebElement | None:
            return next((a for a in self.visible(menu, By.CSS_SELECTOR, "li.completion a")
                         if choice in a.text), None)
        self.click(suggestion, f"the suggestion {choice!r} of {name_or_label!r}")
        self.wait(lambda: choice in str(self.value(name_or_label)),
                  lambda: f"{name_or_label!r} to show {choice!r} "
                          f"(it shows {self.value(name_or_label)!r})")

    def scroll_to(self, name_or_label: str) -> None:
        """Scroll the form so that the field is at the top, as a person does to read from it."""
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});",
                                   self.field(name_or_label))

    def value(self, name_or_label: str) -> str | bool:
        """What a field shows: its text, the selected choice, or whether it is ticked."""
        return self.read(lambda: self._value(name_or_label), f"the field {name_or_label!r}")

    def _value(self, name_or_label: str) -> str | bool:
        element = self.field(name_or_label)
        if element.get_attribute("type") == "checkbox":
            return element.is_selected()
        if element.tag_name == "select":
            return Select(element).first_selected_option.text.strip()
        return element.get_attribute("value") or ""

    def wait_for_value(self, name_or_label: str, expected: str | bool,
                       reload: bool = False) -> None:
        """reload: the value is written in the background (by the queue worker), so the
        record is reloaded while waiting, as a person does (name_or_label is then the field's
        name: the field may be hidden until the value comes)."""
        if reload:
            def shown() -> str | bool | None:
                return self.value(name_or_label) if self.has_field(name_or_label) else None
            self.wait_reloading(lambda: shown() == expected,
                                lambda: f"{name_or_label!r} to show {expected!r} "
                                        f"(it shows {shown()!r})")
            return
        self.wait(lambda: self.value(name_or_label) == expected,
                  lambda: f"{name_or_label!r} to show {expected!r} "
                          f"(it shows {self.value(name_or_label)!r})")

    def wait_reloading(self, condition: Callable[[], T], what: str | Callable[[], str],
                       timeout: float = 60.0) -> T:
        """Like wait, for what the queue worker writes in the background: the record in
        front is reloaded (the toolbar's Reload/Undo) every second or two until condition()
        holds. A longer timeout: the worker may be busy."""
        reloaded = [time.monotonic()]

        def reloading() -> T:
            value = condition()
            if not value and time.monotonic() - reloaded[0] > 1.5:
                self.reload()
                reloaded[0] = time.monotonic()
            return value
        return self.wait(reloading, what, timeout)

    def has_label(self, text: str) -> bool:
        """Whether a field's label reading text (its colon aside) shows."""
        return self.read(lambda: any(
            label.text.strip().rstrip(":").strip() == text
            for label in self.visible(self.scope(), By.CSS_SELECTOR, "label")),
            f"the label {text!r}")

    def has_field(self, name: str) -> bool:
        return self.read(lambda: bool(self.visible(
            self.scope(), By.CSS_SELECTOR, f"[name={css_string(name)}]")),
            f"the field {name!r}")

    def text(self) -> str:
        """The text a person reads in the dialog in front, else in the tab in front."""
        return self.read(lambda: self.scope().text, "the text of the page")

    def wait_for_text(self, text: str, timeout: float | None = None) -> None:
        """Wait until text shows in the dialog in front, else in the tab in front."""
        self.wait(lambda: text in self.text(), f"the text {text!r}", timeout)

    def overflows(self) -> bool:
        """Whether the dialog in front is too narrow for its content (a person must scroll
        sideways to read it)."""
        dialog = self.wait(self.dialog, "a dialog")
        box = dialog.find_element(By.CSS_SELECTOR, ".modal-body .content-box")
        return bool(self.driver.execute_script(
            "return arguments[0].scrollWidth > arguments[0].clientWidth + 1;", box))

    # Lists inside a form (one2many), by their label --------------------------------------

    def list_rows(self, label: str) -> list[dict[str, str]]:
        """The rows of the list labelled label in the form (its label over the list, as
        'Lines for KashFlow'), as {column heading: what the cell shows}: the columns shown,
        scrolled out of sight or not; rows sao has not drawn yet ('More') are left out."""
        return self.read(lambda: self.driver.execute_script("""
            const panel = arguments[0], headings = {};
            for (const th of panel.querySelectorAll('thead th[id]')) {
                if (getComputedStyle(th).display !== 'none') {
                    headings[th.id] = th.textContent.trim();
                }
            }
            return [...panel.querySelectorAll('tbody tr')]
                .filter(tr => !tr.classList.contains('more-row'))
                .map(tr => {
                    const row = {};
                    for (const td of tr.querySelectorAll('td[headers]')) {
                        const heading = headings[td.getAttribute('headers')];
                        if (heading) {
                            const shown = td.querySelector('.widget') || td;
                            row[heading] = shown.textContent.trim();
                        }
                    }
                    return row;
                });""", self.field(label)), f"the rows of the list {label!r}")

    def list_row(self, label: str, text: str) -> dict[str, str]:
        """The first row of the list labelled label that shows text in a cell, once shown.
        The list is scrolled into view, as a person does to read it: sao draws the rows of a
        list in a form once it is in view (a 'More' button until then)."""
        def found() -> dict[str, str] | None:
            row = next((r for r in self.list_rows(label) if text in r.values()), None)
            if row is None:
                self.driver.execute_script("arguments[0].scrollIntoView({block: 'nearest'});",
                                           self.field(label))
            return row
        return self.wait(found, lambda: f"a row showing {text!r} in the list {label!r} "
                                        f"(rows: {self.list_rows(label)!r})")

    def edit_cell(self, label: str, text: str, column: str) -> WebElement:
        """Click the row showing text of the list labelled label until sao edits it (an
        editable list edits the row clicked a second time): the input of its cell under the
        heading column. The click is in a cell without a link (the cell's own, when empty):
        a link (a record's name) opens its record instead."""
        def entry() -> WebElement | None:
            panel = self.field(label)
            heading = next((th for th in panel.find_elements(By.CSS_SELECTOR, "thead th[id]")
                            if (th.get_attribute("textContent") or "").strip() == column), None)
            row = next((tr for tr in panel.find_elements(By.CSS_SELECTOR, "tbody tr")
                        if any((td.get_attribute("textContent") or "").strip() == text
                               for td in tr.find_elements(By.CSS_SELECTOR, "td .widget"))),
                       None)
            if heading is None or row is None:
                return None
            cell = row.find_element(
                By.CSS_SELECTOR, f"td[headers={css_string(heading.get_attribute('id'))}]")
            inputs = self.visible(cell, By.CSS_SELECTOR, ".widget-editable input")
            if inputs:
                return inputs[0]
            cells = [cell, *row.find_elements(By.CSS_SELECTOR, "td[headers]")]
            plain = next((c for c in cells if c.is_displayed() and not any(
                link.text.strip() for link in c.find_elements(By.TAG_NAME, "a"))), None)
            if plain is not None:
                plain.click()
            return None
        return self.wait(entry, f"the cell {column!r} of the row showing {text!r} in the "
                                f"list {label!r} to be edited")

    def choose_in(self, entry: WebElement, text: str, choice: str, what: str) -> None:
        """As choose, in the link field's input entry (a list's cell: edit_cell): type text,
        click the suggestion that shows choice."""
        self.start_typing(entry, what)
        entry.send_keys(Keys.DELETE)
        entry.send_keys(text)
        menu = entry.find_element(
            By.XPATH, "ancestor::div[contains(concat(' ', @class, ' '), ' dropdown ')][1]")

        def suggestion() -> WebElement | None:
            return next((a for a in self.visible(menu, By.CSS_SELECTOR, "li.completion a")
                         if choice in a.text), None)
        self.click(suggestion, f"the suggestion {choice!r} of {what}")
        self.wait(lambda: choice in (entry.get_attribute("value") or ""),
                  lambda: f"{what} to show {choice!r} "
                          f"(it shows {entry.get_attribute('value')!r})")
