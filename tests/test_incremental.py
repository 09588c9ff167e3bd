"""Property: however the content changes, building after each change (incrementally, in one
warm process, as a worker does) ends with exactly the files of a full build of the final
content.

The sample content is exported from the CMS once; hypothesis then draws sequences of the
changes an export can bring (a title or summary edited, a page unpublished, a page added,
a solution moved to another sector, an organisation renamed on every page that names it,
a slug changed with its redirect) and applies them to a copy of that snapshot, the way the
exporter writes them (content-addressed page files, then the manifest).
"""

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from content_export.snapshot import Snapshot
from site_builder import deploy
from site_builder.build import WarmState, build
from site_builder.content import SiteContent, load
from site_builder.render import SiteRenderer
from tests.conftest import SITE_URL, write_site_settings
from tests.noting_plugin import MARK, take_notes

SITE = "https://example.org"
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]  # shrinking takes minutes


def examples(count: int) -> settings:
    """Hypothesis settings of these property tests: `count` examples, the same in every run,
    with a snapshot fixture built once per test and no shrinking."""
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        phases=PHASES,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


SOLUTION, SECTOR = "solutions.SolutionPage", "solutions.SectorPage"
TEXT = st.text(alphabet="abcdefgh &'<É", min_size=1, max_size=12).filter(str.strip)
CHANGE = st.tuples(
    st.sampled_from(
        ["title", "summary", "unpublish", "add", "sector", "order", "organisation", "slug"]
    ),
    st.integers(0, 10_000),  # which page (or organisation)
    TEXT,
    st.booleans(),  # whether the worker had time to copy the live release first
)


class Content:
    """The snapshot, changed as an export would change it."""

    def __init__(self, root: Path):
        self.snapshot = Snapshot(root)
        self.manifest = json.loads((root / "manifest.json").read_text())

    def documents(self, page_type: str) -> list[dict]:
        entries = sorted(
            (e for e in self.manifest["pages"].values() if e["type"] == page_type),
            key=lambda e: e["id"],
        )
        return [json.loads((self.snapshot.root / e["file"]).read_text()) for e in entries]

    def save(self, document: dict) -> None:
        entry = self.manifest["pages"].setdefault(
            str(document["id"]), {"id": document["id"], "type": document["meta"]["type"]}
        )
        entry["file"], entry["content_hash"] = self.snapshot.write_page(document["id"], document)
        entry.update(
            title=document["title"],
            url_path=document["meta"]["url_path"],
            last_published_at=document["meta"].get("last_published_at"),
        )

    def commit(self) -> None:
        self.snapshot.commit(self.manifest)

    def linked_to(self, url: str) -> bool:
        return any(url in json.dumps(d) for t in (SOLUTION, SECTOR) for d in self.documents(t))

    def apply(self, change: str, number: int, text: str) -> None:
        solutions = self.documents(SOLUTION)
        page = solutions[number % len(solutions)]
        if change == "title":
            page["title"] = text
        elif change == "summary":  # published again: it is the most recently updated now
            page["summary"] = text
            page["meta"]["last_published_at"] = f"2031-01-01T00:00:00.{number:06d}Z"
        elif change == "unpublish":
            url = page["meta"]["url_path"]
            del self.manifest["pages"][str(page["id"])]
            if len(solutions) > 1 and not self.linked_to(url):
                return
            self.save(page)  # the page is linked from another: the CMS would keep it listed
            return
        elif change == "add":
            page = json.loads(json.dumps(page))
            page["id"] = max(int(k) for k in self.manifest["pages"]) + 1
            page["title"] = f"{text} {page['id']}"
            page["meta"]["slug"] = f"copy-{page['id']}"
            page["meta"]["url_path"] = f"/solutions/copy-{page['id']}/"
        elif change == "sector":
            sectors = self.documents(SECTOR)
            sector = sectors[number % len(sectors)]
            page["sectors"] = [
                {
                    "id": sector["id"],
                    "is_primary": True,
                    "title": sector["title"],
                    "url": sector["meta"]["url_path"],
                }
            ]
        elif change == "order":  # a sector's editor turns its list of solutions around
            sectors = self.documents(SECTOR)
            sector = sectors[number % len(sectors)]
            listed = [s["id"] for s in solutions if sector["id"] in {r["id"] for r in s["sectors"]}]
            sector["solution_order"] = listed[::-1]
            self.save(sector)
            return
        elif change == "organisation":
            named = [m for d in solutions for m in d["organisations"]]
            if not named:
                return
            target = named[number % len(named)]["id"]
            for document in solutions:  # every page that names it is exported again
                if any(m["id"] == target for m in document["organisations"]):
                    for mention in document["organisations"]:
                        if mention["id"] == target:
                            mention["name"] = text
                    self.save(document)
            return
        elif change == "slug":
            old = page["meta"]["url_path"]
            page["meta"]["slug"] = f"moved-{page['id']}-{number}"  # URLs stay unique, as in the CMS
            page["meta"]["url_path"] = f"/solutions/{page['meta']['slug']}/"
            if page["meta"]["url_path"] == old:
                return
            self.manifest["redirects"].append(
                {"old_path": old.rstrip("/"), "page": page["id"], "link": None, "permanent": True}
            )
        self.save(page)


