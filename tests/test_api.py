"""The headless API gives every published, public page completely, and nothing else."""

import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from cms.glossary.models import GlossaryPage, GlossaryTerm
from cms.imports.importer import ImportOptions, import_pages
from cms.solutions.models import RelatedSolution, SolutionPage
from tests.conftest import SAMPLE_CONTENT

SOLUTION_IDS = {"type": "solutions.SolutionPage"}  # pages/ids/: the id of every solution


def _solutions(api_url, **params) -> dict[int, dict]:
    """Every solution page as the exporter lists them (each page's JSON kept between
    listings, see test_the_listing_keeps_each_pages_json_until_a_change_touches_it)."""
    params = {"type": "solutions.SolutionPage", "fields": "*", "limit": 500, **params}
    listing = requests.get(f"{api_url}pages/", params=params, timeout=10).json()
    return {item["id"]: item for item in listing["items"]}


def _solution(api_url, slug):
    found = [page for page in _solutions(api_url).values() if page["meta"]["slug"] == slug]
    return found[0] if found else None


def _texts(blocks):
    for block in blocks:
        if block["type"] == "section":
            yield from _texts(block["value"]["content"])
        elif block["type"] == "paragraph":
            yield block["value"]
        elif block["type"] == "list":
            yield from block["value"]["items"]


def test_seed_page_is_complete_with_final_html(api_url):
    page = _solution(api_url, "high-efficiency-heat-pumps")
    sections = [b["value"] for b in page["body"] if b["type"] == "section"]
    assert [s["heading"] for s in sections] == [
        "Overview",
        "Progress Made",
        "Lessons Learned",
        "Challenges Ahead",
        "Best Path Forward",
    ]
    lists = [b["value"] for s in sections for b in s["content"] if b["type"] == "list"]
    # Progress Made has two lists written right under their paragraphs: lists all the same
    assert sum(len(items["items"]) for items in lists) == 3 + 4 + 3 + 4 + 5 + 3 + 3
    html = "".join(_texts(page["body"])) + page["body"][0]["value"]["title"]
    assert "linktype" not in html and "data-block-key" not in html
    assert '<a href="/contribute/">Help us</a>' in page["body"][0]["value"]["title"]
    assert len({o["id"] for o in page["organisations"]}) == 10
    image = page["cover"]["image"]
    assert image["width"] == 960 and image["alt"] == "Cover Image"
    assert [r["width"] for r in image["renditions"]] == [400, 700, 960]
    first = image["renditions"][0]
    got = requests.get(api_url.split("/api/")[0] + first["url"], timeout=10)
    assert got.status_code == 200 and got.content[:4] == b"RIFF"  # WebP
    assert {s["title"] for s in page["sectors"]} == {"Buildings", "Electricity"}
    assert page["meta"]["last_published_at"]


def test_draft_edits_and_unpublished_pages_stay_out(api_url):
    live = SolutionPage.objects.get(slug="cargo-bikes")
    draft = live.get_latest_revision_as_object()
    draft.summary = "A DRAFT SUMMARY"
    draft.save_revision()
    assert _solution(api_url, "cargo-bikes")["summary"] != "A DRAFT SUMMARY"

    parent = live.get_parent()
    never = parent.add_child(
        instance=SolutionPage(title="Never Published", slug="never", live=False)
    )
    assert _solution(api_url, "never") is None
    assert requests.get(f"{api_url}pages/{never.pk}/", timeout=10).status_code == 404
    ids = requests.get(f"{api_url}pages/ids/", params=SOLUTION_IDS, timeout=10).json()
    assert live.pk in ids["ids"] and never.pk not in ids["ids"]

    draft.save_revision().publish()
    assert _solution(api_url, "cargo-bikes")["summary"] == "A DRAFT SUMMARY"


