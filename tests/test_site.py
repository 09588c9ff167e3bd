"""The static site built from the real exporter's snapshot: complete, valid, safe, and
deployed atomically."""

import json
import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from cms.solutions.models import SolutionPage
from content_export.export import export
from content_export.snapshot import Snapshot
from site_builder import deploy, search
from site_builder.__main__ import main as site_builder_main
from site_builder.build import BuildError, build
from site_builder.checks import check_release, parse_errors
from site_builder.content import load as load_content
from site_builder.upkeep import Upkeep
from tests.builds import wait_for

REPO = Path(__file__).resolve().parent.parent
SITE = "https://solutions.example.org"


def _html(public: Path, url: str) -> BeautifulSoup:
    path = public / "current" / url.lstrip("/") / "index.html"
    return BeautifulSoup(path.read_text(), "html.parser")


def _manifest(snapshot: Path) -> dict:
    return json.loads((snapshot / "manifest.json").read_text())


def test_every_page_is_built_and_the_seed_keeps_its_sections_in_order(public, snapshot):
    for entry in _manifest(snapshot)["pages"].values():
        assert (public / "current" / entry["url_path"].lstrip("/") / "index.html").is_file()
    page = _html(public, "/solutions/high-efficiency-heat-pumps/")
    assert len(page.find_all("h1")) == 1
    sections = page.select("article section[id]")
    assert [s["id"] for s in sections] == [
        "overview",
        "progress-made",
        "lessons-learned",
        "challenges-ahead",
        "best-path-forward",
    ]
    toc = [a["href"] for a in page.select("nav.toc a")]
    assert toc == ["#" + s["id"] for s in sections]
    assert "This a sample ChatGPT page" in page.get_text()
    assert len(page.select("article .body li")) == 25
    cover = page.select_one("figure.cover img")
    assert cover["alt"] == "Cover Image" and "400w" in cover["srcset"]
    assert cover["width"] == "960" and cover.get("fetchpriority") == "high"
    assert (public / "current" / cover["src"].lstrip("/")).is_file()
    assert (
        page.find("link", rel="canonical")["href"]
        == f"{SITE}/solutions/high-efficiency-heat-pumps/"
    )
    assert json.loads(page.find("script", type="application/ld+json").string)["@type"] == "Article"


def test_listings_sectors_organisations_and_unsourced_metrics(public):
    buildings = _html(public, "/sectors/buildings/")
    listed = [a.get_text() for a in buildings.select(".cards h3 a")]
    assert "High-Efficiency Heat Pumps" in listed and "Insulation Retrofits" in listed
    index = _html(public, "/solutions/")
    cards = index.select("#solutions .card")
    assert len(cards) == 9
    heat = next(c for c in cards if "Heat Pumps" in c.get_text())
    assert set(heat["data-sectors"].split()) == {"buildings", "electricity"}
    # each card shows its solution's cover, small and decorative (the title says it all)
    thumbnail = heat.find("img")
    assert thumbnail["alt"] == "" and thumbnail["loading"] == "lazy"
    assert " 400w" in thumbnail["srcset"] and "15rem" in thumbnail["sizes"]
    irena = _html(public, "/organisations/international-renewable-energy-agency/")
    assert "High-Efficiency Heat Pumps" in irena.get_text()
    electricity = _html(public, "/sectors/electricity/")
    assert electricity.find("h1").get_text() == "Electricity"
    not_found = (public / "current" / "404.html").read_text()
    assert "Page not found" in not_found


def test_release_passes_its_own_checks_and_the_checker_catches_breakage(public, snapshot):
    live = public / "current"
    urls = [e["url_path"] for e in _manifest(snapshot)["pages"].values()]
    assert check_release(live, urls) == []
    assert parse_errors(live) == []  # every page, strictly
    broken = Path(str(live.resolve()) + "-copy")
    subprocess.run(["cp", "-r", str(live.resolve()), str(broken)], check=True)
    (broken / "sectors" / "buildings" / "index.html").unlink()
    page = broken / "solutions" / "cargo-bikes" / "index.html"
    page.write_text(page.read_text().replace("</main>", '<a href="/nowhere/">x</a><div></main>'))
    (broken / "solutions" / "index.html").write_text("<p>not a document")  # the kind's first page
    problems = check_release(broken, urls)
    assert "/sectors/buildings/: the page is missing from the release" in problems
    assert any("link to missing /nowhere/" in p for p in problems)
    assert any("HTML does not parse" in p for p in problems)


def test_no_script_or_event_handler_from_content_reaches_the_site(api_url, tmp_path):
    page = SolutionPage.objects.get(slug="cargo-bikes")
    body = page.body.raw_data
    body.append(
        {
            "type": "paragraph",
            "value": '<p>Hi<script>alert("x")</script><a href="javascript:alert(1)" '
            'onclick="alert(2)">link</a><img src=x onerror="alert(3)"></p>',
        }
    )
    page.body = body
    page.save_revision().publish()
    snapshot = tmp_path / "snapshot"
    export(api_url, snapshot)
    build(snapshot, tmp_path / "public")
    for path in (tmp_path / "public" / "current").rglob("*.html"):
        text = path.read_text()
        assert "alert(" not in text, path
        soup = BeautifulSoup(text, "html.parser")
        for script in soup.find_all("script"):
            assert script.get("type") == "application/ld+json" or script["src"].startswith(
                ("/assets/", "/pagefind/")
            )
        for tag in soup.find_all(True):
            assert not [a for a in tag.attrs if a.startswith("on")], (path, tag)


