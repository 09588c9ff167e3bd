"""Browser tests drive Debian's Chromium with Playwright (browsers cannot be downloaded
here). The `browser_page` fixture is in conftest.py."""

import shutil
from concurrent.futures import ThreadPoolExecutor

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EDITOR, PASSPHRASE = "editor", "a long passphrase"


def log_in(page, cms_url: str) -> None:
    """Sign in to the Wagtail admin as the test editor."""
    page.goto(f"{cms_url}/admin/login/")
    page.get_by_label("Username").fill(EDITOR)
    page.get_by_label("Password").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{cms_url}/admin/")


def in_a_thread(function, *args):
    """Run `function` in another thread. Playwright's sync API runs an event loop in the
    test's thread, and Django refuses database queries from a thread that runs one."""
    from django.db import connection

    def run():
        try:
            return function(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def add_block(page, stream: str, block: str) -> None:
    """Add a `block` to the StreamField at `stream`. The block menu can miss a click made while
    the form is still busy (a new block setting up, an autosave), so open it again if needed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(5):
        page.locator(f"{stream} .c-sf-add-button").first.click()
        try:
            page.get_by_role("option", name=block).click(timeout=4_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            if attempt == 4:
                raise


def open_editor(page, cms_url: str, page_id: int, timeout: float = 20_000) -> str:
    """Sign in and open the page's editor; return its address."""
    page.set_default_timeout(timeout)
    log_in(page, cms_url)
    url = f"{cms_url}/admin/pages/{page_id}/edit/"
    page.goto(url)
    return url
