"""A reader in a real browser (Debian's Chromium driven by Playwright): home → sector →
solution, the sector filter, search (one index or shards) and accessibility, light and dark."""

import hashlib
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from site_builder import deploy, search
from site_builder.build import build
from site_builder.serve import make_server
from tests.conftest import write_site_settings


@contextmanager
def _served(public: Path) -> Iterator[str]:
    server = make_server(public, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def site_url(public):
    with _served(public) as url:
        yield url


@pytest.fixture
def paged_site_url(snapshot, tmp_path):
    """The sample site with two solutions a page on every listing, as a large site has a
    hundred: the pages after the first, and the links between them."""
    pages = "DEFAULT_PAGINATION = 2\nPAGINATION_PATTERNS = ((1, '{url}', '{save_as}'), " + (
        "(2, '{base_name}/page/{number}/', '{base_name}/page/{number}/index.html'))\n"
    )
    settings = write_site_settings(tmp_path, ["pelican.plugins.sitemap"], pages)
    build(snapshot, tmp_path / "paged", settings_file=settings, search=False)
    with _served(tmp_path / "paged") as url:
        yield url


def test_reader_goes_from_home_to_a_sector_to_a_solution_and_searches(
    site_url, browser_page, tmp_path
):
    page = browser_page
    errors = []  # the site's Content-Security-Policy (as nginx sends it) blocks nothing it uses
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(site_url + "/")
    assert page.locator("h1").inner_text() == "Climate Solutions Catalogue"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sectors").click()
    page.locator(".cards").get_by_role("link", name="Buildings").click()
    assert page.locator("h1").inner_text() == "Buildings"
    page.get_by_role("link", name="High-Efficiency Heat Pumps").click()
    assert page.url.endswith("/solutions/high-efficiency-heat-pumps/")
    headings = page.locator("article section h2").all_inner_texts()
    assert [h.rstrip(" #") for h in headings] == [
        "Overview",
        "Progress Made",
        "Lessons Learned",
        "Challenges Ahead",
        "Best Path Forward",
    ]
    page.wait_for_function(  # the cover loads (a broken image would end with width 0)
        "() => document.querySelector('figure.cover img').complete", timeout=10_000
    )
    assert page.locator("figure.cover img").evaluate("img => img.naturalWidth") > 0
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
    assert errors == []


READER_PAGES = [
    "/",
    "/solutions/",
    "/solutions/high-efficiency-heat-pumps/",
    "/sectors/",
    "/sectors/buildings/",
    "/organisations/danfoss/",
    "/search/?q=heat+pump",
]


PAGED_READER_PAGES = ["/solutions/page/2/", "/sectors/buildings/", "/sectors/buildings/page/2/"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reader_pages_have_no_accessibility_violations(
    site_url, paged_site_url, browser_page, scheme
):
    """axe-core (WCAG 2.x A and AA rules, colour contrast included) on the pages a reader
    sees, in the light and the dark colour scheme, at a phone's width; and on listings a
    page at a time, as a large site shows them."""
    from axe_playwright_python.sync_playwright import Axe

    page, axe, found = browser_page, Axe(), {}
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 390, "height": 844})
    pages = [(site_url, path) for path in READER_PAGES]
    pages += [(paged_site_url, path) for path in PAGED_READER_PAGES]
    for site, path in pages:
        page.goto(site + path)
        if site == paged_site_url:  # the listing is on several pages
            assert page.get_by_role("navigation", name=re.compile("^Pages of solutions")).count()
        if path.startswith("/search/"):
            page.locator(".pagefind-ui__result-link").first.wait_for(timeout=10_000)
        violations = axe.run(page).response["violations"]
        found[site + path] = [
            f"{v['id']}: {[node['target'] for node in v['nodes']][:3]}" for v in violations
        ]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{site + path} scrolls sideways ({width} px wide)"
    assert found == {site + path: [] for site, path in pages}


