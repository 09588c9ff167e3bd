"""The whole real handbook imports: 93 solutions and 14 sectors."""

import pytest

from cms.imports.models import ImportNote
from cms.solutions.models import Organisation, SectorPage, SolutionPage
from tests.conftest import CORPUS_DOCS, run_import

pytestmark = [pytest.mark.corpus, pytest.mark.xdist_group("corpus")]


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
    assert len(in_two) == 29
    assert Organisation.objects.filter(abbreviation="IRENA").count() == 1
    # the corpus's two broken sector links are reported with file and line, not fatal
    broken = ImportNote.objects.filter(kind="broken_link", target__startswith="../solution-")
    assert broken.count() == 2
    assert "sector-land-sinks.md:" in err
    # re-import is idempotent
    code, _, err = run_import(CORPUS_DOCS)
    assert code == 0, err
    assert SolutionPage.objects.count() == 93 and SectorPage.objects.count() == 14