def test_private_pages_are_absent_everywhere(api_url):
    secret = SolutionPage.objects.get(slug="cover-crops")
    PageViewRestriction.objects.create(page=secret, restriction_type="password", password="x")
    linking = SolutionPage.objects.get(slug="reducing-food-waste")
    RelatedSolution.objects.create(page=linking, solution=secret)

    listing = requests.get(f"{api_url}pages/", params={"limit": 100}, timeout=10).json()
    assert secret.pk not in {item["id"] for item in listing["items"]}
    ids = requests.get(f"{api_url}pages/ids/", params=SOLUTION_IDS, timeout=10).json()
    assert linking.pk in ids["ids"] and secret.pk not in ids["ids"]
    assert requests.get(f"{api_url}page_preview/ids/", timeout=10).status_code == 404
    assert requests.get(f"{api_url}pages/{secret.pk}/", timeout=10).status_code == 404
    assert _solution(api_url, "reducing-food-waste")["related_solutions"] == []

    # a private sector disappears from the solutions that sit in it
    sector = SolutionPage.objects.get(slug="rooftop-solar").sector_links.first().sector
    PageViewRestriction.objects.create(page=sector, restriction_type="login")
    sectors = _solution(api_url, "rooftop-solar")["sectors"]
    assert sector.pk not in {s["id"] for s in sectors}


def test_listing_queries_do_not_grow_with_pages(published_sample, client, monkeypatch):
    """From MANY_PAGES pages' JSON made (2 here: the sample is small), a listing looks up
    every public URL at once; below it, only the links of the pages it makes."""
    from cms.api import views
    from cms.publishing.changes import outdate_every_serialised_page

    monkeypatch.setattr(views, "MANY_PAGES", 2)

    def queries(limit):
        outdate_every_serialised_page()  # each page's JSON is made, not the kept JSON used
        with CaptureQueriesContext(connection) as captured:
            response = client.get(
                "/api/v2/pages/",
                {"type": "solutions.SolutionPage", "fields": "*", "limit": limit},
            )
            assert response.status_code == 200
        return len(captured)

    queries(9)  # renditions are made on first use; measure the steady state
    assert queries(9) <= queries(2) + 2


def test_changes_lists_what_changed_since_a_time(api_url):
    before = requests.get(
        f"{api_url}changes/", params={"since": "2999-01-01T00:00:00Z"}, timeout=10
    ).json()["until"]
    page = SolutionPage.objects.get(slug="electric-buses")
    page.save_revision().publish()
    other = SolutionPage.objects.get(slug="cargo-bikes")
    other.unpublish()
    answer = requests.get(f"{api_url}changes/", params={"since": before}, timeout=10).json()
    actions = {c["id"]: c["action"] for c in answer["changes"]}
    assert actions == {page.pk: "published", other.pk: "unpublished"}
    bad = requests.get(f"{api_url}changes/", params={"since": "yesterday"}, timeout=10)
    assert bad.status_code == 400 and "ISO 8601" in bad.json()["message"]


def test_changes_never_tell_the_ids_of_pages_that_were_not_public(api_url):
    from wagtail.models import PageViewRestriction

    before = requests.get(
        f"{api_url}changes/", params={"since": "2999-01-01T00:00:00Z"}, timeout=10
    ).json()["until"]
    shown = SolutionPage.objects.get(slug="electric-buses")
    index = shown.get_parent()
    hidden = index.add_child(
        instance=SolutionPage(
            title="Secret Plan", slug="secret-plan", summary="Not yet.", live=False
        )
    )
    PageViewRestriction.objects.create(page=hidden, restriction_type="password", password="x")
    hidden.save_revision().publish()  # live, but behind a password: never on the site
    PageViewRestriction.objects.create(page=shown, restriction_type="password", password="x")
    answer = requests.get(f"{api_url}changes/", params={"since": before}, timeout=10).json()
    ids = {change["id"] for change in answer["changes"]}
    assert shown.pk in ids  # it was public: the site must drop it
    assert hidden.pk not in ids