def test_reader_searches_from_the_header_of_any_page(site_url, browser_page):
    """The search box in every page's header leads to the results for its words, solutions
    first; without JavaScript, the search page says so and offers the A-Z list instead."""
    page = browser_page
    page.goto(site_url + "/sectors/buildings/")
    box = page.get_by_role("search").get_by_label("Search the catalogue")
    box.fill("heat pump")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=heat\+pump$"))
    first = page.locator(".pagefind-ui__result-link").first
    first.wait_for(timeout=10_000)
    expect(page.get_by_role("textbox", name="Search the catalogue")).to_have_value("heat pump")
    assert first.inner_text() == "High-Efficiency Heat Pumps"
    excerpts = " ".join(page.locator(".pagefind-ui__result-excerpt").all_inner_texts())
    assert "#" not in excerpts

    quiet = page.context.browser.new_context(java_script_enabled=False)
    try:
        without_script = quiet.new_page()
        without_script.goto(site_url + "/search/?q=heat+pump")
        message = without_script.locator("#search")
        expect(message).to_contain_text("Search needs JavaScript")
        message.get_by_role("link", name="all solutions from A to Z").click()
        assert without_script.url.endswith("/solutions/")
    finally:
        quiet.close()


def _search_results(page, site_url: str, words: str) -> list[str]:
    """The addresses the search page finds for `words`, best first, all of them: each
    result's page, then the parts of it that match. Pagefind says how many pages it found,
    then loads each one's details: the list is read once every one has come."""
    page.goto(f"{site_url}/search/?q={words}")
    message = page.locator(".pagefind-ui__message")
    expect(message).to_have_text(re.compile(r"^\d+ results? for "), timeout=10_000)
    found = int(message.inner_text().split()[0])
    more = page.get_by_role("button", name="Load more results")
    while more.count():
        more.click()
    titles = page.locator(  # each page's own title link (the parts that match have theirs)
        ".pagefind-ui__result-inner > .pagefind-ui__result-title > .pagefind-ui__result-link"
    )
    expect(titles).to_have_count(found, timeout=10_000)
    return page.locator(".pagefind-ui__result-link").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )


def test_a_site_indexed_in_shards_finds_what_one_index_finds(public, site_url, browser_page):
    """A large site's search index is made of shards that the reader's browser merges: it
    finds every page that one index finds, the solution first for its name; after a page
    changes, only its shard is indexed again."""
    queries = ["heat pump", "solar", "battery storage", "policy"]
    one_index = {words: _search_results(browser_page, site_url, words) for words in queries}
    release = deploy.releases_dir(public) / deploy.current(public)
    half = len(search.searchable_pages(release)) // 2 + 1
    search_folder = search.search_dir(public)
    (search_folder / "current").unlink()  # index the live release again, in shards
    # meanwhile, as on a new site before its first index, the search page says so
    browser_page.goto(f"{site_url}/search/?q=solar")
    waiting = browser_page.locator("#search")
    expect(waiting.get_by_text("Search is still being prepared")).to_be_visible()
    expect(waiting.get_by_text("Search needs JavaScript")).to_be_hidden()
    expect(waiting.get_by_role("link", name="all solutions from A to Z")).to_be_visible()
    assert search.update_search_index(public, shard_pages=half) == release.name
    listed = json.loads((search_folder / release.name / "shards.json").read_text())
    shards = {listed["primary"], *listed["merge"]}
    assert len(shards) >= 2
    for words in queries:
        found = _search_results(browser_page, site_url, words)
        assert set(found) >= set(one_index[words]), words
    assert _search_results(browser_page, site_url, "heat pump")[0] == (
        "/solutions/high-efficiency-heat-pumps/"
    )
    # a sector page is found by its own words, not by its cards of its solutions' summaries
    found = _search_results(browser_page, site_url, "draughts")
    assert {url.split("#")[0] for url in found} == {"/solutions/insulation-retrofits/"}

    # a new release in which one page changed: its shard is indexed again, the others kept
    changed = deploy.releases_dir(public) / deploy.new_build_id()
    shutil.copytree(release, changed, symlinks=True, copy_function=os.link)
    page_file = changed / "solutions" / "rooftop-solar" / "index.html"
    text = page_file.read_text().replace("Rooftop Solar", "Rooftop Solar Arrays")
    page_file.unlink()  # a new file, as a build writes one, not the release's linked one
    page_file.write_text(text)
    keys = deploy.read_keys(public, release.name)  # and its record of what it wrote
    keys["hashes"]["solutions/rooftop-solar/index.html"] = hashlib.sha256(text.encode()).hexdigest()
    deploy.write_keys(public, changed.name, keys)
    deploy.activate(public, changed.name)
    assert search.update_search_index(public, shard_pages=half) == changed.name
    listed = json.loads((search_folder / changed.name / "shards.json").read_text())
    assert len({listed["primary"], *listed["merge"]} - shards) == 1
    assert _search_results(browser_page, site_url, "arrays")[0] == "/solutions/rooftop-solar/"
