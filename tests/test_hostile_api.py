"""A hostile API: answers that pass the schema but carry what must never reach a reader or
the machine that builds the site (paths that leave the output, fetches from other hosts,
active content posing as images, script URLs in every field that holds an address)."""

import contextlib
import copy
import gzip
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from content_export.client import ExportError
from content_export.export import export
from content_export.richtext import safe_url
from site_builder.build import build
from tests.conftest import run_import
from tests.fake_api import FakeApi, page_ids

SITE = "https://solutions.example.org"
NO_CHANGES = (200, {"since": "x", "until": "2026-01-01T00:00:00+00:00", "changes": []})
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


@pytest.fixture(scope="module")
def cms(sample) -> dict:
    """The sample CMS as its API answers: pages by id and image files by address, taken from
    the sample's snapshot. The hostile tests change one page and serve the rest as they are."""
    manifest = json.loads((sample.snapshot / "manifest.json").read_text())
    pages = {}
    for entry in manifest["pages"].values():
        document = json.loads((sample.snapshot / entry["file"]).read_text())
        document["meta"]["html_url"] = "http://cms.example.org" + document["meta"].pop("url_path")
        pages[document["id"]] = document
    media = {
        url: (200, (sample.snapshot / name).read_bytes())
        for url, name in manifest["images"].items()
    }
    return {"pages": pages, "media": media}


@pytest.fixture
def page(cms) -> dict:
    """The page the tests make hostile: the seed page, with sections, cover and figures."""
    return copy.deepcopy(
        next(p for p in cms["pages"].values() if p["meta"]["slug"] == "high-efficiency-heat-pumps")
    )


@pytest.fixture
def webp(sample) -> bytes:
    return next((sample.snapshot / "images").glob("*.webp")).read_bytes()


@pytest.fixture
def routes(cms):
    def make(page: dict, media: dict) -> dict:
        """The API of the sample CMS with `page` in place of its own, serving `media` too."""
        pages = {**cms["pages"], page["id"]: page}

        def listing(path):
            kind = re.search(r"type=([\w.]+)", path).group(1)
            items = [p for p in pages.values() if p["meta"]["type"] == kind]
            return 200, {"meta": {"total_count": len(items)}, "items": items}

        return {
            "/api/v2/changes/": NO_CHANGES,
            "/api/v2/pages/": listing,
            "/api/v2/pages/ids/": page_ids(pages.values()),
            "/api/v2/redirects/": (200, {"redirects": []}),
            **cms["media"],
            **media,
        }

    return make


def _with_renditions(page: dict, url: str) -> dict:
    hostile = copy.deepcopy(page)
    for rendition in hostile["cover"]["image"]["renditions"]:
        rendition["url"] = url
    return hostile


def _outside_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


# --- fetches ---------------------------------------------------------------------------------


def test_a_rendition_on_another_host_is_never_fetched(page, routes, webp, tmp_path):
    with FakeApi({"/media/x.webp": (200, webp)}) as elsewhere:
        hostile = _with_renditions(page, f"{elsewhere.origin}/media/x.webp")
        with FakeApi(routes(hostile, {})) as api, pytest.raises(ExportError) as error:
            export(api.url, tmp_path / "snapshot")
        assert elsewhere.hits == []  # the other host saw no request
    assert f"page {page['id']}" in str(error.value) and "elsewhere" in str(error.value)
    assert not (tmp_path / "snapshot" / "manifest.json").exists()


def test_a_rendition_that_redirects_to_another_host_is_not_followed(page, routes, webp, tmp_path):
    with FakeApi({"/media/x.webp": (200, webp)}) as elsewhere:
        moved = (302, b"", {"Location": f"{elsewhere.origin}/media/x.webp"})
        hostile = _with_renditions(page, "/media/moved.webp")
        with (
            FakeApi(routes(hostile, {"/media/moved.webp": moved})) as api,
            pytest.raises(ExportError, match="redirect"),
        ):
            export(api.url, tmp_path / "snapshot")
        assert elsewhere.hits == []