def test_the_glossary_gives_its_terms_and_a_term_edit_is_a_change_of_its_page(api_url, tmp_path):
    glossary = tmp_path / "glossary.md"
    glossary.write_text(
        "# Glossary\n\n#### Albedo\n\nHow much light a surface *reflects*.\n\n"
        "#### Carbon Budget\n\nThe CO₂ we can still emit.\n"
    )
    sector = SolutionPage.objects.get(slug="cargo-bikes").sector_links.first().sector
    source = (SAMPLE_CONTENT / f"sector-{sector.slug}.md").read_text()
    (tmp_path / f"sector-{sector.slug}.md").write_text(
        source.replace(
            "## Sector Overview\n\n",
            "## Sector Overview\n\nWithin our [carbon budget](../glossary/#carbon-budget) "
            "and our [other budget](../glossary/#no-such-term).\n\n",
        )
    )
    report = import_pages([tmp_path], ImportOptions(publish=True))
    assert [str(problem) for problem in report.failed] == []
    assert any("no-such-term" in str(warning) for warning in report.warnings)
    page = GlossaryPage.objects.live().get()
    document = requests.get(f"{api_url}pages/{page.pk}/", timeout=10).json()
    assert [t["slug"] for t in document["terms"]] == ["albedo", "carbon-budget"]
    assert document["terms"][0]["definition"] == "<p>How much light a surface <i>reflects</i>.</p>"

    def sector_html():  # as the exporter lists it (kept JSON, see serialised.py)
        sectors = _solutions(api_url, type="solutions.SectorPage")
        detail = requests.get(f"{api_url}pages/{sector.pk}/", timeout=10).json()
        assert sectors[sector.pk]["body"] == detail["body"]
        return str(detail["body"])

    assert 'href="/glossary/#carbon-budget"' in sector_html()
    assert "no-such-term" not in sector_html()  # no such term: the text stays, unlinked

    before = requests.get(
        f"{api_url}changes/", params={"since": "2999-01-01T00:00:00Z"}, timeout=10
    ).json()["until"]
    term = GlossaryTerm.objects.get(slug="albedo")
    term.definition = "<p>Reflectivity.</p>"
    term.save()
    answer = requests.get(f"{api_url}changes/", params={"since": before}, timeout=10).json()
    assert page.pk in {change["id"] for change in answer["changes"]}

    page.unpublish()  # the links to it lose their anchor, as page links do
    assert "/glossary/" not in sector_html() and "carbon budget" in sector_html()
    page.save_revision().publish()  # and get it back when it is there again
    assert 'href="/glossary/#carbon-budget"' in sector_html()


def test_organisations_and_sources_reach_pages_when_published_not_when_drafted(api_url):
    """Organisations and sources have drafts and revisions, as pages do: a draft changes
    nothing readers see (and asks for no build); publishing it does; an unpublished or
    never-published record is left off every page."""
    from wagtail.actions.unpublish import UnpublishAction

    from cms.publishing.models import SiteChange
    from cms.solutions.models import Organisation, SolutionMetric, Source

    page = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    irena = Organisation.objects.get(abbreviation="IRENA")

    def names() -> set[str]:
        return {o["name"] for o in _solution(api_url, page.slug)["organisations"]}

    assert "International Renewable Energy Agency" in names()

    changes = SiteChange.objects.count()
    irena.name = "IRENA (renamed in a draft)"
    irena.save_revision()
    assert SiteChange.objects.count() == changes  # a draft makes no change to the site
    assert "International Renewable Energy Agency" in names()
    assert Organisation.objects.get(pk=irena.pk).has_unpublished_changes

    irena.latest_revision.publish()
    assert "IRENA (renamed in a draft)" in names() and SiteChange.objects.count() > changes
    assert irena.revisions.count() == 1  # the history the admin compares and reverts
    UnpublishAction(Organisation.objects.get(pk=irena.pk)).execute(skip_permission_checks=True)
    assert not {n for n in names() if "IRENA" in n or "Renewable Energy Agency" in n}

    draft_source = Source(title="Heat pump study", url="https://example.org/study", live=False)
    draft_source.save()
    draft_source.save_revision()
    revision = page.get_latest_revision_as_object()
    revision.metrics = [SolutionMetric(label="Savings", value=50, unit="%", source=draft_source)]
    revision.save_revision().publish()
    metric = _solution(api_url, page.slug)["metrics"][0]
    assert metric["source"] is None and metric["sourced"] is False
    draft_source.latest_revision.publish()
    metric = _solution(api_url, page.slug)["metrics"][0]
    assert metric["source"]["title"] == "Heat pump study" and metric["sourced"] is True


