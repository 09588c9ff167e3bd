"""The whole real handbook: 93 solutions and 14 sectors import, export and build. The corpus
is imported once for this module (conftest.py); both tests start from that import."""

import json
import re

import pytest
from bs4 import BeautifulSoup
from django.utils.text import slugify
from wagtail.models import Revision

from cms.glossary.models import GlossaryPage, GlossaryTerm
from cms.imports.models import ImportNote
from cms.solutions.models import Organisation, SectorPage, SolutionPage
from content_export.export import export
from site_builder.build import build
from site_builder.checks import check_release, parse_errors
from tests.conftest import CORPUS_DOCS, SITE_URL, run_import

pytestmark = pytest.mark.corpus


def test_whole_corpus_imports(imported_corpus):
    code, out, err = imported_corpus
    assert code == 0, err
    assert SolutionPage.objects.live().count() == 93
    assert SectorPage.objects.live().count() == 14
    heat_pumps = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    assert {link.sector.title for link in heat_pumps.sector_links.all()} == {
        "Electricity",
        "Buildings",
    }
    in_two = [p for p in SolutionPage.objects.all() if p.sector_links.count() == 2]
    assert len(in_two) == 30  # Indigenous Peoples’ Forest Tenure: also listed by a malformed link
    assert Organisation.objects.filter(abbreviation="IRENA").count() == 1
    # image credits are the covers' credits, never a page's summary
    assert not SolutionPage.objects.filter(summary__istartswith="image from").exists()
    retrofitting = SolutionPage.objects.get(slug="building-retrofitting")
    assert "Bloomberg Green" in retrofitting.cover_caption
    # the corpus's two malformed sector links name their solution by its title
    broken = ImportNote.objects.filter(kind="broken_link", target__startswith="../solution-")
    assert broken.count() == 0
    tenure = SolutionPage.objects.get(slug="indigenous-peoples-forest-tenure")
    assert "food-agriculture-and-land-use" in {s.sector.slug for s in tenure.sector_links.all()}
    assert "sector-land-sinks.md:52" not in err
    # the glossary: its terms, and the links to them kept, to their anchors
    assert not ImportNote.objects.filter(kind="broken_link", target__contains="glossary")
    budget = GlossaryTerm.objects.get(slug="carbon-budget")
    assert budget.term == "Carbon Budget" and "carbon dioxide" in budget.definition
    assert GlossaryTerm.objects.filter(slug="positive-feedback-loop").exists()
    assert "Term “Force Multiplier” has no definition" in err
    assert GlossaryPage.objects.live().get().url_path.endswith("/glossary/")
    buildings = SectorPage.objects.get(slug="buildings")
    assert 'href="/glossary/#carbon-budget"' in str(buildings.body.raw_data)
    # importing again changes nothing: no page, no revision, nothing to rebuild
    revisions = Revision.objects.count()
    code, out, err = run_import(CORPUS_DOCS)
    assert code == 0, err
    assert "(107 unchanged)" in out
    assert SolutionPage.objects.count() == 93 and SectorPage.objects.count() == 14
    assert Revision.objects.count() == revisions


def test_whole_corpus_builds_and_passes_the_checks(imported_corpus, live_server, tmp_path):
    code, _, err = imported_corpus
    assert code == 0, err
    snapshot = tmp_path / "snapshot"
    result = export(f"{live_server.url}/api/v2/", snapshot)
    assert result.pages == 93 + 14 + 5  # and home, two indexes, contribute, glossary
    built = build(snapshot, tmp_path / "public", site_url=SITE_URL)
    live = tmp_path / "public" / "current"
    assert (
        check_release(
            live,
            [
                e["url_path"]
                for e in json.loads((snapshot / "manifest.json").read_text())["pages"].values()
            ],
        )
        == []
    )
    assert built.pages == 112
    glossary = BeautifulSoup((live / "glossary/index.html").read_text(), "html.parser")
    budget = glossary.find("dt", id="carbon-budget")
    assert budget.text == "Carbon Budget" and "carbon dioxide" in budget.find_next("dd").text
    buildings = (live / "sectors/buildings/index.html").read_text()
    assert 'href="/glossary/#carbon-budget"' in buildings  # and check_release found its anchor
    assert parse_errors(live) == []
    heat = BeautifulSoup(
        (live / "solutions/high-efficiency-heat-pumps/index.html").read_text(), "html.parser"
    )
    assert {a.get_text() for a in heat.select(".eyebrow a")} == {"Electricity", "Buildings"}
    # lists written right under a paragraph are lists: no page shows a literal "* " line
    manifest = json.loads((snapshot / "manifest.json").read_text())
    solution_files = [
        live / entry["url_path"].strip("/") / "index.html"
        for entry in manifest["pages"].values()
        if entry["type"] == "solutions.SolutionPage"
    ]
    assert len(solution_files) == 93
    literal = [
        path.parent.name
        for path in solution_files
        if re.search(
            r"(?m)^\s*[*-] \S",
            BeautifulSoup(path.read_text(), "html.parser").select_one("article").get_text("\n"),
        )
    ]
    assert literal == []

    # every sector page lists the solutions its source lists, in the source's order
    for source in sorted(CORPUS_DOCS.glob("sector-*.md")):
        listed = []
        for text, slug in _SOLUTION_LINK.findall(source.read_text()):
            if not (live / "solutions" / slug).is_dir():  # a malformed address: its title
                slug = slugify(text)
            if slug not in listed:
                listed.append(slug)
        sector = BeautifulSoup(
            (live / "sectors" / source.stem.removeprefix("sector-") / "index.html").read_text(),
            "html.parser",
        )
        shown = [a["href"].split("/")[-2] for a in sector.select(".cards h3 a")]
        assert shown == listed, source.name


_SOLUTION_LINK = re.compile(r"\[([^\]]+)\]\(\.\./solution-([^/)]+)/?\)")
