"""The seed page imports without loss, into a structured page editors can work on."""

import re

import pytest
from bs4 import BeautifulSoup
from django.conf import settings

from cms.imports.markdown_source import markdown_to_html
from cms.solutions.models import Organisation, SolutionPage
from tests.conftest import SAMPLE_CONTENT, SEED, run_import

pytestmark = pytest.mark.django_db


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _reference_blocks():
    """The seed as its author meant it: as MkDocs showed it (Python-Markdown with the
    handbook's extensions), except that a list written right under a paragraph is a list,
    as CommonMark reads it (MkDocs left its lines as `* …` text in the paragraph)."""
    body = SEED.read_text().split("---", 2)[2]
    body = re.sub(r"(?m)^([A-Za-z][^\n]*)\n(\* |- |\d+\. )", "\\1\n\n\\2", body)
    soup = BeautifulSoup(markdown_to_html(body), "html.parser")
    return soup


@pytest.fixture
def seed_page(client):
    code, _, err = run_import(SEED)
    assert code == 0, err
    page = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    response = client.get(page.url)
    assert response.status_code == 200
    article = BeautifulSoup(response.content, "html.parser").select_one("article.page-body")
    return page, article


def test_every_heading_list_item_and_paragraph_is_on_the_page_in_order(seed_page):
    _, article = seed_page
    reference = _reference_blocks()
    assert [h.get_text() for h in article.find_all("h2")] == [
        h.get_text() for h in reference.find_all("h2")
    ]
    page_items = [_norm(li.get_text()) for li in article.find_all("li")]
    assert page_items == [_norm(li.get_text()) for li in reference.find_all("li")]

    page_text = _norm(article.get_text(" "))
    position = 0
    for block in reference.find_all(["p", "li", "h2"]):
        text = _norm(block.get_text(" "))
        if not text:
            continue
        found = page_text.find(text, position)
        assert found >= 0, f"missing or out of order: {text[:80]!r}"
        position = found
    assert "This a sample ChatGPT page" in page_text  # typos are kept
    assert "consumes.Heat pumps" in page_text


def test_structure_sections_organisations_cover_and_links(seed_page):
    page, article = seed_page
    sections = [block for block in page.body if block.block_type == "section"]
    assert [s.value["key"] for s in sections] == [
        "overview",
        "progress",
        "lessons",
        "challenges",
        "path_forward",
    ]
    assert [s.value["anchor"] for s in sections][:2] == ["overview", "progress-made"]
    assert [a["id"] for a in article.find_all("section")][:2] == ["overview", "progress-made"]

    organisations = {m.organisation for m in page.organisation_mentions.all()}
    assert len(organisations) == 10
    # numbered in the page's order, as the editor's form numbers them: without a number,
    # PostgreSQL may give them in another order from one export to the next
    mentions = list(page.organisation_mentions.all())
    assert [m.sort_order for m in mentions] == list(range(len(mentions)))
    assert [m.pk for m in mentions] == sorted(m.pk for m in mentions)
    irena = Organisation.objects.get(abbreviation="IRENA")
    assert irena.name == "International Renewable Energy Agency"
    assert Organisation.objects.filter(name__icontains="Renewable Energy Agency").count() == 1

    # the cover is a Wagtail image whose real format (WebP) was read from the bytes
    assert page.cover_image.file.name.endswith(".webp")
    assert page.cover_alt == "Cover Image"
    assert article.select_one("figure.cover img")["alt"] == "Cover Image"

    # the admonition's ../../contribute link is a link to the contribute page (which, like
    # every link the CMS makes to a page, leads to the public site)
    callout = page.body[0]
    assert callout.block_type == "callout" and callout.value["kind"] == "info"
    assert 'linktype="page"' in callout.value["title"].source
    contribute = f"{settings.PUBLIC_SITE_URL}/contribute/"
    assert article.find("a", string="Help us")["href"] == contribute

    assert page.source_markdown == SEED.read_text()
    assert page.live and page.editorial_status == "ai_draft"


def test_reimport_leaves_an_unchanged_page_alone_and_updates_a_changed_one(seed_page, workdir):
    page, _ = seed_page
    revisions = page.revisions.count()
    organisations = Organisation.objects.count()
    # the same file again: nothing new to review, publish or rebuild
    code, out, err = run_import(SEED)
    assert code == 0, err
    assert "Imported 1 page(s), published (1 unchanged)" in out
    assert page.revisions.count() == revisions
    # a changed file: a new revision, published, and still one page, no new organisation
    edited = workdir / SEED.name
    edited.write_text(SEED.read_text().replace("## Overview", "## Overview\n\nRevised in 2026."))
    code, out, err = run_import(edited)
    assert code == 0, err
    assert "unchanged" not in out
    assert SolutionPage.objects.filter(slug="high-efficiency-heat-pumps").count() == 1
    page.refresh_from_db()
    assert page.revisions.count() == revisions + 1 and page.live_revision == page.latest_revision
    assert "Revised in 2026." in str(page.body.raw_data)
    assert Organisation.objects.count() == organisations
    from wagtail.images import get_image_model

    assert get_image_model().objects.count() == 1


def test_sample_content_imports_with_sectors_and_a_reported_broken_link(client):
    code, out, err = run_import(SAMPLE_CONTENT)
    assert code == 0, err
    assert SolutionPage.objects.live().count() >= 9
    from cms.solutions.models import SectorPage

    assert SectorPage.objects.live().count() >= 4
    heat_pumps = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    assert sorted(link.sector.title for link in heat_pumps.sector_links.all()) == [
        "Buildings",
        "Electricity",
    ]
    assert sum(link.is_primary for link in heat_pumps.sector_links.all()) == 1
    # a link to a page that is not in the sample content: kept, warned about, listed
    assert "solution-reducing-food-waste.md:" in err and "solution-methane-digesters" in err
    from cms.imports.models import ImportNote

    note = ImportNote.objects.get(target="../solution-methane-digesters")
    assert note.page.slug == "reducing-food-waste" and note.line > 0
    # tables, figures with captions, quotes and collapsible callouts come through
    batteries = SolutionPage.objects.get(slug="grid-scale-batteries")
    html = client.get(batteries.url).content.decode()
    assert '<th scope="col">Technology</th>' in html and "Flow batteries" in html
    assert "How a battery shifts solar power into the evening" in html
    assert "<blockquote>" in html
    rooftop = SolutionPage.objects.get(slug="rooftop-solar")
    callouts = [
        b
        for s in rooftop.body
        if s.block_type == "section"
        for b in s.value["content"]
        if b.block_type == "callout"
    ]
    assert callouts and callouts[0].value["collapsible"] is True