def _photograph(title: str, width: int, height: int):
    """An image as an editor uploads it, not yet saved."""
    import io

    from django.core.files.images import ImageFile
    from PIL import Image
    from wagtail.images import get_image_model

    data = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(data, "JPEG")
    image = get_image_model()(title=title)
    image.file = ImageFile(io.BytesIO(data.getvalue()), name=f"{title.lower()}.jpg")
    return image


def test_a_wide_image_is_given_no_wider_than_a_page_shows_it(db):
    """A 3,000 px photograph: renditions up to 1,400 px (a 46rem column at twice the
    density), never the original's full width."""
    from cms.solutions.representation import image_representation

    image = _photograph("Wide field", 3000, 2000)
    image.save()
    shown = image_representation(image, "A wide field")
    assert [r["width"] for r in shown["renditions"]] == [400, 700, 1000, 1400]
    assert (shown["width"], shown["height"]) == (3000, 2000)  # the original's size, as said


def test_an_uploaded_image_is_resized_before_a_page_shows_it(
    db, django_capture_on_commit_callbacks
):
    """Publishing a page with a new picture does not wait for the picture to be resized:
    the sizes pages show are made when it is uploaded, and showing it makes none."""
    from cms.solutions.representation import image_representation

    image = _photograph("Orchard", 1200, 800)
    image.get_rendition_model().cache_backend.clear()  # of earlier tests' images, same ids
    with django_capture_on_commit_callbacks(execute=True):
        image.save()
    made = image.renditions.values_list("filter_spec", flat=True)
    assert sorted(made) == [
        "width-1000|format-webp",
        "width-1200|format-webp",
        "width-400|format-webp",
        "width-700|format-webp",
    ]
    with CaptureQueriesContext(connection) as captured:
        shown = image_representation(image, "An orchard")
    assert [r["width"] for r in shown["renditions"]] == [400, 700, 1000, 1200]
    assert not [q for q in captured if q["sql"].startswith("INSERT")]


def test_the_listing_keeps_each_pages_json_until_a_change_touches_it(api_url):
    """The exporter's listings join each page's JSON as it was made last, which is what
    Wagtail's own serialiser gives, until a change to the page, or to what it shows, or to
    a page it links to."""
    from cms.publishing.models import SerialisedPage

    first = _solutions(api_url)
    stored = SerialisedPage.objects.filter(page_id__in=first)
    assert stored.count() == len(first) > 5
    assert all(row.made_at_version == row.version for row in stored)
    assert _solutions(api_url) == first
    # a listing ordered otherwise is made by Wagtail's serialiser alone: the same pages
    assert _solutions(api_url, order="-title") == first

    heat_pumps = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    linking = SolutionPage.objects.get(slug="reducing-food-waste")
    RelatedSolution.objects.create(page=linking, solution=heat_pumps)
    linking.save_revision().publish()
    assert [s["title"] for s in _solution(api_url, linking.slug)["related_solutions"]] == [
        heat_pumps.title
    ]
    heat_pumps.title = "Heat pumps, renamed"
    heat_pumps.save_revision().publish()
    related = _solution(api_url, linking.slug)["related_solutions"]
    assert [s["title"] for s in related] == ["Heat pumps, renamed"]
    heat_pumps.unpublish()
    assert _solution(api_url, linking.slug)["related_solutions"] == []
    assert _solutions(api_url, order="-title") == _solutions(api_url)


