"""The pure parts, tested alone and fast: the Markdown reader and its organisation
heuristics, the URL policy, the image check, the release's link checker, the redirect paths
and the webhook secret check. No database, no server."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cms.imports.markdown_source import read_page
from cms.imports.organisations import organisations_in
from cms.imports.source import ImportProblem
from cms.publishing.checks import webhook_secret_problem
from content_export.images import image_extension
from content_export.richtext import clean_html, safe_url
from site_builder import search
from site_builder.checks import check_page
from site_builder.redirects import paths_of
from tests.conftest import REPO

DEMO = """---
title: Demo Solution
---

## Overview

Some companies working on this include:

* Acme Power (APC): builds heat pumps
* Northwind - a utility

!!! warning "Mind the gap"
    Body of the callout with a [link](../sector-buildings.md).

??? note "Folded"
    Hidden text.

## Challenges Ahead

1. First
2. Second
"""


def _page(tmp_path: Path, text: str, name: str = "solution-demo.md"):
    (tmp_path / name).write_text(text)
    return read_page(tmp_path / name, tmp_path)


def test_the_markdown_reader_gives_sections_callouts_lists_and_links_with_lines(tmp_path):
    page = _page(tmp_path, DEMO)
    assert (page.kind, page.slug, page.title) == ("solution", "demo", "Demo Solution")
    overview, challenges = page.body
    assert (overview.data["key"], overview.data["anchor"]) == ("overview", "overview")
    assert [n.type for n in overview.data["content"]] == ["paragraph", "list", "callout", "callout"]
    warning, folded = overview.data["content"][2:]
    assert (warning.data["kind"], warning.data["title"], warning.data["collapsible"]) == (
        "warning",
        "Mind the gap",
        False,
    )
    assert folded.data["collapsible"] is True
    assert challenges.data["key"] == "challenges"
    assert challenges.data["content"][0].data == {"ordered": True, "items": ["First", "Second"]}
    assert [(link.href, link.line) for link in page.links] == [("../sector-buildings.md", 13)]


def test_the_markdown_reader_names_file_and_line_of_an_unknown_callout(tmp_path):
    with pytest.raises(ImportProblem) as problem:
        _page(tmp_path, "---\ntitle: X\n---\n\n## Overview\n\n!!! bogus\n    body\n")
    assert problem.value.line == 7 and "bogus" in problem.value.message


def test_organisations_are_read_from_lists_that_introduce_them(tmp_path):
    found = organisations_in(_page(tmp_path, DEMO).body)
    assert [(o.name, o.abbreviation, o.note, o.section_key) for o in found] == [
        ("Acme Power", "APC", "builds heat pumps", "overview"),
        ("Northwind", "", "a utility", "overview"),
    ]


def test_a_list_that_introduces_no_organisations_names_none(tmp_path):
    text = DEMO.replace("Some companies working on this include:", "Steps to take:")
    assert organisations_in(_page(tmp_path, text).body) == []


def test_a_list_right_after_a_paragraph_is_a_list_as_commonmark_reads_it(tmp_path):
    text = DEMO.replace("include:\n\n* Acme", "include:\n* Acme").replace(
        "## Challenges Ahead\n\n1. First", "## Challenges Ahead\n\nWhat remains:\n1. First"
    )
    page = _page(tmp_path, text)
    overview, challenges = page.body
    assert [n.type for n in overview.data["content"]] == ["paragraph", "list", "callout", "callout"]
    assert overview.data["content"][1].data["items"][1] == "Northwind - a utility"
    assert [n.type for n in challenges.data["content"]] == ["paragraph", "list"]
    assert challenges.data["content"][1].data == {"ordered": True, "items": ["First", "Second"]}
    assert [line for line, notice in page.notices if "imported as a list" in notice] == [8, 20]
    assert [o.name for o in organisations_in(page.body)] == ["Acme Power", "Northwind"]


@pytest.mark.parametrize(
    "url, allowed",
    [
        ("https://example.org/a", "https://example.org/a"),
        ("http://example.org", "http://example.org"),
        ("mailto:team@example.org", "mailto:team@example.org"),
        ("/solutions/x/", "/solutions/x/"),
        ("#overview", "#overview"),
        (" /padded/ ", "/padded/"),
        ("javascript:alert(1)", None),
        ("JAVASCRIPT:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("\x01javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("tel:123", None),
        ("../relative/", None),
        ("", None),
    ],
)
def test_the_url_policy_allows_site_paths_http_https_and_mailto_only(url, allowed):
    assert safe_url(url) == allowed


def test_rich_text_loses_unsafe_links_but_keeps_their_text():
    html = (
        '<p><a href="javascript:alert(1)">one</a> <a href="/ok/">two</a>'
        '<a href="data:text/html,x" onclick="x()">three</a><script>alert(1)</script></p>'
    )
    assert clean_html(html) == '<p>one <a href="/ok/">two</a>three</p>'


@pytest.mark.parametrize(
    "data, extension",
    [
        (b"\xff\xd8\xff\xe0rest", ".jpg"),
        (b"\x89PNG\r\n\x1a\nrest", ".png"),
        (b"GIF89a...", ".gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", ".webp"),
        (b"\x00\x00\x00\x1cftypavif", ".avif"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', None),
        (b"<!DOCTYPE html><html>", None),
        (b"", None),
    ],
)
def test_images_are_known_by_their_bytes(data, extension):
    assert image_extension(data) == extension


def test_the_link_checker_finds_missing_files_and_anchors():
    page = (
        '<a href="/solutions/a/">a</a><a href="/solutions/gone/">gone</a>'
        '<a href="#here">here</a><a href="#nowhere">nowhere</a><h2 id="here">H</h2>'
        '<a href="https://example.org/">out</a><img src="/media/x.webp" alt="">'
    )
    files = {"solutions/a/index.html", "media/x.webp"}
    assert check_page("/p/", page, files) == [
        "/p/: link to missing /solutions/gone/",
        "/p/: link to missing anchor #nowhere",
    ]


def test_a_redirect_answers_at_every_address_of_its_old_page():
    assert paths_of("/bikes/") == ["/bikes", "/bikes/", "/bikes/index.html"]
    assert paths_of("/") == ["/"]


@pytest.mark.parametrize(
    "secret, problem",
    [
        ("whsec_" + "c2VjcmV0LWZvci10ZXN0cy1vbmx5LTEyMzQ1Njc4", None),
        ("c2VjcmV0LWZvci10ZXN0cy1vbmx5LTEyMzQ1Njc4", None),  # the prefix is optional
        ("whsec_not*base64", "is not base64"),
        ("whsec_c2hvcnQ=", "holds 5 bytes"),
    ],
)
def test_webhook_secrets_are_checked(secret, problem):
    found = webhook_secret_problem(secret)
    assert found == problem if problem is None else problem in found


def test_a_solution_names_its_main_sector_first_and_a_sector_lists_in_its_own_order():
    from site_builder.content import SiteContent, _link_sectors

    sectors = [
        {"id": number, "title": title, "type": "solutions.SectorPage", "solution_order": order}
        for number, title, order in ((1, "Buildings", [5, 3]), (2, "Electricity", []))
    ]
    links = [{"id": 1, "is_primary": False}, {"id": 2, "is_primary": True}]
    solutions = [  # as the snapshot gives them: by title
        {"id": number, "title": title, "sectors": links}
        for number, title in ((4, "Cool roofs"), (3, "Heat pumps"), (5, "Insulation"))
    ]
    by_type = {"solutions.SectorPage": sectors, "solutions.SolutionPage": solutions}
    _link_sectors(SiteContent(Path("."), {}, [*sectors, *solutions], by_type, [], []))
    assert [s["title"] for s in solutions[1]["sector_pages"]] == ["Electricity", "Buildings"]
    # the sector's own order first, then the others by title
    assert [s["id"] for s in sectors[0]["solutions"]] == [5, 3, 4]
    assert [s["id"] for s in sectors[1]["solutions"]] == [4, 3, 5]


def test_an_image_credit_after_a_callout_is_the_covers_credit_not_the_summary(tmp_path):
    """As in the handbook's “Building Retrofitting”: cover, a callout, then the credit."""
    (tmp_path / "img").mkdir()
    shutil.copy(REPO / "sample_content" / "img" / "cover-crops.jpg", tmp_path / "img")
    text = """---
title: Demo Solution
---

![Cover Image](img/cover-crops.jpg)

!!! info "Help us track this Solution"
    This a sample page

_Image from [Bloomberg Green](https://example.org/retrofit)_

## Overview

Retrofitting makes an existing building use less energy.
"""
    page = _page(tmp_path, text)
    assert page.cover_caption.startswith("Image from <a href=")
    assert page.summary == "Retrofitting makes an existing building use less energy."


