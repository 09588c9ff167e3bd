"""Editors see their draft rendered by the real theme, and nobody else's."""

import difflib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from cms.solutions.models import SolutionPage
from site_builder.build import build
from site_builder.preview import PreviewApp, make_preview_server
from tests.noting_plugin import MARK, take_notes

SITE = "https://solutions.example.org"


@contextmanager
def serving(app: PreviewApp) -> Iterator[str]:
    server = make_preview_server(app, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.fixture
def preview_url(api_url, public, snapshot):
    with serving(PreviewApp(api_url, public, snapshot=snapshot, site_url=SITE)) as url:
        yield url


def _preview(preview_url, page, **params):
    token = page.create_page_preview().token
    query = {"content_type": page.get_content_type_str(), "token": token, **params}
    return requests.get(preview_url, params=query, allow_redirects=False, timeout=20)


@pytest.mark.parametrize("url", ["/solutions/rooftop-solar/", "/sectors/buildings/", "/solutions/"])
def test_preview_of_an_unchanged_page_is_the_built_page(preview_url, public, url):
    """A solution, a sector (its first page of cards) and the solutions index."""
    from wagtail.models import Page

    page = Page.objects.get(url_path=f"/home{url}").specific.get_latest_revision_as_object()
    response = _preview(preview_url, page)
    assert response.status_code == 200
    built = (public / "current" / url.lstrip("/") / "index.html").read_text()
    assert response.text == built, "".join(
        difflib.unified_diff(built.splitlines(True), response.text.splitlines(True), n=1)
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    css = requests.get(preview_url.rstrip("/") + _stylesheet(response.text), timeout=10)
    assert css.status_code == 200 and "prefers-color-scheme" in css.text


def test_the_site_plugins_change_a_preview_as_they_change_the_built_page(
    api_url, snapshot, tmp_path, plugin_settings
):
    built = build(snapshot, tmp_path / "public", settings_file=plugin_settings, search=False)
    take_notes(plugin_settings)
    app = PreviewApp(api_url, tmp_path / "public", snapshot=snapshot, settings_file=plugin_settings)
    page = SolutionPage.objects.get(slug="rooftop-solar").get_latest_revision_as_object()
    with serving(app) as preview_url:
        response = _preview(preview_url, page)
    page_file = built.release / "solutions" / "rooftop-solar" / "index.html"
    assert response.text.count(MARK) == 1 and response.text == page_file.read_text()
    assert take_notes(plugin_settings) == [
        "initialized",  # once, as the preview server starts
        "content_object_init Article /solutions/rooftop-solar/",
        "content_written /solutions/rooftop-solar/",
        "finalized solutions/rooftop-solar/index.html",
    ]


def _stylesheet(html: str) -> str:
    return html.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]


def test_draft_change_shows_in_preview_and_not_on_the_live_site(preview_url, public):
    draft = SolutionPage.objects.get(slug="cargo-bikes").get_latest_revision_as_object()
    section = draft.body[1]
    section.value["content"][0].value.source = "<p>DRAFT ONLY sentence about cargo bikes.</p>"
    draft.save_revision()
    response = _preview(preview_url, draft)
    assert "DRAFT ONLY sentence about cargo bikes." in response.text
    live = (public / "current" / "solutions" / "cargo-bikes" / "index.html").read_text()
    assert "DRAFT ONLY" not in live


def test_never_published_page_previews(preview_url):
    index = SolutionPage.objects.get(slug="cargo-bikes").get_parent()
    page = index.add_child(
        instance=SolutionPage(
            title="Tidal Lagoons", slug="tidal-lagoons", live=False, summary="Walls in the sea."
        )
    )
    response = _preview(preview_url, page)
    assert response.status_code == 200
    assert "<h1>Tidal Lagoons</h1>" in response.text
    assert f'href="{SITE}/solutions/tidal-lagoons/"' in response.text  # where it will live


def test_a_page_being_added_previews_before_it_is_saved(preview_url):
    """Preview from "Add page", before Wagtail has saved anything: no id, no row."""
    index = SolutionPage.objects.get(slug="cargo-bikes").get_parent()
    page = SolutionPage(title="Tidal Lagoons", slug="tidal-lagoons", summary="Walls in the sea.")
    page.depth = index.depth + 1  # where Wagtail's preview on create places it
    page.path = index.get_last_child()._inc_path()
    response = _preview(preview_url, page)
    assert response.status_code == 200, response.text[:500]
    assert "<h1>Tidal Lagoons</h1>" in response.text
    assert f'href="{SITE}/solutions/tidal-lagoons/"' in response.text
    assert not SolutionPage.objects.filter(slug="tidal-lagoons").exists()


def test_forged_missing_and_expired_tokens_are_refused(preview_url, settings):
    page = SolutionPage.objects.get(slug="cargo-bikes")
    token = page.create_page_preview().token
    forged = requests.get(
        preview_url,
        params={"content_type": "solutions.solutionpage", "token": token[:-2] + "xx"},
        timeout=10,
    )
    assert forged.status_code == 404 and "not valid or has expired" in forged.text
    assert "Cargo" not in forged.text and forged.headers["Cache-Control"] == "no-store"
    missing = requests.get(preview_url, timeout=10)
    assert missing.status_code == 400 and "missing its preview link" in missing.text
    other_type = requests.get(
        preview_url, params={"content_type": "solutions.sectorpage", "token": token}, timeout=10
    )
    assert other_type.status_code == 404
    settings.PREVIEW_TOKEN_MAX_AGE = 0
    time.sleep(1.1)
    expired = requests.get(
        preview_url, params={"content_type": "solutions.solutionpage", "token": token}, timeout=10
    )
    assert expired.status_code == 404


def test_links_in_a_preview_lead_to_the_live_site(preview_url):
    response = requests.get(preview_url + "sectors/buildings/", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{SITE}/sectors/buildings/"