def test_an_organisation_edit_makes_again_only_the_fields_that_show_it(api_url, monkeypatch):
    """An organisation renamed on many pages changes their organisations, nothing else: the
    listing makes only that field of each page again, from its kept JSON, and gives what
    Wagtail's serialiser gives in full. A page published is made again in full, with the
    pages that link to it."""
    from wagtail.api.v2.serializers import BaseSerializer

    from cms.publishing.changes import live_pages_showing, pages_referring_to_any
    from cms.solutions.models import Organisation

    before = _solutions(api_url)
    irena = Organisation.objects.get(abbreviation="IRENA")
    showing = set(live_pages_showing(irena)) & before.keys()
    assert showing
    in_full = []
    whole = BaseSerializer.to_representation
    monkeypatch.setattr(
        BaseSerializer,
        "to_representation",
        lambda self, page: in_full.append(page.pk) or whole(self, page),
    )

    irena.name = "IRENA, the renewable energy agency"
    irena.save_revision().publish()
    after = _solutions(api_url)
    assert in_full == []
    for pk, page in after.items():
        names = {o["name"] for o in page["organisations"]}
        assert ("IRENA, the renewable energy agency" in names) == (pk in showing)
        assert {**page, "organisations": None} == {**before[pk], "organisations": None}

    heat_pumps = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    heat_pumps.save_revision().publish()
    republished = _solutions(api_url)
    linking = set(pages_referring_to_any([heat_pumps.pk])) & after.keys()  # show its title
    assert sorted(in_full) == sorted({heat_pumps.pk, *linking})
    assert {**republished, heat_pumps.pk: None} == {**after, heat_pumps.pk: None}
    monkeypatch.undo()
    assert _solutions(api_url, order="-title") == republished  # Wagtail's own serialiser


def test_json_made_while_a_change_commits_is_not_used(published_sample):
    """The page's version is read before its JSON is made: JSON made from the page as it
    was before a change (committed meanwhile) is stored, but never used."""
    from cms.api.serialised import listing_items
    from cms.publishing.changes import outdate_serialised

    page = SolutionPage.objects.get(slug="cargo-bikes")
    made = []

    def make(ids, kept):
        made.append(ids)
        if len(made) == 1:
            outdate_serialised([page.pk])  # a change to the page commits meanwhile
        return {pk: (f'"JSON {len(made)}"', set()) for pk in ids}

    assert listing_items([page.pk], "v", make) == ['"JSON 1"']
    assert listing_items([page.pk], "v", make) == ['"JSON 2"']  # made again
    assert listing_items([page.pk], "v", make) == ['"JSON 2"']  # now kept
    assert listing_items([page.pk], "other host", make) == ['"JSON 3"']
    assert made == [[page.pk]] * 3


def test_after_a_release_the_worker_makes_each_pages_json_before_a_full_export_needs_it(
    api_url, tmp_path, monkeypatch
):
    """A release outdates every page's kept JSON. The worker's upkeep has the CMS make it
    again, through the listings a full export reads, unless a build is due (that comes
    first) or its time is up; the full export after it makes no page's JSON."""
    from django.utils import timezone

    from cms.api.views import PublicPagesAPIViewSet
    from cms.publishing.changes import outdate_every_serialised_page
    from cms.publishing.json_ahead import make_json_ahead, pages_to_make
    from cms.publishing.models import Build
    from content_export.export import export

    outdate_every_serialised_page()  # as migrating a release does
    waiting = pages_to_make()
    Build.objects.filter(status=Build.Status.PENDING).delete()  # the sample's publishing
    due = Build.objects.create(not_before=timezone.now())
    assert make_json_ahead(api_url) == 0
    due.delete()
    assert make_json_ahead(api_url, seconds=0) == 0  # its share of the upkeep is spent
    assert pages_to_make() == waiting

    assert make_json_ahead(api_url) == sum(map(len, waiting.values()))
    assert pages_to_make() == {}
    made = []
    make_json = PublicPagesAPIViewSet.make_json
    monkeypatch.setattr(
        PublicPagesAPIViewSet,
        "make_json",
        lambda view, ids, kept: made.extend(ids) or make_json(view, ids, kept),
    )
    exported = export(api_url, tmp_path, full=True)
    assert exported.pages == sum(map(len, waiting.values())) > 10
    assert made == []
