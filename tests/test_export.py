"""content_export against a real CMS over HTTP: complete, incremental, atomic."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from cms.publishing.keep_in_step import keep_in_step
from cms.publishing.models import SiteChange
from cms.solutions.models import SolutionPage
from content_export.client import ApiClient, ExportError
from content_export.export import export
from content_export.schema import SCHEMA_VERSION, InvalidPage, validate_page
from content_export.snapshot import Snapshot
from tests.fake_api import FakeApi, page_ids

REPO = Path(__file__).resolve().parent.parent
# What the changes endpoint says when nothing changed.
NO_CHANGES = (200, {"since": "x", "until": "2026-01-01T00:00:00+00:00", "changes": []})


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def _page(out: Path, slug: str) -> dict | None:
    for entry in _manifest(out)["pages"].values():
        if entry["url_path"].rstrip("/").endswith("/" + slug):
            return json.loads((out / entry["file"]).read_text())
    return None


def _snapshot_is_whole(out: Path) -> bool:
    manifest = _manifest(out)
    files = [e["file"] for e in manifest["pages"].values()] + list(manifest["images"].values())
    return all((out / name).is_file() for name in files)


def test_full_export_holds_every_page_section_link_image_and_organisation(api_url, tmp_path):
    result = export(api_url, tmp_path)
    assert result.mode == "full"
    manifest = _manifest(tmp_path)
    assert manifest["schema_version"] == SCHEMA_VERSION
    solutions = [e for e in manifest["pages"].values() if e["type"] == "solutions.SolutionPage"]
    assert len(solutions) == SolutionPage.objects.live().count() == 9
    seed = _page(tmp_path, "high-efficiency-heat-pumps")
    sections = [b["value"] for b in seed["body"] if b["type"] == "section"]
    assert len(sections) == 5
    items = [
        i
        for s in sections
        for b in s["content"]
        if b["type"] == "list"
        for i in b["value"]["items"]
    ]
    assert len(items) == 25 and "Improved refrigerants" in items[0]
    assert '<a href="/contribute/">Help us</a>' in seed["body"][0]["value"]["title"]
    assert len(seed["organisations"]) == 14  # 10 organisations, some named in two sections
    for rendition in seed["cover"]["image"]["renditions"]:
        assert (tmp_path / rendition["file"]).read_bytes()[:4] == b"RIFF"
    assert seed["meta"]["url_path"] == "/solutions/high-efficiency-heat-pumps/"
    assert _snapshot_is_whole(tmp_path)


def test_a_full_export_in_many_listings_fetched_together_has_every_page_once(
    api_url, tmp_path, monkeypatch
):
    export(api_url, tmp_path / "one-listing")
    monkeypatch.setattr("content_export.export.LISTING_LIMIT", 2)  # 9 solutions: 5 listings
    client = ApiClient(api_url, concurrency=3)
    result = export(api_url, tmp_path / "many", client=client)
    assert result.requests > 10
    pages = _manifest(tmp_path / "many")["pages"]
    assert pages == _manifest(tmp_path / "one-listing")["pages"]
    assert _snapshot_is_whole(tmp_path / "many")


def test_a_page_unpublished_during_a_full_export_takes_no_other_page_with_it(
    api_url, tmp_path, monkeypatch
):
    """The pages a full export reads are those public when it started, each read by id: one
    unpublished while it reads is left out, and every other page is still in the snapshot
    (read by offset, the listings after it would start a page late and skip one)."""
    monkeypatch.setattr("content_export.export.LISTING_LIMIT", 2)  # 9 solutions: 5 listings
    kind = "solutions.SolutionPage"
    first_listed = ApiClient(api_url).get_json("pages/", {"type": kind, "limit": 1})["items"][0]
    unpublished = []

    class EditorUnpublishesMeanwhile(ApiClient):
        def get_all_json(self, calls, **kwargs):
            calls = list(calls)
            reads_solutions = any(
                params.get("fields") == "*" and params["type"] == kind for _, params in calls
            )
            if reads_solutions and not unpublished:
                page = SolutionPage.objects.get(pk=first_listed["id"])
                page.unpublish()
                unpublished.append(page.pk)
            return super().get_all_json(calls, **kwargs)

    export(api_url, tmp_path, client=EditorUnpublishesMeanwhile(api_url, concurrency=3))
    assert unpublished
    pages = _manifest(tmp_path)["pages"].values()
    exported = {entry["id"] for entry in pages if entry["type"] == kind}
    assert exported == set(SolutionPage.objects.live().public().values_list("pk", flat=True))
    assert _snapshot_is_whole(tmp_path)


def test_listings_by_id_fit_in_a_request_line_that_gunicorn_accepts():
    """A site of 100,000 pages has six-digit ids: 500 of them in one address are longer than
    the 4,094 characters of a request line that gunicorn reads, so a listing takes fewer."""
    from content_export.export import listings_by_id

    ids = list(range(99_000, 101_000))
    calls = listings_by_id("solutions.SolutionPage", ids)
    client = ApiClient("http://127.0.0.1:8000/api/v2/")
    for path, params in calls:
        address = requests.Request("GET", client.url(path), params=params).prepare().url
        assert len(f"GET {address.removeprefix('http://127.0.0.1:8000')} HTTP/1.1") < 4094
    assert [int(pk) for _, params in calls for pk in params["ids"].split(",")] == ids


def test_incremental_export_reads_only_what_changed(api_url, tmp_path):
    export(api_url, tmp_path)
    images_before = set(_manifest(tmp_path)["images"].values())

    page = SolutionPage.objects.get(slug="electric-buses")
    draft = page.get_latest_revision_as_object()
    draft.summary = "Edited summary"
    revision = draft.save_revision()
    client = ApiClient(api_url)
    result = export(api_url, tmp_path, client=client)
    assert result.fetched == 0  # a draft is not exported
    assert _page(tmp_path, "electric-buses")["summary"] != "Edited summary"

    revision.publish()
    client = ApiClient(api_url)
    result = export(api_url, tmp_path, client=client)
    # the changes, the page, and the redirects (read on every export: a redirect is no page)
    assert (result.mode, result.fetched, client.request_count) == ("incremental", 1, 3)
    assert _page(tmp_path, "electric-buses")["summary"] == "Edited summary"
    assert set(_manifest(tmp_path)["images"].values()) == images_before  # nothing downloaded

    # an organisation named on several pages: they come in one listing, not one request each
    from cms.solutions.models import Organisation, OrganisationMention

    irena = Organisation.objects.get(abbreviation="IRENA")
    for page in SolutionPage.objects.live().exclude(organisation_mentions__organisation=irena):
        OrganisationMention.objects.create(page=page, organisation=irena)
    named_on = set(SolutionPage.objects.live().values_list("slug", flat=True))
    export(api_url, tmp_path, full=True)
    irena.name = "International Renewable Energy Agency (renamed)"
    irena.save()
    client = ApiClient(api_url)
    result = export(api_url, tmp_path, client=client)
    assert (result.fetched, client.request_count) == (len(named_on), 3)
    for slug in named_on:
        names = {o["name"] for o in _page(tmp_path, slug)["organisations"]}
        assert "International Renewable Energy Agency (renamed)" in names, slug
    answer = requests.get(f"{api_url}pages/", params={"ids": "1,x"}, timeout=10)
    assert answer.status_code == 400 and "ids must be page ids" in answer.text


def test_unpublish_and_move_reach_the_snapshot(api_url, tmp_path):
    export(api_url, tmp_path)
    SolutionPage.objects.get(slug="cargo-bikes").unpublish()
    moved = SolutionPage.objects.get(slug="cover-crops")
    moved.slug = "cover-crops-and-green-manure"
    moved.save_revision().publish()
    result = export(api_url, tmp_path)
    assert result.removed == 1
    assert _page(tmp_path, "cargo-bikes") is None
    assert _page(tmp_path, "cover-crops-and-green-manure")["title"] == "Cover Crops"
    assert _page(tmp_path, "cover-crops") is None
    assert _snapshot_is_whole(tmp_path)
    assert len(list((tmp_path / "pages").iterdir())) == len(_manifest(tmp_path)["pages"])


def test_failed_export_leaves_the_previous_snapshot_whole(api_url, tmp_path):
    export(api_url, tmp_path)
    before = (tmp_path / "manifest.json").read_bytes()
    SolutionPage.objects.get(slug="electric-buses").save_revision().publish()
    changes = ApiClient(api_url).get_json(
        "changes/", {"since": _manifest(tmp_path)["changes_until"]}
    )
    assert changes["changes"]
    routes = {  # the changed page is read in a listing by id, which fails
        "/api/v2/changes/": (200, changes),
        "/api/v2/pages/": (503, {"message": "down"}),
    }
    with FakeApi(routes) as fake:
        with pytest.raises(ExportError, match=r"answered 503"):
            export(fake.url, tmp_path)
        assert fake.hits.count("/api/v2/pages/") == 4  # first try and 3 retries
    assert (tmp_path / "manifest.json").read_bytes() == before
    assert _snapshot_is_whole(tmp_path)


@pytest.mark.parametrize(
    "html_url",
    ["http://cms.example.org/../../outside/", "javascript:alert(1)//", "http://x/a/../b/"],
)
def test_a_page_whose_address_leaves_the_site_is_refused_with_its_field_named(api_url, html_url):
    page = ApiClient(api_url).get_json("pages/", {"type": "solutions.SolutionPage", "fields": "*"})
    document = page["items"][0]
    document["meta"]["html_url"] = html_url
    with pytest.raises(InvalidPage, match=r"field meta.html_url"):
        validate_page(document)


def test_the_change_log_forgets_old_entries_and_an_older_snapshot_is_read_again(api_url, tmp_path):
    export(api_url, tmp_path)
    long_ago = timezone.now() - timedelta(days=31)
    old = SiteChange.objects.create(
        kind=SiteChange.Kind.EDITED, description="long ago", created_at=long_ago
    )
    recent = SiteChange.objects.create(kind=SiteChange.Kind.EDITED, description="just now")
    keep_in_step()  # what every build worker runs every BUILD_UPKEEP_SECONDS
    assert not SiteChange.objects.filter(pk=old.pk).exists()
    assert SiteChange.objects.filter(pk=recent.pk).exists()

    manifest = _manifest(tmp_path)  # a snapshot from before what the log still holds
    manifest["changes_until"] = long_ago.isoformat()
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert export(api_url, tmp_path).mode == "full"
    assert _snapshot_is_whole(tmp_path)


@pytest.mark.parametrize(
    "redirect, named",
    [
        ({"old_path": "/../../x", "page": 3, "link": None, "permanent": True}, "/../../x"),
        ({"old_path": "/a", "page": None, "link": "javascript:alert(1)", "permanent": True}, "/a"),
        ({"old_path": '/a";x', "page": 3, "link": None, "permanent": True}, "/a"),
    ],
)
def test_an_unsafe_redirect_from_the_api_fails_the_export_and_names_it(
    api_url, tmp_path, redirect, named
):
    export(api_url, tmp_path)
    before = (tmp_path / "manifest.json").read_bytes()
    routes = {
        "/api/v2/changes/": NO_CHANGES,
        "/api/v2/redirects/": (200, {"redirects": [redirect]}),
    }
    with FakeApi(routes) as fake, pytest.raises(ExportError, match="redirect 0") as error:
        export(fake.url, tmp_path)
    assert named in str(error.value)
    assert (tmp_path / "manifest.json").read_bytes() == before


def test_killed_export_leaves_the_previous_snapshot_whole(api_url, tmp_path):
    export(api_url, tmp_path)
    before = (tmp_path / "manifest.json").read_bytes()
    hang = threading.Event()

    def stuck(path):  # the CMS stops answering in the middle of the export

        hang.wait(30)
        return 200, {}

    routes = {
        "/api/v2/changes/": NO_CHANGES,
        "/api/v2/pages/ids/": stuck,
        "/api/v2/pages/": stuck,
    }
    with FakeApi(routes) as fake:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "content_export",
                "--api",
                fake.url,
                "--out",
                str(tmp_path),
                "--full",
            ],
            cwd=REPO,
        )
        deadline = time.time() + 20
        while "/api/v2/pages/ids/" not in fake.hits and time.time() < deadline:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        hang.set()
    assert (tmp_path / "manifest.json").read_bytes() == before
    assert _snapshot_is_whole(tmp_path)
    assert Snapshot(tmp_path).read_manifest() is not None


@pytest.mark.parametrize(
    "path, answer, message",
    [
        ("pages/", (200, b"<html>oops</html>"), "did not answer JSON"),
        ("pages/", (200, {"items": "no"}), "is not a Wagtail API listing"),
        ("pages/", (404, {"message": "no"}), "answered 404"),
        ("pages/ids/", (200, {"ids": ["1"]}), "not a list of page ids"),
        ("pages/ids/", (404, {"message": "no"}), "answered 404"),
    ],
)
def test_malformed_listing_answers_give_clear_errors(tmp_path, path, answer, message):
    routes = {
        "/api/v2/changes/": NO_CHANGES,
        "/api/v2/pages/ids/": (200, {"ids": [1]}),
        f"/api/v2/{path}": answer,
    }
    with FakeApi(routes) as fake, pytest.raises(ExportError, match=message):
        export(fake.url, tmp_path)
    assert not (tmp_path / "manifest.json").exists()


def test_unexpected_page_fields_name_the_page_and_the_field(api_url, tmp_path):
    good = ApiClient(api_url).get_json(
        "pages/", {"type": "solutions.SolutionPage", "fields": "*", "limit": 1}
    )
    page = good["items"][0]
    broken_missing = {**page}
    del broken_missing["summary"]
    broken_type = json.loads(json.dumps(page))
    broken_type["sectors"] = [{"id": 1, "title": "X", "url": "/x/", "is_primary": "maybe"}]
    broken_block = json.loads(json.dumps(page))
    broken_block["body"].append({"type": "marquee", "value": "<marquee>"})

    for broken, field in [
        (broken_missing, "field summary: Field required"),
        (broken_type, "field sectors.0.is_primary"),
        (broken_block, f"field body.{len(page['body'])}.type"),
    ]:
        routes = {
            "/api/v2/changes/": NO_CHANGES,
            "/api/v2/pages/": lambda path, b=broken: (
                200,
                {"meta": {"total_count": 1}, "items": [b]},
            ),
            "/api/v2/pages/ids/": page_ids([page]),
        }
        with FakeApi(routes) as fake, pytest.raises(ExportError) as raised:
            export(fake.url, tmp_path / "out")
        assert f"page {page['id']} ({page['meta']['html_url']})" in str(raised.value)
        assert field in str(raised.value)


def test_cli_reports_what_it_did_and_fails_clearly(api_url, tmp_path):
    ran = subprocess.run(
        [sys.executable, "-m", "content_export", "--api", api_url, "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert "full export: 17 pages" in ran.stdout
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "content_export",
            "--api",
            "http://127.0.0.1:9/api/v2/",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 1
    assert "could not be reached" in ran.stderr and "previous snapshot" in ran.stderr


def test_an_export_with_too_many_changes_to_list_reads_everything_again(
    api_url, tmp_path, monkeypatch
):
    export(api_url, tmp_path)
    publish_page = SolutionPage.objects.get(slug="electric-buses")
    publish_page.summary = "Changed among too many changes."
    publish_page.save_revision().publish()
    monkeypatch.setattr("cms.api.views.MAX_CHANGES", 0)  # /changes/ answers 409
    result = export(api_url, tmp_path)
    assert result.mode == "full"
    assert _page(tmp_path, "electric-buses")["summary"] == "Changed among too many changes."
    assert _snapshot_is_whole(tmp_path)