def test_the_media_origin_is_the_one_other_host_images_come_from(page, routes, webp, tmp_path):
    with FakeApi({"/media/x.webp": (200, webp)}) as media:
        hostile = _with_renditions(page, f"{media.origin}/media/x.webp")
        with FakeApi(routes(hostile, {})) as api:
            export(api.url, tmp_path / "snapshot", media_origin=media.origin)
        assert media.hits == ["/media/x.webp"]


@pytest.mark.parametrize("body, name", [(SVG, "x.svg"), (HTML, "x.html"), (SVG, "x.webp")])
def test_a_rendition_that_is_not_a_raster_image_fails_the_export(
    page, routes, tmp_path, body, name
):
    hostile = _with_renditions(page, f"/media/{name}")
    with (
        FakeApi(routes(hostile, {f"/media/{name}": (200, body)})) as api,
        pytest.raises(ExportError, match="not a JPEG, PNG, GIF, WebP or AVIF image") as error,
    ):
        export(api.url, tmp_path / "snapshot")
    assert f"page {page['id']}" in str(error.value) and name in str(error.value)
    assert not list((tmp_path / "snapshot").rglob("*.svg"))
    assert not list((tmp_path / "snapshot").rglob("*.html"))


# --- paths -----------------------------------------------------------------------------------


def test_file_names_never_come_from_the_api(page, routes, webp, tmp_path):
    """A rendition address full of dot segments is stored under its content hash."""
    tricky = "/media/..%2F..%2F..%2Fescaped.webp"
    hostile = _with_renditions(page, tricky)
    with FakeApi(routes(hostile, {"/media/..%2F..%2F..%2Fescaped.webp": (200, webp)})) as api:
        export(api.url, tmp_path / "snapshot")
    assert not list(tmp_path.rglob("escaped*"))
    manifest = json.loads((tmp_path / "snapshot" / "manifest.json").read_text())
    assert re.fullmatch(r"images/[0-9a-f]{32}\.webp", manifest["images"][tricky])


def test_a_page_address_that_leaves_the_site_fails_the_export_and_writes_nothing(
    page, routes, webp, tmp_path
):
    hostile = copy.deepcopy(page)
    hostile["meta"]["html_url"] = "http://cms.example.org/solutions/../../../outside/"
    with (
        FakeApi(routes(hostile, {})) as api,
        pytest.raises(ExportError, match=r"field meta.html_url"),
    ):
        export(api.url, tmp_path / "snapshot")
    assert not (tmp_path / "outside").exists()
    assert not (tmp_path / "snapshot" / "manifest.json").exists()


# --- addresses -------------------------------------------------------------------------------

UNSAFE = [
    "javascript:alert(1)",
    " JaVa\tScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
]


def _everywhere(page: dict, url: str, image_url: str) -> dict:
    """`page` with `url` in every field that holds an address, and in rich text."""
    hostile = _with_renditions(page, image_url)
    link = f'<p>Read <a href="{url}">more</a> here.</p>'
    hostile["cover"]["remote_url"] = url
    hostile["summary"] = "A summary <img src=x onerror=alert(1)> for feed readers."
    hostile["organisations"] = [
        {
            "id": 990,
            "name": "Hostile Org",
            "slug": "hostile-org",
            "abbreviation": "",
            "kind": "company",
            "website": url,
            "section": "",
            "role": "",
            "note": "",
        }
    ]
    source = {"id": 991, "title": "A source", "publisher": "P", "url": url, "year": 2024}
    hostile["metrics"] = [
        {
            "label": "Savings",
            "value": "40",
            "value_max": None,
            "unit": "%",
            "period": "",
            "source": source,
            "sourced": True,
        }
    ]
    hostile["references"] = [{**source, "id": 992, "note": ""}]
    hostile["body"] += [
        {"type": "paragraph", "value": link, "id": None},
        {"type": "video", "value": {"url": url, "title": "Clip", "caption": link}, "id": None},
        {"type": "list", "value": {"ordered": False, "items": [link]}, "id": None},
        {"type": "quote", "value": {"text": link, "attribution": "Someone"}, "id": None},
        {
            "type": "callout",
            "value": {"kind": "info", "title": link, "body": link, "collapsible": False},
            "id": None,
        },
        {
            "type": "figure",
            "value": {"image": hostile["cover"]["image"], "alt": "A figure", "caption": link},
            "id": None,
        },
    ]
    return hostile


