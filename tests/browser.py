"""Browser tests drive Debian's Chromium with Playwright (browsers cannot be downloaded
here). The `browser_page` fixture is in conftest.py."""

import shutil

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