def test_failed_build_leaves_the_live_release_untouched(public, snapshot):
    live = deploy.current(public)
    manifest = _manifest(snapshot)
    entry = next(e for e in manifest["pages"].values() if e["url_path"].endswith("/cargo-bikes/"))
    document = json.loads((snapshot / entry["file"]).read_text())
    document["summary"] = "changed"
    document["body"].append({"type": "paragraph", "value": '<p><a href="/gone/">gone</a></p>'})
    entry["file"], entry["content_hash"] = Snapshot(snapshot).write_page(document["id"], document)
    Snapshot(snapshot).commit(manifest)  # as an export of a broken page would
    with pytest.raises(BuildError, match="link to missing /gone/"):
        build(snapshot, public)
    assert deploy.current(public) == live
    assert deploy.releases(public) == [live]
    assert (
        "changed"
        not in (public / "current" / "solutions" / "cargo-bikes" / "index.html").read_text()
    )


@pytest.mark.parametrize(
    "break_it, named",
    [
        ("url", "url_path"),
        ("file", "is not a page file of the snapshot"),
        ("redirect", "redirect 0"),
        ("image", "is not an image file name"),
    ],
)
def test_a_snapshot_that_points_outside_the_site_fails_the_build_and_writes_nothing(
    public, snapshot, tmp_path, break_it, named
):
    """The snapshot is input like any other: paths in it that would leave the release (or
    the snapshot) stop the build before anything is written, with the file named."""
    live, outside = deploy.current(public), tmp_path / "outside"
    manifest = _manifest(snapshot)
    entry = next(e for e in manifest["pages"].values() if e["url_path"].endswith("/cargo-bikes/"))
    if break_it == "url":
        document = json.loads((snapshot / entry["file"]).read_text())
        document["meta"]["url_path"] = "/../../outside/"
        entry["file"], entry["content_hash"] = Snapshot(snapshot).write_page(
            document["id"], document
        )
    elif break_it == "file":
        entry["file"] = "../../outside/x.json"
    elif break_it == "redirect":
        manifest["redirects"] = [
            {"old_path": "/../../outside", "page": entry["id"], "link": None, "permanent": True}
        ]
    else:
        manifest["images"]["https://cms.example.org/x.webp"] = "images/../../outside.webp"
    (snapshot / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BuildError, match=named):
        build(snapshot, public, site_url=SITE)
    assert deploy.current(public) == live and deploy.releases(public) == [live]
    assert not outside.exists()


SITE_CONF = 'SITENAME = "Heat Atlas"\nSITEURL = "https://atlas.example.org"\n'


@pytest.mark.parametrize(
    "settings_text, error",
    [
        (None, "no Pelican settings file at"),
        (SITE_CONF + 'PLUGINS = ["no_such_plugin"]\n', "PLUGINS: cannot import no_such_plugin"),
        (SITE_CONF + 'THEME = "nowhere"\n', "theme nowhere"),
        ('SITENAME = "Heat Atlas"\n', "set SITEURL"),
        (SITE_CONF + "SITENAME = missing\n", "NameError"),
    ],
    ids=["missing file", "missing plugin", "missing theme", "no SITEURL", "error in the file"],
)
def test_bad_site_settings_stop_the_build_and_name_the_file(
    public, snapshot, tmp_path, capsys, settings_text, error
):
    settings_file = tmp_path / "siteconf.py"
    if settings_text is not None:
        settings_file.write_text(settings_text)
    live = deploy.current(public)
    args = ["build", "--snapshot", str(snapshot), "--out", str(public)]
    code = site_builder_main([*args, "--settings", str(settings_file)])
    message = capsys.readouterr().err
    assert code == 1 and f"{settings_file}" in message and error in message, message
    assert "The live site is unchanged." in message and deploy.current(public) == live


def test_the_site_name_and_address_come_from_the_settings_file(public, snapshot, tmp_path):
    settings_file = tmp_path / "siteconf.py"
    settings_file.write_text(SITE_CONF)
    args = ["build", "--snapshot", str(snapshot), "--out", str(public)]
    assert site_builder_main([*args, "--settings", str(settings_file)]) == 0
    home = _html(public, "/")
    assert home.title.text.endswith("Heat Atlas") and "Heat Atlas" in home.header.text
    assert 'href="https://atlas.example.org/"' in (public / "current" / "feed.xml").read_text()
    production = subprocess.run(
        [sys.executable, "-m", "site_builder", *args, "--settings", str(REPO / "publishconf.py")],
        env={**os.environ, "PUBLIC_SITE_URL": ""},
        capture_output=True,
        text=True,
    )
    assert production.returncode == 1 and "set PUBLIC_SITE_URL" in production.stderr


def _two_a_page(tmp_path: Path) -> Path:
    """The site's settings, two solutions a page on every listing."""
    settings_file = tmp_path / "siteconf.py"
    settings_file.write_text(
        f"import sys\nsys.path.insert(0, {str(REPO)!r})\nfrom pelicanconf import *\n"
        f"THEME = {str(REPO / 'themes' / 'default')!r}\nDEFAULT_PAGINATION = 2\n"
    )
    return settings_file


