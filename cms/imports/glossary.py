"""Import the handbook's glossary.md: each term heading ("#### Carbon Budget") and the text
under it become a glossary term, and the site gets its glossary page if it has none. Terms
come in before the pages that link to them (“../glossary/#carbon-budget”)."""

from pathlib import Path

from bs4 import BeautifulSoup
from django.db import transaction
from django.utils.text import slugify

from cms.glossary.models import GlossaryPage, GlossaryTerm
from cms.home.site_structure import SiteStructure
from content_export.richtext import clean_html

from .markdown_source import as_wagtail_tags, decode, markdown_to_html
from .source import ImportProblem

GLOSSARY_FILE = "glossary.md"
TERM_HEADINGS = ("h2", "h3", "h4")


def is_glossary(path: Path) -> bool:
    return path.name == GLOSSARY_FILE


def glossary_files(paths: list[Path]) -> list[Path]:
    """glossary.md given as a file, or found in a folder given."""
    found = [path / GLOSSARY_FILE if path.is_dir() else path for path in paths]
    return [path for path in found if is_glossary(path) and path.is_file()]


def read_terms(path: Path) -> list[tuple[str, str, int]]:
    """(term, definition HTML, line) for each term heading of the file, in its order."""
    text = decode(path, path.read_bytes())
    lines = {line.strip().lstrip("#").strip(): n for n, line in enumerate(text.splitlines(), 1)}
    html = markdown_to_html(text)
    terms = []
    for heading in BeautifulSoup(html, "html.parser").find_all(TERM_HEADINGS):
        parts = []
        for sibling in heading.find_next_siblings():
            if sibling.name in ("h1", *TERM_HEADINGS):
                break
            parts.append(str(sibling))
        term = heading.get_text(" ", strip=True)
        if term:
            definition = as_wagtail_tags(BeautifulSoup("".join(parts), "html.parser"))
            terms.append((term, clean_html(str(definition)), lines.get(term, 1)))
    if not terms:
        raise ImportProblem(
            path, 1, "has no terms (a term is a heading with its definition under it)"
        )
    return terms


@transaction.atomic
def import_glossary(
    path: Path, structure: SiteStructure, *, publish: bool
) -> tuple[GlossaryPage, list[ImportProblem]]:
    """Add or update the file's terms (by their link name) and make the glossary page; the
    warnings say which terms have no definition yet."""
    warnings = []
    for term, definition, line in read_terms(path):
        slug = slugify(term)[:120]
        known = GlossaryTerm.objects.filter(slug=slug).first()
        if known is None:
            GlossaryTerm.objects.create(slug=slug, term=term, definition=definition)
        elif (known.term, known.definition) != (term, definition):  # else: nothing to rebuild
            known.term, known.definition = term, definition
            known.save()
        if not BeautifulSoup(definition, "html.parser").get_text(strip=True):
            warnings.append(
                ImportProblem(
                    path, line, f"Term “{term}” has no definition; add one under Glossary"
                )
            )
    page = GlossaryPage.objects.first()
    if page is None:
        page = structure.home.add_child(instance=GlossaryPage(title="Glossary", slug="glossary"))
    if publish and not page.live:
        page.save_revision().publish()
    return page, warnings


def glossary_link(href_fragment: str) -> str | None:
    """The site path of the glossary (at a term's anchor, if the link names one), or None
    if the site has no glossary or no such term."""
    page = GlossaryPage.objects.first()
    if page is None:
        return None
    if href_fragment and not GlossaryTerm.objects.filter(slug=href_fragment).exists():
        return None
    path = page.get_url_parts()[2]
    return f"{path}#{href_fragment}" if href_fragment else path