def _files(release: Path) -> dict[str, bytes]:
    return {str(p.relative_to(release)): p.read_bytes() for p in release.rglob("*") if p.is_file()}


def _differences(release: Path, other: Path) -> list[str]:
    """The files that are not the same in both releases (or not in both)."""
    ours, theirs = _files(release), _files(other)
    return sorted(name for name in ours | theirs if ours.get(name) != theirs.get(name))


@pytest.mark.parametrize("with_minify", [False, True], ids=["site plugins", "pelican-minify"])
@examples(10)
@given(changes=st.lists(CHANGE, min_size=1, max_size=6))
def test_incremental_builds_after_any_changes_equal_a_full_build(
    snapshot, tmp_path_factory, minify_settings, with_minify, changes
):
    """With the site's own plugins (pelican-sitemap, pelican-readtime), and with a plugin
    that rewrites every file written (pelican-minify) and the index in pages of two."""
    work = tmp_path_factory.mktemp("changes")
    root, public = work / "snapshot", work / "public"
    shutil.copytree(snapshot, root)
    settings_file = minify_settings if with_minify else None
    warm = WarmState()  # as a build worker keeps between builds
    build(root, public, settings_file=settings_file, site_url=SITE, search=False, state=warm)
    content = Content(root)
    for change, number, text, staged in changes:
        content.apply(change, number, text)
        content.commit()
        if staged:
            deploy.stage_next(public)
        result = build(
            root,
            public,
            settings_file=settings_file,
            site_url=SITE,
            search=False,
            prune=False,
            state=warm,
        )
        assert result.mode == "incremental"

    full = build(
        root, work / "fresh", settings_file=settings_file, site_url=SITE, search=False, full=True
    )
    assert _differences(public / "current", full.release) == [], changes
    home = (full.release / "index.html").read_text()
    assert ("\n  <" not in home) == with_minify  # minified: no indented lines left
    assert (full.release / "sitemap.xml").is_file()
    assert (full.release / "solutions" / "index2.html").is_file() == with_minify


# Fields of a loaded page that are other pages (or organisations)
LINKS = {"sector_pages", "solutions", "organisation_pages"}


def _shape(content: SiteContent) -> dict:
    """What a build reads of loaded content, with the pages it links named by id."""

    def named(value: list) -> list:
        return [found["id"] if isinstance(found, dict) else found.id for found in value]

    return {
        "pages": [
            {key: named(value) if key in LINKS else value for key, value in page.items()}
            for page in content.pages
        ],
        "by_type": {kind: named(pages) for kind, pages in content.by_type.items()},
        "organisations": [vars(organisation) for organisation in content.organisations],
        "tags": [(tag.name, tag.slug, named(tag.solutions)) for tag in content.tags],
        "rest": (content.manifest, content.hashes, content.redirects, content.by_id.keys()),
    }


def _one_version(content: SiteContent) -> bool:
    """Whether every listing holds the very page `by_id` holds (not an older version)."""
    listings = [content.pages, *content.by_type.values(), *(t.solutions for t in content.tags)]
    for page in content.pages:
        listings += [page[key] for key in ("sector_pages", "solutions") if key in page]
    return all(page is content.by_id[page["id"]] for listing in listings for page in listing)