def _edit_snapshot(snapshot: Path, changes: dict[str, dict]) -> None:
    """Change fields of the snapshot's pages, by URL, as an export of those edits would."""
    manifest, store = _manifest(snapshot), Snapshot(snapshot)
    for entry in manifest["pages"].values():
        if entry["url_path"] in changes:
            document = json.loads((snapshot / entry["file"]).read_text())
            document.update(changes[entry["url_path"]])
            entry["file"], entry["content_hash"] = store.write_page(document["id"], document)
    store.commit(manifest)


def _pages_of_a_listing(public: Path, url: str, title: str, label: str) -> list[BeautifulSoup]:
    """Every page of a paginated listing from its first, by its "Next page" links, after
    checking that each page names its place and links to its neighbours."""
    pages, number = [], 0
    while url:
        number += 1
        html = _html(public, url)
        pages.append(html)
        pagination = html.find("nav", attrs={"aria-label": label})
        count = int(pagination.find(attrs={"aria-current": "page"}).text.split()[-1])
        expected = title if number == 1 else f"{title}, page {number} of {count}"
        assert html.h1.text == expected, url
        assert f"Page {number} of {count}" in pagination.text
        assert (pagination.find("a", rel="prev") is None) == (number == 1)
        following = pagination.find("a", rel="next")
        assert (following is None) == (number == count)
        url = following["href"] if following else None
    return pages