def test_search_shards_are_the_same_in_every_process_and_hold_only_searchable_pages(tmp_path):
    """Which shard of the search index a page is in, and each shard's key, do not depend on
    the process that plans them (a worker's helper and a command find the same shards)."""
    for number in range(40):
        page = tmp_path / "solutions" / f"s{number}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"<article data-pagefind-body>Solution {number}</article>")
    (tmp_path / "solutions" / "index.html").write_text("<ul><li>a listing</li></ul>")
    plan = (
        "import sys, json; from pathlib import Path; from site_builder import search\n"
        "pages = search.searchable_pages(Path(sys.argv[1]))\n"
        "print(json.dumps(search.plan_shards(pages, 10)))"
    )
    plans = [
        subprocess.run(
            [sys.executable, "-c", plan, str(tmp_path)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        ).stdout
        for seed in ("1", "2")
    ]
    assert plans[0] == plans[1]
    shards = json.loads(plans[0])
    assert len(shards) == 4
    assert sorted(name for _, names in shards for name in names) == sorted(
        f"solutions/s{number}/index.html" for number in range(40)
    )  # every page marked for search, once; the listing is not


def test_a_page_is_known_to_search_by_what_pagefind_reads_of_it():
    """Parts marked data-pagefind-ignore="all" are left out of a page's search identity;
    a change anywhere else changes it; a part that never ends leaves the file's identity."""
    page = (
        "<html><body><article data-pagefind-body><h1>Buildings</h1><p>Heat &amp; power</p>"
        '<section data-pagefind-ignore="all"><section><p>{card}</p></section><br></section>'
        "<p>{after}</p></article></body></html>"
    )

    def identity(card: str, after: str = "Own words", file: str = "file") -> str:
        return search.indexed_identity(page.format(card=card, after=after).encode(), file)

    assert identity("Card one") == identity("Card two", file="another file")
    assert identity("Card one") != identity("Card one", after="Other words")
    assert identity("Card one").startswith("indexed-")
    unended = page.replace("</section><br></section>", "</section><br>")
    assert search.indexed_identity(unended.encode(), "file") == "file"
    plain = b"<article data-pagefind-body><p>No part left out</p></article>"
    assert search.indexed_identity(plain, "file") == "file"


def test_a_figure_compared_across_many_pages_shows_its_largest():
    """A sector of hundreds of solutions draws each figure's largest few, and says of how many."""
    from site_builder.charts import comparisons

    pages = [
        {"url": f"/solutions/s{n}/", "title": f"S{n}", "metrics": [_figure("Avoided", str(n))]}
        for n in range(1, 41)
    ]
    (chart,) = comparisons(pages, most=25)
    assert chart["count"] == 40 and len(chart["rows"]) == 25
    assert [row["page"]["title"] for row in chart["rows"][:2]] == ["S40", "S39"]
    assert chart["rows"][0]["low"] == 100.0 and chart["rows"][-1]["low"] == 40.0
    (everything,) = comparisons(pages)
    assert len(everything["rows"]) == 40


def _figure(label: str, value: str) -> dict:
    return {"label": label, "unit": "Gt", "value": value, "value_max": None, "sourced": False}


def test_a_manifest_is_parsed_again_whenever_its_file_is_another(tmp_path):
    """A worker reads back the manifest it exported without parsing it again; a manifest
    written since, by another export or by hand, is read as it is on disk."""
    from content_export.snapshot import Snapshot, read_manifest_json

    snapshot = Snapshot(tmp_path)
    exported = {"schema_version": 4, "pages": {"1": {"file": "pages/1-a.json"}}, "images": {}}
    with snapshot.locked():
        snapshot.commit(exported, shared=True)
    assert read_manifest_json(snapshot.manifest_path) is exported
    another = {"schema_version": 4, "pages": {}, "images": {}}
    Snapshot(tmp_path).commit(another)  # another export (as a process of its own would)
    assert read_manifest_json(snapshot.manifest_path) == another
    with open(snapshot.manifest_path, "w") as handle:  # in place: the same file, changed
        handle.write('{"schema_version": 4, "pages": {"2": {}}, "images": {}}')
    assert read_manifest_json(snapshot.manifest_path)["pages"] == {"2": {}}


def test_answers_fetched_ahead_are_bounded_whatever_the_number_of_requests():
    """A full export reads hundreds of listings: as the CMS answers faster than they are
    stored, only a few may be asked for ahead of the one being stored."""
    import time

    from content_export.client import ApiClient
    from tests.fake_api import FakeApi

    with FakeApi({"/api/v2/listing/": (200, {"items": []})}) as api:
        client = ApiClient(api.url, concurrency=2)
        answers = client.get_all_json(("listing/", {"n": n}) for n in range(50))
        assert next(answers) == {"items": []}
        time.sleep(0.5)  # the CMS answers in milliseconds; this one is slow to store
        assert len(api.hits) <= 2 * 2 + 1
        assert len(list(answers)) == 49
        assert len(api.hits) == 50