@examples(30)
@given(changes=st.lists(CHANGE, min_size=1, max_size=8))
def test_content_brought_up_to_date_after_any_changes_equals_content_loaded_afresh(
    snapshot, tmp_path_factory, changes
):
    """A worker brings the content it loaded up to date (content.load with `previous`):
    patched in place when only a solution's text changed, else loaded afresh."""
    root = tmp_path_factory.mktemp("load") / "snapshot"
    shutil.copytree(snapshot, root)
    documents: dict = {}
    loaded = load(root, documents=documents)
    content = Content(root)
    for change, number, text, _ in changes:
        content.apply(change, number, text)
        content.commit()
        before = loaded
        loaded = load(root, documents=documents, previous=before)
        assert _shape(loaded) == _shape(load(root)), (change, number, text)
        assert _one_version(loaded)
        if change == "summary":  # a change to a page's text only: patched, not loaded again
            assert loaded is before


def _save_as(url: str) -> str:
    return url.lstrip("/") + ("index.html" if url.endswith("/") else "")


def _objects(notes: list[str], kind: str) -> list[str]:
    """The URLs of the content objects of `kind` (Article, Page) a plugin saw made."""
    return sorted(
        line.split()[2] for line in notes if line.startswith(f"content_object_init {kind} ")
    )


def _sitemap(release: Path) -> list[str]:
    return re.findall(r"<loc>([^<]+)</loc>", (release / "sitemap.xml").read_text())


def test_pelican_plugins_see_every_object_and_file_of_a_full_build_then_only_what_changed(
    snapshot, tmp_path, plugin_settings
):
    solutions = sorted(doc["meta"]["url_path"] for doc in Content(snapshot).documents(SOLUTION))
    public = tmp_path / "public"
    warm = WarmState()
    first = build(
        snapshot, public, settings_file=plugin_settings, search=False, state=warm, full=True
    )
    release = public / "current"
    pages = sorted(p.relative_to(release).as_posix() for p in release.rglob("*.html"))
    assert first.rendered == len(pages) > 20
    notes = take_notes(plugin_settings)
    assert notes[0] == "initialized" and notes[-1] == "finalized " + " ".join(pages)
    written = [line.split(" ", 1)[1] for line in notes if line.startswith("content_written")]
    assert sorted(_save_as(url) for url in written) == pages
    assert all((release / page).read_text().count(MARK) == 1 for page in pages)
    assert "<title>Heat Atlas" in (release / "index.html").read_text()
    assert _objects(notes, "Article") == solutions
    assert notes.index(f"content_object_init Article {solutions[0]}") < notes.index(
        f"content_written {solutions[0]}"
    )
    listed = _sitemap(release)  # pelican-sitemap: every page, no redirect page, no 404
    assert listed == sorted(
        f"{SITE_URL}/{page.removesuffix('index.html')}"
        for page in pages
        if page != "404.html" and 'http-equiv="refresh"' not in (release / page).read_text()
    )
    assert f"{SITE_URL}{solutions[0]}" in listed
    assert " min read" in (release / _save_as(solutions[0])).read_text()  # pelican-readtime

    content = Content(snapshot)
    content.apply("title", 0, "Renamed By An Editor")
    content.commit()
    second = build(snapshot, public, settings_file=plugin_settings, search=False, state=warm)
    assert second.mode == "incremental" and 0 < second.rendered < len(pages)
    notes = take_notes(plugin_settings)
    changed = sorted(
        _save_as(line.split(" ", 1)[1]) for line in notes if line.startswith("content_written")
    )
    assert len(changed) == second.rendered
    assert notes[0] == "initialized" and notes[-1] == "finalized " + " ".join(changed)
    renamed = content.documents(SOLUTION)[0]["meta"]["url_path"]
    assert _save_as(renamed) in changed
    assert _objects(notes, "Article") == [renamed]
    assert _sitemap(release) == listed
    assert " min read" in (release / _save_as(renamed)).read_text()

    full = build(snapshot, tmp_path / "fresh", settings_file=plugin_settings, search=False)
    assert _differences(public / "current", full.release) == []
    assert all(
        text.count(MARK.encode()) == 1
        for name, text in _files(full.release).items()
        if name.endswith(".html")
    )

    # The worker keeps of each page only what its sitemap needs; a full build it is asked
    # for then makes every page whole again, and plugins see every one.
    take_notes(plugin_settings)
    again = build(
        snapshot, public, settings_file=plugin_settings, search=False, state=warm, full=True
    )
    assert _differences(again.release, full.release) == []
    assert _objects(take_notes(plugin_settings), "Article") == sorted(
        doc["meta"]["url_path"] for doc in content.documents(SOLUTION)
    )


