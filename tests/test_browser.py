"""A reader in a real browser (Debian's Chromium driven by Playwright): home → sector →
solution, the sector filter, and a search."""

import shutil
import threading
from pathlib import Path

import pytest

from site_builder.serve import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def browser_page():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        yield page
        browser.close()


@pytest.fixture
def site_url(public):
    server = make_server(public, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_reader_goes_from_home_to_a_sector_to_a_solution_and_searches(site_url, browser_page, tmp_path):  # fmt: skip
    page = browser_page
    page.goto(site_url + "/")
    assert page.locator("h1").inner_text() == "Climate Solutions Catalogue"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sectors").click()
    page.get_by_role("link", name="Buildings").click()
    assert page.locator("h1").inner_text() == "Buildings"
    page.get_by_role("link", name="High-Efficiency Heat Pumps").click()
    assert page.url.endswith("/solutions/high-efficiency-heat-pumps/")
    headings = page.locator("article section h2").all_inner_texts()
    assert [h.rstrip(" #") for h in headings] == [
        "Overview", "Progress Made", "Lessons Learned", "Challenges Ahead", "Best Path Forward"
    ]  # fmt: skip
    assert page.locator("figure.cover img").evaluate("img => img.complete && img.naturalWidth") > 0
    page.get_by_role("navigation", name="On this page").get_by_role(
        "link", name="Lessons Learned"
    ).click()
    assert page.url.endswith("#lessons-learned")
    page.screenshot(path=str(tmp_path / "solution.png"), full_page=False)

    page.goto(site_url + "/solutions/")
    page.get_by_role("link", name="Transportation (2)").click()
    assert page.url.endswith("/solutions/#sector=transportation")  # filtered in place
    assert page.locator("#solutions .card:visible").count() == 2
    assert "2 solutions shown" in page.locator(".filter-status").inner_text()

    page.goto(site_url + "/search/")
    page.locator("#search input").fill("refrigerants")
    result = page.locator(".pagefind-ui__result-link").first
    result.wait_for(timeout=10_000)
    titles = page.locator(".pagefind-ui__result-link").all_inner_texts()
    assert "High-Efficiency Heat Pumps" in titles