def test_a_long_list_of_solutions_comes_a_page_at_a_time(snapshot, tmp_path):
    """With DEFAULT_PAGINATION (as at 10,000 solutions), the index is Pelican-paginated: each
    page names its place, links to its neighbours, and every solution is on exactly one."""
    settings_file = _two_a_page(tmp_path)
    public = tmp_path / "public"
    build(snapshot, public, settings_file=settings_file, site_url=SITE, search=False)
    entries = _manifest(snapshot)["pages"].values()
    solutions = [e["title"] for e in entries if e["type"] == "solutions.SolutionPage"]
    pages = _pages_of_a_listing(public, "/solutions/", "Solutions", "Pages of solutions")
    assert len(pages) == -(-len(solutions) // 2) >= 2
    assert pages[1].find("a", rel="prev")["href"] == "/solutions/"
    assert pages[0].find("a", rel="next")["href"] == "/solutions/page/2/"
    seen = [card.h3.text.strip() for html in pages for card in html.select("#solutions .card")]
    assert seen == sorted(solutions, key=str.lower)  # each once, from A to Z
    assert not [html for html in pages if html.find("script", src=lambda s: s and "filter" in s)]
    assert check_release(public / "current", []) == []  # every page link leads somewhere
    sitemap = (public / "current" / "sitemap.xml").read_text()
    assert f"{SITE}/solutions/page/2/" in sitemap and sitemap.count(f"{SITE}/solutions/<") == 1

    # a new summary for the first solution renders the first page of the index, not the others
    first = min(
        (e for e in _manifest(snapshot)["pages"].values() if e["type"] == "solutions.SolutionPage"),
        key=lambda e: e["title"].lower(),
    )
    _edit_snapshot(snapshot, {first["url_path"]: {"summary": "A new summary."}})
    result = build(snapshot, public, settings_file=settings_file, site_url=SITE, search=False)
    assert "/solutions/" in result.changed_urls
    assert not [url for url in result.changed_urls if url.startswith("/solutions/page/")]


def test_a_sector_or_a_tag_with_many_solutions_lists_them_a_page_at_a_time(snapshot, tmp_path):
    """Sector and tag pages are paginated as the index is: the sector itself (its summary, body
    and figures compared) and search's record of it are on its first page; every solution
    is on exactly one page, in the editors' order; a solution's new summary renders only the
    page that lists it."""
    sector = max(load_content(snapshot).sectors, key=lambda d: len(d["solutions"]))
    figure = {"label": "Emissions avoided", "unit": "Gt", "value_max": None, "period": ""}
    _edit_snapshot(  # a figure that the sector's solutions compare, and a tag they share
        snapshot,
        {
            solution["url"]: {
                "metrics": [{**figure, "value": str(n), "source": None, "sourced": False}],
                "tags": ["Retrofit"],
            }
            for n, solution in enumerate(sector["solutions"], start=1)
        },
    )
    settings_file = _two_a_page(tmp_path)
    public = tmp_path / "public"
    build(snapshot, public, settings_file=settings_file, site_url=SITE, search=False)
    listed = [s["title"] for s in sector["solutions"]]
    assert len(listed) >= 3, "the sample has a sector of three solutions or more"
    label = f"Pages of solutions in {sector['title']}"
    pages = _pages_of_a_listing(public, sector["url"], sector["title"], label)
    assert len(pages) == -(-len(listed) // 2)
    assert [a.text for html in pages for a in html.select(".cards h3 a")] == listed
    first, later = pages[0], pages[1:]
    assert first.find(attrs={"data-pagefind-body": True}) is not None
    assert first.find("p", class_="lede").text == sector["summary"]
    compared = first.select_one("section.comparison")
    assert len(compared.select("tbody tr")) == len(listed)  # all of them, not a page's
    for html in later:  # only further cards, and a way back to the sector
        assert html.find(attrs={"data-pagefind-body": True}) is None
        assert html.find(class_="lede") is None and html.find(id="compared-heading") is None
        assert html.find(class_="eyebrow").find_all("a")[-1]["href"] == sector["url"]

    (tag,) = load_content(snapshot).tags
    label = f"Pages of solutions tagged {tag.name}"
    pages = _pages_of_a_listing(public, tag.url, f"Tagged “{tag.name}”", label)
    shown = [a.text for html in pages for a in html.select(".cards h3 a")]
    assert shown == [s["title"] for s in tag.solutions]
    assert check_release(public / "current", []) == []

    # a new summary for the sector's last solution renders the page that lists it, no other
    _edit_snapshot(snapshot, {sector["solutions"][-1]["url"]: {"summary": "A new summary."}})
    result = build(snapshot, public, settings_file=settings_file, site_url=SITE, search=False)
    last_page = f"{sector['url']}page/{len(later) + 1}/"
    assert last_page in result.changed_urls
    assert not [u for u in result.changed_urls if u.startswith(sector["url"]) and u != last_page]


def test_a_second_theme_gives_the_whole_site_its_own_look(snapshot, tmp_path):
    public = tmp_path / "public"
    args = ["build", "--snapshot", str(snapshot), "--out", str(public), "--site-url", SITE]
    assert site_builder_main([*args, "--theme", "plain"]) == 0
    live = public / "current"
    urls = [e["url_path"] for e in _manifest(snapshot)["pages"].values()]
    assert check_release(live, urls) == []  # every page there, every link leads somewhere
    assert parse_errors(live) == []
    pages = [p for p in live.rglob("*.html") if "has moved" not in p.read_text()]
    assert len(pages) > 20
    for page in pages:
        html = BeautifulSoup(page.read_text(), "html.parser")
        stylesheet = html.find("link", rel="stylesheet")["href"]
        assert html.body["class"] == ["plain"] and stylesheet.startswith("/assets/plain."), page
        assert html.find("link", rel="canonical")["href"].startswith(SITE)  # the shared head
        assert (live / stylesheet.lstrip("/")).is_file()
    seed = _html(public, "/solutions/high-efficiency-heat-pumps/")
    assert seed.find(id="overview")  # sections through the default theme's macros
    index = _html(public, "/solutions/")
    assert index.select("li.card > a") and not index.select("li.card h3")


def test_rollback_switches_back_instantly(public, snapshot):
    first = deploy.current(public)
    second = build(snapshot, public).build_id
    assert deploy.current(public) == second and deploy.releases(public) == [first, second]
    ran = subprocess.run(
        [sys.executable, "-m", "site_builder", "rollback", "--out", str(public)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    assert deploy.current(public) == first
    deploy.rollback(public, second)
    assert deploy.current(public) == second
    assert (public / "current").is_symlink()


def test_a_stopped_deletion_is_finished_by_prune_not_by_the_next_build(tmp_path):
    """A folder being deleted is already renamed out of sight; removing the rest is
    background work (prune), never part of the next publish."""
    releases = deploy.releases_dir(tmp_path)
    (releases / ".trash-20260101T000000000000Z" / "solutions").mkdir(parents=True)
    (releases / ".building-20260101T000001000000Z").mkdir()
    deploy.remove_unfinished(tmp_path)
    assert [p.name for p in releases.iterdir() if p.is_dir()] == [".trash-20260101T000000000000Z"]
    deploy.prune(tmp_path)
    assert not [p for p in releases.iterdir() if p.is_dir()]


def test_feed_and_sitemap_list_exactly_the_live_pages(public, snapshot):
    live = public / "current"
    entries = _manifest(snapshot)["pages"].values()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "a": "http://www.w3.org/2005/Atom"}
    sitemap = ET.parse(live / "sitemap.xml").getroot()
    locations = {loc.text for loc in sitemap.findall("s:url/s:loc", ns)}
    page_urls = {SITE + e["url_path"] for e in entries}
    assert page_urls <= locations
    extra = {loc.removeprefix(SITE) for loc in locations - page_urls}
    listings = ("/organisations/", "/tags/", "/search/", "/solutions/recent/")
    assert all(u.startswith(listings) for u in extra), extra
    for loc in locations:  # every listed URL is a built page
        assert (live / loc.removeprefix(SITE).lstrip("/") / "index.html").is_file()
    feed = ET.parse(live / "feed.xml").getroot()
    links = {e.find("a:link", ns).get("href") for e in feed.findall("a:entry", ns)}
    assert links == {SITE + e["url_path"] for e in entries if e["type"] == "solutions.SolutionPage"}
    assert (live / "robots.txt").read_text().endswith(f"Sitemap: {SITE}/sitemap.xml\n")


def _indexed_pages(live: Path) -> int:
    entry = json.loads((live / "pagefind" / "pagefind-entry.json").read_text())
    return sum(language["page_count"] for language in entry["languages"].values())


def test_unpublished_page_leaves_the_site_feed_and_sitemap(api_url, tmp_path):
    snapshot, public = tmp_path / "snapshot", tmp_path / "public"
    export(api_url, snapshot)
    build(snapshot, public, site_url=SITE)
    indexed = _indexed_pages(public / "current")
    SolutionPage.objects.get(slug="cargo-bikes").unpublish()
    export(api_url, snapshot)
    build(snapshot, public, site_url=SITE)
    live = public / "current"
    assert not (live / "solutions" / "cargo-bikes").exists()
    for name in (
        "sitemap.xml",
        "feed.xml",
        "solutions/index.html",
        "sectors/transportation/index.html",
    ):
        assert "cargo-bikes" not in (live / name).read_text(), name
    # one solution fewer, and the organisations only it named, in the search index
    assert _indexed_pages(live) < indexed


def test_assets_are_fingerprinted_and_small(public):
    live = public / "current"
    css = list((live / "assets").glob("site.*.css"))
    assert len(css) == 1 and len(css[0].read_bytes()) < 15_000
    page = _html(public, "/solutions/rooftop-solar/")
    assert page.find("link", rel="stylesheet")["href"] == "/assets/" + css[0].name
    assert not page.find("script", src=True)  # no JavaScript on content pages


def test_tags_and_metrics_with_and_without_sources(api_url, tmp_path):
    from cms.solutions.models import SolutionMetric, Source

    page = SolutionPage.objects.get(slug="rooftop-solar")
    draft = page.get_latest_revision_as_object()
    draft.tags.add("Distributed energy")
    report = Source.objects.create(
        title="Renewables 2024",
        publisher="IEA",
        url="https://www.iea.org/reports/renewables-2024",
        year=2024,
    )
    draft.metrics = [
        SolutionMetric(label="Share of new solar capacity", value=40, unit="%", source=report),
        SolutionMetric(label="Emissions avoided by 2050", value=20, value_max=30, unit="Gt CO₂e"),
    ]
    draft.save_revision().publish()
    snapshot, public = tmp_path / "snapshot", tmp_path / "public"
    export(api_url, snapshot)
    build(snapshot, public, site_url=SITE)
    solution = _html(public, "/solutions/rooftop-solar/")
    figures = solution.select(".metrics div")
    assert "40 %" in figures[0].get_text() and figures[0].find("a")["href"].startswith(
        "https://www.iea.org/"
    )
    assert "20–30 Gt CO₂e" in figures[1].get_text()
    assert figures[1].select_one(".unsourced").get_text() == "Unsourced"
    assert not figures[0].select_one(".unsourced")
    tag_link = solution.find("a", string="Distributed energy")
    assert tag_link["href"] == "/tags/distributed-energy/"
    tagged = _html(public, "/tags/distributed-energy/")
    assert [a.get_text() for a in tagged.select(".cards h3 a")] == ["Rooftop Solar"]


def _files(release: Path) -> dict[str, bytes]:
    return {str(p.relative_to(release)): p.read_bytes() for p in release.rglob("*") if p.is_file()}


def test_incremental_build_renders_only_what_changed_and_equals_a_full_build(api_url, tmp_path):
    snapshot, public, fresh = tmp_path / "snapshot", tmp_path / "public", tmp_path / "fresh"
    export(api_url, snapshot)
    first = build(snapshot, public, site_url=SITE)
    assert first.mode == "full"
    page = SolutionPage.objects.get(slug="cargo-bikes")
    page.title, page.summary = "Cargo bicycles", "Bikes that carry loads."
    page.save_revision().publish()
    SolutionPage.objects.get(slug="rooftop-solar").unpublish()
    export(api_url, snapshot)

    incremental = build(snapshot, public, site_url=SITE)
    assert incremental.mode == "incremental"
    assert incremental.rendered < incremental.files / 2
    changed = set(incremental.changed_urls)
    assert {
        "/solutions/cargo-bikes/",
        "/solutions/",
        "/sectors/transportation/",
        "/feed.xml",
        "/sitemap.xml",
        "/solutions/rooftop-solar/",
    } <= changed
    assert "/contribute/" not in changed and "/solutions/high-efficiency-heat-pumps/" not in changed

    full = build(snapshot, fresh, site_url=SITE, full=True)
    assert full.mode == "full"
    assert _files(incremental.release) == _files(full.release)


def test_forked_render_processes_write_what_one_process_writes(snapshot, tmp_path, monkeypatch):
    monkeypatch.setattr("site_builder.release.PARALLEL_FROM", 1)  # fork even for the sample
    guarded = []

    @contextmanager
    def fork_guard():  # a build worker stops its heartbeat thread while the processes fork
        guarded.append("forking")
        yield

    one = build(snapshot, tmp_path / "one", site_url=SITE, full=True, jobs=1, fork_guard=fork_guard)
    assert guarded == []  # nothing forked
    two = build(snapshot, tmp_path / "two", site_url=SITE, full=True, jobs=2, fork_guard=fork_guard)
    assert guarded == ["forking"]
    assert _files(one.release) == _files(two.release)
    for public in (tmp_path / "one", tmp_path / "two"):  # no temporary folder left
        assert list(deploy.releases_dir(public).glob(".building-*")) == []

    # a wide edit (every solution's summary) is rendered by the processes too, and the
    # incremental release equals a full one made by a single process
    manifest = _manifest(snapshot)
    for entry in manifest["pages"].values():
        if entry["type"] == "solutions.SolutionPage":
            document = json.loads((snapshot / entry["file"]).read_text())
            document["summary"] = f"Edited: {document['summary']}"
            entry["file"], entry["content_hash"] = Snapshot(snapshot).write_page(
                document["id"], document
            )
    Snapshot(snapshot).commit(manifest)
    wide = build(snapshot, tmp_path / "two", site_url=SITE, jobs=2, fork_guard=fork_guard)
    assert wide.mode == "incremental" and guarded == ["forking", "forking"]
    full = build(snapshot, tmp_path / "three", site_url=SITE, full=True, jobs=1)
    assert _files(wide.release) == _files(full.release)


def test_search_indexes_again_only_pages_whose_content_changed(snapshot, tmp_path):
    """A build that writes every page again, the same, leaves every shard of the search
    index as it was: Pagefind runs for pages whose content changed, not for new files."""
    public = tmp_path / "public"
    first = build(snapshot, public, site_url=SITE, search=False, prune=False)
    assert search.update_search_index(public, shard_pages=4) == first.build_id
    shards = search.search_dir(public) / "shards"
    indexed = {shard.name: shard.stat().st_ino for shard in shards.iterdir()}
    assert len(indexed) >= 3

    again = build(snapshot, public, site_url=SITE, search=False, prune=False, full=True)
    page = "solutions/rooftop-solar/index.html"
    assert (again.release / page).stat().st_ino != (first.release / page).stat().st_ino
    assert search.update_search_index(public, shard_pages=4) == again.build_id
    assert {shard.name: shard.stat().st_ino for shard in shards.iterdir()} == indexed
    listed = json.loads((search.search_dir(public) / again.build_id / "shards.json").read_text())
    assert {listed["primary"], *listed["merge"]} == indexed.keys()


def test_a_new_summary_indexes_again_the_solution_and_not_its_sector_page(snapshot, tmp_path):
    """A sector page lists its solutions' cards, which search leaves out (they are found on
    the solutions' own pages): a new summary changes the sector page's file, but only the
    solution's shard is indexed again."""
    public = tmp_path / "public"
    first = build(snapshot, public, site_url=SITE, search=False, prune=False)
    search.update_search_index(public, shard_pages=1)  # in as many shards as it may (24)
    shards = search.search_dir(public) / "shards"
    before = {shard.name for shard in shards.iterdir()}
    solution = "solutions/high-efficiency-heat-pumps/index.html"
    sector = "sectors/buildings/index.html"

    manifest = _manifest(snapshot)
    url = "/solutions/high-efficiency-heat-pumps/"
    entry = next(e for e in manifest["pages"].values() if e["url_path"] == url)
    document = json.loads((snapshot / entry["file"]).read_text())
    document["summary"] = "Heat pumps, now with a summary about geothermal boreholes."
    entry["file"], entry["content_hash"] = Snapshot(snapshot).write_page(document["id"], document)
    Snapshot(snapshot).commit(manifest)
    again = build(snapshot, public, site_url=SITE, search=False, prune=False)
    assert "geothermal boreholes" in (again.release / sector).read_text()  # the card shows it
    assert (again.release / sector).read_bytes() != (first.release / sector).read_bytes()

    assert search.update_search_index(public, shard_pages=1) == again.build_id
    hashes = deploy.read_keys(public, again.build_id)["hashes"]
    pages = search.searchable_pages(again.release, hashes=hashes)
    shard_of = {name: key for key, names in search.plan_shards(pages, 1) for name in names}
    assert shard_of[solution] != shard_of[sector]
    assert {shard.name for shard in shards.iterdir()} - before == {shard_of[solution]}


def test_upkeep_runs_in_a_helper_process_and_leaves_the_worker_without_threads(snapshot, tmp_path):
    public = tmp_path / "public"
    result = build(snapshot, public, site_url=SITE, search=False, prune=False)
    threads = threading.active_count()
    forks = []
    upkeep = Upkeep(public, also={"mark": lambda: (tmp_path / "marked").touch()})
    upkeep.before_fork = lambda: forks.append("fork")
    upkeep.after_release()
    upkeep.after_release()  # the same helper serves every release
    wait_for(lambda: (public / "releases" / f".next-{result.build_id}").is_dir(), 60, "the copy")
    wait_for(lambda: (public / "search" / "current").exists(), 120, "the search index")
    wait_for(lambda: (tmp_path / "marked").exists(), 10, "the caller's own job")
    assert threading.active_count() == threads  # the jobs' threads are in the helper
    assert forks == ["fork"] and upkeep.process.pid != os.getpid()
    # It yields the CPU to the CMS and the worker, whatever session those were started in.
    helper = upkeep.process.pid
    assert os.getsid(helper) == helper != os.getsid(0)
    if Path("/proc/self/autogroup").exists():
        assert Path(f"/proc/{helper}/autogroup").read_text().split()[-1] == "19"

    upkeep.process.kill()  # a helper that died is started again
    upkeep.process.join()
    (tmp_path / "marked").unlink()
    upkeep.after_release()
    wait_for(lambda: (tmp_path / "marked").exists(), 10, "the job in a new helper")
    assert forks == ["fork", "fork"]
    upkeep.process.terminate()  # as a worker that stops tells it: the helper stops too
    upkeep.process.join(10)
    assert not upkeep.process.is_alive()
    upkeep.after_release()
    upkeep._sender.close()  # as when a worker is killed
    upkeep.process.join(10)
    assert not upkeep.process.is_alive()


def test_a_sector_lists_its_solutions_in_the_order_its_editor_gives(api_url, client, tmp_path):
    from django.contrib.auth.models import Group, User

    from cms.solutions.models import SectorPage, SectorSolution

    sector = SectorPage.objects.get(slug="buildings")
    listed = [item.solution for item in sector.ordered_solutions.all()]
    assert len(listed) >= 2  # as the sector's source lists them
    editor = User.objects.create_user("editor", password="correct horse battery")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    editing = BeautifulSoup(client.get(f"/admin/pages/{sector.pk}/edit/").content, "html.parser")
    assert "Order of the solutions" in editing.get_text()
    assert "filed under this sector but not in this list come after" in editing.get_text()

    draft = sector.get_latest_revision_as_object()
    draft.ordered_solutions = [SectorSolution(solution=page) for page in reversed(listed)]
    draft.save_revision(user=editor).publish()
    snapshot, public = tmp_path / "snapshot", tmp_path / "public"
    export(api_url, snapshot)
    build(snapshot, public, site_url=SITE)
    shown = [a.get_text() for a in _html(public, "/sectors/buildings/").select(".cards h3 a")]
    assert shown == [page.title for page in reversed(listed)]


DIALECT_PAGE = Path(__file__).parent / "content" / "solution-seagrass-meadows.md"


def test_the_handbooks_markdown_dialect_imports_edits_and_renders(api_url, tmp_path):
    """Footnotes, definition lists, folded (???) callouts, ==marks==, ~~strike~~, tabs, task
    lists and smart symbols, as the handbook's MkDocs site wrote them: each becomes what the
    editor can edit and the site shows, and no page shows a raw marker."""
    from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter

    from cms.solutions.blocks import INLINE_FEATURES
    from tests.conftest import run_import

    code, _, err = run_import(DIALECT_PAGE)
    assert code == 0, err
    page = SolutionPage.objects.get(slug="seagrass-meadows")
    first = page.body.raw_data[0]["value"]
    # what the editor opens keeps the marks (Draftail's own conversion, both ways)
    converter = ContentstateConverter(features=INLINE_FEATURES)
    stored = first if isinstance(first, str) else ""
    assert "<mark>the fastest" in converter.to_database_format(
        converter.from_database_format(stored)
    )

    snapshot, public = tmp_path / "snapshot", tmp_path / "public"
    export(api_url, snapshot)
    build(snapshot, public, site_url=SITE)
    article = _html(public, "/solutions/seagrass-meadows/").select_one("article")
    html, text = str(article), article.get_text(" ")
    assert "<mark>the fastest\ncarbon sinks</mark>" in html or "<mark>the fastest carbon" in html
    assert "<s>slow</s>" in html and "CO<sub>2</sub>" in html and "10<sup>3</sup>" in html
    assert "©" in text and "→" in text and "<code>Ctrl+C</code>" in html
    terms = article.select("dl.definitions dt")
    assert [t.get_text() for t in terms] == ["Blue carbon", "Rhizome"]
    assert "coastal and ocean ecosystems" in terms[0].find_next("dd").get_text()
    folded = article.select_one("details.callout-note")
    assert folded.summary.get_text() == "How a meadow grows" and "rhizomes" in folded.get_text()
    assert article.select_one("aside.callout-warning")  # !!! stays open
    assert "☑ Mapped in the Mediterranean" in text and "☐ Protected everywhere" in text
    assert [h.get_text() for h in article.select("h3")][:2] == ["Planting", "Seeding"]
    note_ref = article.select_one("sup a")
    assert note_ref.get_text() == "1" and note_ref["href"] == "#notes"
    notes = article.select_one("section#notes")
    assert notes.select_one("ol li a")["href"] == "https://www.nature.com/articles/ngeo1477"
    assert "↩" not in text
    for marker in ("[^", "==", ":   ", "???", "!!!", "~~", "^^", "++", "===", "*["):
        assert marker not in text, marker


def test_a_cover_on_another_site_is_downloaded_at_import_and_shown_with_its_credit(
    api_url, settings, tmp_path
):
    """As 49 handbook pages have: `![Cover Image](https://images.unsplash.com/…)` with an
    “Image Credit:” line. The photo is downloaded (here from a stand-in site on loopback:
    this machine has no internet) and shown with its credit; one that cannot be downloaded
    stays a link, with its credit, and the import report says why."""
    from cms.imports.models import ImportNote
    from cms.imports.remote_images import Unavailable, download_image
    from tests.conftest import run_import
    from tests.fake_api import FakeApi

    photo = (REPO / "sample_content" / "img" / "insulation-retrofit.jpg").read_bytes()
    credit = "Image Credit: [Unsplash](https://unsplash.com/@someone)"
    with FakeApi({"/photo-1567745576352.jpg": (200, photo)}) as other_site:
        with pytest.raises(Unavailable, match="private or local network"):
            download_image(f"{other_site.origin}/photo-1567745576352.jpg")  # by default
        settings.IMPORT_IMAGES_FROM_PRIVATE_ADDRESSES = True
        docs = tmp_path / "docs"
        docs.mkdir()
        for slug, address in (
            ("kelp-farming", f"{other_site.origin}/photo-1567745576352.jpg?w=1080&q=80"),
            ("peat-rewetting", f"{other_site.origin}/gone.jpg"),
        ):
            (docs / f"solution-{slug}.md").write_text(
                f"---\ntitle: {slug.replace('-', ' ').title()}\n---\n\n"
                f"![Cover Image]({address})\n{credit}\n\n## Overview\n\nIt works.\n"
            )
        code, _, err = run_import(docs)
    assert code == 0, err
    kelp = SolutionPage.objects.get(slug="kelp-farming")
    assert kelp.cover_image.file.read() == photo and kelp.cover_image_url == ""
    assert "Unsplash" in kelp.cover_caption
    peat = SolutionPage.objects.get(slug="peat-rewetting")
    assert peat.cover_image is None and peat.cover_image_url.endswith("/gone.jpg")
    note = ImportNote.objects.get(page=peat, kind="remote_image")
    assert "could not be downloaded: the site answered 404" in note.message

    snapshot, public = tmp_path / "snapshot", tmp_path / "public"
    export(api_url, snapshot)
    build(snapshot, public, site_url=SITE)
    cover = _html(public, "/solutions/kelp-farming/").select_one("figure.cover")
    assert cover.img and "Unsplash" in cover.figcaption.get_text()
    elsewhere = _html(public, "/solutions/peat-rewetting/").select_one(".cover-elsewhere")
    assert elsewhere.a["href"] == peat.cover_image_url and "Unsplash" in elsewhere.get_text()


def test_a_figure_that_several_pages_give_is_drawn_as_bars_with_its_sources(api_url, tmp_path):
    """Two solutions of a sector give “Emissions avoided”: the sector's page compares them
    in a table with a bar each (the largest full, a range as a lighter end), each figure with
    its source or marked unsourced; sectors' own figures are compared on /sectors/."""
    from cms.solutions.models import SectorMetric, SectorPage, SolutionMetric, Source

    study = Source.objects.create(title="Drawdown 2024", url="https://drawdown.org/2024")
    for slug, value, value_max, source in (
        ("high-efficiency-heat-pumps", 4, 8, study),
        ("insulation-retrofits", 2, None, None),
    ):
        page = SolutionPage.objects.get(slug=slug).get_latest_revision_as_object()
        page.metrics = [
            SolutionMetric(
                label="Emissions avoided",
                value=value,
                value_max=value_max,
                unit="Gt",
                source=source,
            )
        ]
        page.save_revision().publish()
    for slug, value in (("buildings", 15), ("electricity", 30)):
        sector = SectorPage.objects.get(slug=slug).get_latest_revision_as_object()
        sector.metrics = [SectorMetric(label="Carbon budget saved", value=value, unit="Gt")]
        sector.save_revision().publish()
    snapshot, public = tmp_path / "snapshot", tmp_path / "public"
    export(api_url, snapshot)
    build(snapshot, public, site_url=SITE)

    buildings = _html(public, "/sectors/buildings/").select_one("section.comparison")
    assert buildings.h3.get_text() == "Emissions avoided (Gt)"
    rows = buildings.select("tbody tr")
    assert [row.th.get_text() for row in rows] == [
        "High-Efficiency Heat Pumps",
        "Insulation Retrofits",
    ]
    heat, insulation = rows
    assert heat.select_one("a[href='https://drawdown.org/2024']") and "4–8 Gt" in heat.get_text()
    assert [(r["width"], r.get("x")) for r in heat.select("rect")] == [
        ("50.0", None),
        ("50.0", "50.0"),
    ]
    assert "unsourced" in insulation["class"] and "Unsourced" in insulation.get_text()
    assert insulation.select_one("rect")["width"] == "25.0"
    assert heat.svg["aria-hidden"] == "true"  # the table says what the bars show
    sectors = _html(public, "/sectors/").select_one("section.comparison")
    assert [r.th.get_text() for r in sectors.select("tbody tr")][:2] == ["Electricity", "Buildings"]


def test_the_solutions_can_be_listed_recently_updated_first_without_javascript(
    public, snapshot, tmp_path, monkeypatch
):
    entries = [e for e in _manifest(snapshot)["pages"].values() if e["type"].endswith("nPage")]
    solutions = [e for e in entries if e["type"] == "solutions.SolutionPage"]
    newest_first = sorted(solutions, key=lambda e: e["last_published_at"], reverse=True)
    recent = _html(public, "/solutions/recent/")
    assert recent.h1.get_text() == "Solutions, recently updated first"
    shown = [card.h3.get_text(strip=True) for card in recent.select("#solutions .card")]
    assert shown == [e["title"] for e in newest_first]
    for url, current in (("/solutions/", "A to Z"), ("/solutions/recent/", "Recently updated")):
        order = _html(public, url).find("nav", attrs={"aria-label": "Order of the solutions"})
        assert order.find("a", attrs={"aria-current": "page"}).get_text() == current
        assert {a["href"] for a in order.find_all("a")} == {"/solutions/", "/solutions/recent/"}
    # the listing keeps to the most recent few, on one page: a publish changes that page only
    monkeypatch.setattr("site_builder.render.RECENT_LISTED", 3)
    build(snapshot, tmp_path / "public", site_url=SITE, search=False)
    recent = _html(tmp_path / "public", "/solutions/recent/")
    assert [card.h3.get_text(strip=True) for card in recent.select("#solutions .card")] == shown[:3]
    assert f"The 3 most recently updated of {len(solutions)} solutions." in recent.get_text()