def test_a_build_that_fails_midway_leaves_the_next_one_whole(snapshot, tmp_path, monkeypatch):
    """A worker builds again after a failed build: its plugins (the sitemap) start afresh."""
    public, warm = tmp_path / "public", WarmState()
    build(snapshot, public, site_url=SITE, search=False, state=warm)
    content = Content(snapshot)

    def broken(*args, **kwargs):
        raise RuntimeError("a template failed")

    content.apply("title", 0, "Renamed Once")
    content.commit()
    with monkeypatch.context() as patched:
        patched.setattr(SiteRenderer, "render", broken)
        with pytest.raises(RuntimeError, match="a template failed"):
            build(snapshot, public, site_url=SITE, search=False, state=warm)
    content.apply("title", 0, "Renamed Twice")
    content.commit()
    again = build(snapshot, public, site_url=SITE, search=False, state=warm)
    assert again.mode == "incremental"
    assert len(_sitemap(public / "current")) > 20
    full = build(snapshot, tmp_path / "fresh", site_url=SITE, search=False, full=True)
    assert _differences(public / "current", full.release) == []


SITEMAPS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _split_sitemap(release: Path, limit: int) -> tuple[list[str], list[str]]:
    """The parts that sitemap.xml lists as a sitemap index, and the URLs they list, each
    part checked as a sitemap of at most `limit` URLs."""
    index = ET.parse(release / "sitemap.xml").getroot()
    assert index.tag == f"{SITEMAPS}sitemapindex"
    parts = [loc.text for loc in index.iter(f"{SITEMAPS}loc")]
    urls = []
    for part in parts:
        assert re.fullmatch(re.escape(SITE_URL) + r"/sitemap-\d+\.xml", part)
        urlset = ET.parse(release / part.rsplit("/", 1)[1]).getroot()
        assert urlset.tag == f"{SITEMAPS}urlset"
        found = [loc.text for loc in urlset.iter(f"{SITEMAPS}loc")]
        assert 0 < len(found) <= limit
        urls += found
    return parts, urls


def test_a_sitemap_longer_than_one_file_may_be_is_split_in_every_build(snapshot, tmp_path):
    """Search engines read at most 50,000 URLs from one sitemap file (SITEMAP_MAX_URLS
    lowers the limit here): a longer sitemap.xml becomes the index of its parts."""
    (tmp_path / "whole").mkdir()
    whole = build(
        snapshot,
        tmp_path / "whole" / "public",
        settings_file=write_site_settings(tmp_path / "whole", ["pelican.plugins.sitemap"]),
        search=False,
    )
    every_url = _sitemap(whole.release)
    assert len(every_url) > 20
    assert not list(whole.release.glob("sitemap-*.xml"))

    settings_file = write_site_settings(
        tmp_path, ["pelican.plugins.sitemap"], "SITEMAP_MAX_URLS = 5\n"
    )
    public, warm = tmp_path / "public", WarmState()
    build(snapshot, public, settings_file=settings_file, search=False, state=warm)
    parts, urls = _split_sitemap(public / "current", 5)
    assert urls == every_url and len(parts) == -(-len(every_url) // 5)
    robots = (public / "current" / "robots.txt").read_text()
    assert f"Sitemap: {SITE_URL}/sitemap.xml" in robots

    content = Content(snapshot)  # pages leave: the incremental build drops parts
    for number in range(8):
        content.apply("unpublish", number, "")
    content.commit()
    deploy.stage_next(public)  # the next build starts from a copy of the live release
    again = build(
        snapshot, public, settings_file=settings_file, search=False, prune=False, state=warm
    )
    assert again.mode == "incremental"
    fewer_parts, fewer_urls = _split_sitemap(public / "current", 5)
    assert len(fewer_urls) <= len(urls) - 5 and len(fewer_parts) < len(parts)
    assert f"/{parts[-1].rsplit('/', 1)[1]}" in again.changed_urls
    full = build(snapshot, tmp_path / "fresh", settings_file=settings_file, search=False)
    assert _differences(public / "current", full.release) == []