def _addresses(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for element in soup.find_all(True):
        for attribute in ("href", "src", "action", "formaction", "poster", "data"):
            if element.get(attribute) is not None:
                found.append(element[attribute])
    return found


@pytest.mark.parametrize("url", UNSAFE)
def test_script_urls_in_every_field_never_reach_the_site(page, routes, webp, tmp_path, url):
    hostile = _everywhere(page, url, "/media/x.webp")
    with FakeApi(routes(hostile, {"/media/x.webp": (200, webp)})) as api:
        export(api.url, tmp_path / "snapshot")
    build(tmp_path / "snapshot", tmp_path / "public", site_url=SITE)
    live = (tmp_path / "public" / "current").resolve()

    html = (live / "solutions" / "high-efficiency-heat-pumps" / "index.html").read_text()
    assert "Hostile Org" in html and "Clip" in html and "Read more here." in html
    assert_no_script_urls(live)

    # the feed carries the summary as text: no markup for a feed reader to run
    feed = ET.fromstring((live / "feed.xml").read_bytes())
    atom = "{http://www.w3.org/2005/Atom}"
    summary = next(
        entry.find(f"{atom}summary")
        for entry in feed.iter(f"{atom}entry")
        if "high-efficiency-heat-pumps" in entry.find(f"{atom}id").text
    )
    assert "<img" not in BeautifulSoup(summary.text, "html.parser").decode()
    assert "<img src=x" in BeautifulSoup(summary.text, "html.parser").get_text()


def assert_no_script_urls(root: Path) -> None:
    """No javascript:, vbscript: or data: address in any file under `root`: pages (every
    href and src passes the URL policy), feed, sitemap, snapshot, search index."""
    scheme = re.compile(r"(?i)\b(java\s*script|vb\s*script|data)\s*:")
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if "pagefind" in path.parts:  # the search index: compressed fragments
            with contextlib.suppress(OSError):
                data = gzip.decompress(data)
        text = data.decode("utf-8", "replace")
        if path.suffix == ".html":
            for address in _addresses(text):
                assert safe_url(address) is not None, (path, address)
        assert not scheme.search(text.replace("data:image", "")), (path, scheme.search(text))


HOSTILE_MARKDOWN = """---
title: Hostile Page
summary: Nothing here may run.
---

## Overview

A [script link](javascript:alert(1)) and a [VBScript one](vbscript:msgbox(1)).

A <a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">data link</a> in HTML.

<iframe src="javascript:alert(2)" title="A clip"></iframe>

A [safe link](https://example.org/) stays.
"""


def test_importing_a_hostile_page_leaves_no_script_url_anywhere(site, workdir, tmp_path, settings):
    from cms.imports.models import ImportNote

    source = workdir / "solution-hostile-page.md"
    source.write_text(HOSTILE_MARKDOWN)
    code, _, err = run_import(source)
    assert code == 0, err
    notes = ImportNote.objects.filter(kind="unsafe_link").order_by("line")
    assert [(n.source_path, n.line) for n in notes] == [(str(source), 8)] * 2 + [
        (str(source), 10),
        (str(source), 12),
    ], [(n.source_path, n.line, n.target) for n in notes]

    snapshot, public = tmp_path / "hostile-snapshot", tmp_path / "hostile-public"
    export(settings.BUILD_API_URL, snapshot)
    build(snapshot, public, site_url=SITE)
    live = (public / "current").resolve()
    page = BeautifulSoup((live / "solutions/hostile-page/index.html").read_text(), "html.parser")
    assert "A script link and a VBScript one." in page.get_text()
    assert page.find("a", href="https://example.org/").get_text() == "safe link"
    assert_no_script_urls(snapshot)
    assert_no_script_urls(live)  # pages, feed, sitemap and search index
