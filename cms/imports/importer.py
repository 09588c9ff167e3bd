"""Write parsed handbook pages into Wagtail: pages, images, organisations, sector links.

Each file is imported in its own transaction: a file that fails leaves nothing behind and
the others carry on. Importing a file again updates its page with a new revision, unless
the page would not change: then it is left as it is (no revision, nothing to rebuild).
"""

import hashlib
import io
import json
import posixpath
from dataclasses import dataclass, field
from html import escape, unescape
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from django.core.files.images import ImageFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from modelcluster.models import get_all_child_relations
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Orderable, Page, ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update

from cms.home.site_structure import SiteStructure, ensure_site_structure
from cms.solutions.models import (
    HandbookPage,
    Organisation,
    OrganisationMention,
    SectorMetric,
    SectorPage,
    SectorSolution,
    SolutionPage,
    SolutionSectorLink,
)
from content_export.richtext import clean_html, safe_url

from .glossary import glossary_files, glossary_link, import_glossary, is_glossary
from .markdown_source import as_wagtail_tags, is_relative_link, page_kind, read_page
from .models import ImportNote
from .remote_images import Unavailable, download_image
from .source import ImportProblem, Node, SourceImage, SourcePage

# Stored rich text keeps Wagtail's page links (<a linktype="page" id="3">) until the API
# turns them into public URLs.
STORED_LINK_ATTRIBUTES = frozenset({"href", "linktype", "id"})
IMAGE_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "AVIF": "avif"}
# What an import writes into a page (the fields of both kinds; a kind lacks some).
IMPORTED_FIELDS = (
    "title",
    "summary",
    "body",
    "source_path",
    "source_markdown",
    "source_commit",
    "source_license",
    "editorial_status",
    "cover_image",
    "cover_image_url",
    "cover_alt",
    "cover_caption",
    "organisation_mentions",
    "sector_links",
    "ordered_solutions",
    "icon",
    "metrics",
)


@dataclass
class ImportReport:
    imported: list[Page] = field(default_factory=list)
    unchanged: list[Page] = field(default_factory=list)  # imported again, as they were
    failed: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)


@dataclass
class ImportOptions:
    publish: bool = False
    source_commit: str = ""
    source_license: str = ""


def source_files(paths: list[Path]) -> list[Path]:
    """Files to import: each file given, and the solution and sector pages of each folder.
    Solutions come first so that sector pages can link to them."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.glob("solution-*.md")) + sorted(path.glob("sector-*.md"))
        elif not is_glossary(path):  # the glossary is imported first (import_glossary)
            files.append(path)
    return sorted(dict.fromkeys(files), key=lambda f: (page_kind(f) != "solution", f.name))


def import_pages(paths: list[Path], options: ImportOptions | None = None) -> ImportReport:
    options = options or ImportOptions()
    report = ImportReport()
    structure = ensure_site_structure()
    for path in glossary_files(paths):  # before the pages that link to its terms
        try:
            page, warnings = import_glossary(path, structure, publish=options.publish)
        except ImportProblem as problem:
            report.failed.append(problem)
        else:
            report.imported.append(page)
            report.warnings += warnings
    sources: list[SourcePage] = []
    for path in source_files(paths):
        try:
            sources.append(read_page(path))
        except ImportProblem as problem:
            report.failed.append(problem)
        except OSError as error:
            report.failed.append(ImportProblem(path, 1, f"cannot be read: {error.strerror}"))

    # Every page needs an id before any other page can link to it: create missing ones first.
    new_pages = {
        source.path: page for source in sources if (page := _create_if_missing(source, structure))
    }
    sector_plan = SectorPlan(sources, structure)
    for source in sources:
        try:
            # Wagtail would re-index a page's references at each of its saves (draft, publish,
            # each sector link): index each changed page once, as the file's last step.
            with transaction.atomic(), disable_reference_index_auto_update():
                writer = _PageWriter(source, structure, options, report, sector_plan)
                page = writer.write()
                changed = [
                    *Page.objects.filter(pk__in=writer.changed_pages).specific(),
                    *get_image_model().objects.filter(pk__in=writer.images.values()),
                ]
                for instance in changed:
                    ReferenceIndex.create_or_update_for_object(instance)
            report.imported.append(page)
            if not writer.changed_pages:
                report.unchanged.append(page)
        except ImportProblem as problem:
            report.failed.append(problem)
            _discard(new_pages.get(source.path))
        except Exception as error:  # a bug or a database error: name the file, carry on
            report.failed.append(ImportProblem(source.path, 1, f"could not be saved: {error!r}"))
            _discard(new_pages.get(source.path))
    return report


def _parent_and_model(source: SourcePage, structure: SiteStructure):
    if source.kind == "solution":
        return structure.solutions, SolutionPage
    return structure.sectors, SectorPage


def _create_if_missing(source: SourcePage, structure: SiteStructure) -> Page | None:
    parent, model = _parent_and_model(source, structure)
    if model.objects.child_of(parent).filter(slug=source.slug).exists():
        return None
    return parent.add_child(instance=model(title=source.title, slug=source.slug, live=False))


def _discard(page: Page | None) -> None:
    if page is not None:
        page.delete()


class _PageWriter:
    """Writes one source page; collects import notes as it resolves links and images."""

    def __init__(
        self,
        source: SourcePage,
        structure: SiteStructure,
        options: ImportOptions,
        report: ImportReport,
        sector_plan: "SectorPlan",
    ):
        self.source, self.structure, self.options, self.report = source, structure, options, report
        self.sector_plan = sector_plan
        self.notes: list[ImportNote] = []
        self.images: dict[str, int] = {}
        self.changed_pages: set[int] = set()  # ids of the pages this file saved

    def write(self) -> HandbookPage:
        parent, model = _parent_and_model(self.source, self.structure)
        live_page = model.objects.child_of(parent).get(slug=self.source.slug)
        page = live_page.get_latest_revision_as_object()
        before = imported_content(page)
        page.title = self.source.title
        page.summary = self.source.summary
        page.body = [self.block(node) for node in self.source.body]
        page.source_path = str(self.source.path)
        page.source_markdown = self.source.markdown
        page.source_commit = self.options.source_commit or page.source_commit
        page.source_license = self.options.source_license or page.source_license
        page.imported_at = timezone.now()
        if "ChatGPT" in self.source.markdown:
            page.editorial_status = "ai_draft"
        for line, message in self.source.notices:
            self.note("missing_image", line, "", message)
        listed_solutions: list[int] = []
        if isinstance(page, SolutionPage):
            self.solution_fields(page)
            page.sector_links = self.sector_plan.links_of(page)
        else:
            self.sector_fields(page)
            listed_solutions = self.listed_solutions()
            page.ordered_solutions = [SectorSolution(solution_id=pk) for pk in listed_solutions]
        published = live_page.live and not live_page.has_unpublished_changes
        if imported_content(page) != before or (self.options.publish and not published):
            number_rows(page)
            revision = page.save_revision(log_action=True, clean=True)
            if self.options.publish:
                revision.publish()
            self.changed_pages.add(live_page.pk)
        ImportNote.objects.filter(page=live_page).delete()
        for note in self.notes:
            note.page = live_page
        ImportNote.objects.bulk_create(self.notes)
        if isinstance(page, SectorPage):
            for page_id in set(
                SolutionSectorLink.objects.filter(sector=live_page).values_list(
                    "page_id", flat=True
                )
            ) | set(listed_solutions):
                solution = SolutionPage.objects.get(pk=page_id)
                if _set_sector_link(
                    solution, live_page, page_id in listed_solutions, self.options.publish
                ):
                    self.changed_pages.add(page_id)
        return live_page

    # --- fields ---------------------------------------------------------------------
    def solution_fields(self, page: SolutionPage) -> None:
        cover = self.source.cover
        page.cover_image_id = self.image_id(cover, "The cover picture") if cover else None
        page.cover_image_url = cover.src if cover and not page.cover_image_id else ""
        page.cover_alt = cover.alt if cover else ""
        page.cover_caption = self.rich_text(self.source.cover_caption, inline=True)
        mentions: dict[tuple[int, str], OrganisationMention] = {}
        for name in self.source.organisations:
            organisation = find_or_create_organisation(name.name, name.abbreviation)
            key = (organisation.pk, name.section_key)
            if key not in mentions:
                mentions[key] = OrganisationMention(
                    organisation=organisation, section_key=name.section_key, note=name.note
                )
        page.organisation_mentions = list(mentions.values())

    def sector_fields(self, page: SectorPage) -> None:
        page.icon = self.source.icon
        page.metrics = [
            SectorMetric(label=m.label, value=m.value, value_max=m.value_max, unit=m.unit)
            for m in self.source.metrics
        ]

    def listed_solutions(self) -> list[int]:
        """The ids of the solutions the sector's page lists, in its order."""
        listed: dict[int, None] = {}
        for link in self.source.solution_links:
            target = self.resolve(link.href, link.line, link.text)
            if isinstance(target, SolutionPage):
                listed[target.pk] = None
        return list(listed)

    # --- blocks ---------------------------------------------------------------------
    def block(self, node: Node) -> dict:
        data = node.data
        match node.type:
            case "section":
                value = {**data, "content": [self.block(child) for child in data["content"]]}
            case "paragraph":
                value = self.rich_text(data["html"], inline=True)
            case "subheading":
                value = data["text"]
            case "list":
                value = {
                    "ordered": data["ordered"],
                    "items": [self.rich_text(item, inline=True) for item in data["items"]],
                }
            case "definitions":
                value = {
                    "items": [
                        {**item, "definition": self.rich_text(item["definition"], inline=True)}
                        for item in data["items"]
                    ]
                }
            case "callout":
                value = {
                    "kind": data["kind"],
                    "title": self.rich_text(data["title"], inline=True),
                    "body": self.rich_text(data["body"]),
                    "collapsible": data["collapsible"],
                }
            case "quote":
                value = {"text": self.rich_text(data["text"]), "attribution": data["attribution"]}
            case "table":
                value = {
                    "caption": data["caption"],
                    "columns": [{"type": "text", "heading": h} for h in data["header"]],
                    "rows": [
                        {"values": [self.rich_text(cell, inline=True) for cell in row]}
                        for row in data["rows"]
                    ],
                }
            case "video":
                if safe_url(data["url"]) is None:
                    self.unsafe_link(data["url"], data["title"] or "Video")
                    title = escape(data["title"] or "Video")
                    return {"type": "paragraph", "value": f"<p>{title}</p>"}
                value = {
                    "url": data["url"],
                    "title": data["title"] or "Video",
                    "caption": self.rich_text(data.get("caption", ""), inline=True),
                }
            case "figure":
                image: SourceImage = data["image"]
                image_id = self.image_id(image, "The picture")
                if image_id is None:
                    link = f'<a href="{escape(image.src)}">{escape(image.alt or image.src)}</a>'
                    return {"type": "paragraph", "value": f"<p>{link}</p>"}
                value = {
                    "image": image_id,
                    "alt": data["alt"],
                    "caption": self.rich_text(data["caption"], inline=True),
                }
            case _:
                raise ImportProblem(
                    self.source.path, 1, f"has a block the importer does not know: {node.type}"
                )
        return {"type": node.type, "value": value}

    def rich_text(self, html: str, inline: bool = False) -> str:
        """Python-Markdown HTML → Wagtail's stored rich text: page links by id, <b>/<i>."""
        if not html:
            return ""
        soup = as_wagtail_tags(BeautifulSoup(html, "html.parser"))
        for anchor in soup.find_all("a"):
            href = anchor.get("href", "")
            if not is_relative_link(href) and safe_url(href) is None:
                self.unsafe_link(href, anchor.get_text())
                anchor.unwrap()
                continue
            target = (
                self.resolve(href, self.line_of(href), anchor.get_text())
                if is_relative_link(href)
                else None
            )
            anchor.attrs = (
                {"linktype": "page", "id": str(target.pk)}
                if isinstance(target, Page)
                else {"href": target or href}
            )
        text = str(soup)
        if inline:
            text = f"<p>{text}</p>"
        return clean_html(text, link_attributes=STORED_LINK_ATTRIBUTES)

    def line_of(self, href: str) -> int:
        """The line of the source that holds the link (as written: HTML may escape it)."""
        return next(
            (link.line for link in self.source.links if href in (link.href, unescape(link.href))),
            1,
        )

    def resolve(self, href: str, line: int, text: str) -> Page | str | None:
        """A relative MkDocs link → the page it names (a glossary term: its address on the
        site), or an import note for editors."""
        target: Page | str | None = None
        if slugs := solution_slugs(self.source, href, text):
            found = SolutionPage.objects.child_of(self.structure.solutions).filter(slug__in=slugs)
            target = min(found, key=lambda page: slugs.index(page.slug), default=None)
        elif (slug := linked_slug(self.source, href, "sector-")) is not None:
            target = SectorPage.objects.child_of(self.structure.sectors).filter(slug=slug).first()
        elif linked_slug(self.source, href, "contribute") == "":
            target = self.structure.contribute
        elif linked_slug(self.source, href, "glossary") == "":
            target = glossary_link(urlsplit(href).fragment)
        if target is None:
            self.note(
                "broken_link",
                line,
                href,
                f"Link “{text or href}” points to a page that does not exist: {href}",
            )
        return target

    def unsafe_link(self, href: str, text: str) -> None:
        self.note(
            "unsafe_link",
            self.line_of(href),
            href,
            f"Link “{text or href}” was removed: its address ({href[:60]}) is not allowed "
            "on the site (only http, https, mailto and the site's own pages); its text stays",
        )

    def note(self, kind: str, line: int, target: str, message: str) -> None:
        self.notes.append(
            ImportNote(
                kind=kind,
                source_path=str(self.source.path),
                line=line,
                target=target,
                message=message,
            )
        )
        self.report.warnings.append(ImportProblem(self.source.path, line, message))

    def image_id(self, image: SourceImage, what: str) -> int | None:
        """The Wagtail image of a picture of the page: its file, or for a picture on another
        site, a download of it; None (and a note) if it could not be downloaded."""
        if image.src in self.images:
            return self.images[image.src]
        if image.is_remote:
            try:
                data, _ = download_image(image.src)
            except Unavailable as reason:
                self.note(
                    "remote_image",
                    image.line,
                    image.src,
                    f"{what} could not be downloaded: {reason}. It is kept as a link; "
                    "upload the picture to show it on the page",
                )
                return None
            name = slugify(PurePosixPath(urlsplit(image.src).path).stem)[:80] or "picture"
        else:
            data, name = image.path.read_bytes(), image.path.stem
        image_id = save_image(data, name, image.alt, self.source.path, image.line).pk
        self.images[image.src] = image_id
        return image_id


def imported_content(page: HandbookPage) -> str:
    """What an import wrote into `page`, as JSON without the ids that each save makes anew
    (rows of its lists, blocks of its body): equal before and after importing a file again
    that did not change."""
    data = page.serializable_data()
    content = {}
    for name in IMPORTED_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, list):  # the rows of a list (sector links, metrics, …), in order
            parent = page._meta.get_field(name).field.name
            value = [_without(row, {"pk", "sort_order", parent}) for row in value]
        elif name == "body":
            value = _without_block_ids(json.loads(value) if isinstance(value, str) else value)
        content[name] = value
    return json.dumps(content, sort_keys=True, default=_plain_number)


def _without(row: dict, keys: set[str]) -> dict:
    return {key: value for key, value in row.items() if key not in keys}


def _without_block_ids(value):
    if isinstance(value, list):
        return [_without_block_ids(item) for item in value]
    if isinstance(value, dict):
        if {"type", "value"} <= value.keys():  # a block of a stream or list: its id is new
            value = _without(value, {"id"})
        return {key: _without_block_ids(item) for key, item in value.items()}
    return value


def _plain_number(value) -> str:
    """Decimals as written: 72 and 72.000 are one number."""
    return format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)


def _set_sector_link(
    solution: SolutionPage, sector: SectorPage, listed: bool, publish: bool
) -> bool:
    """Add or drop one solution's link to a sector, as a new revision of the solution;
    False if the link is already as asked. An editor's unpublished draft is never published
    by an import."""
    had_draft = solution.has_unpublished_changes and solution.live
    draft = solution.get_latest_revision_as_object()
    current = list(draft.sector_links.all())
    linked = any(link.sector_id == sector.pk for link in current)
    if linked == listed and (not listed or any(link.is_primary for link in current)):
        return False
    draft.sector_links = _relinked(current, sector.pk, listed)
    number_rows(draft)
    revision = draft.save_revision(log_action=True)
    if publish and not had_draft:
        revision.publish()
    return True


def number_rows(page: Page) -> None:
    """Number the rows of each of the page's ordered lists (sector links, organisations,
    metrics, …) in their order, as the editor's form does before it saves a revision: rows
    without a number come back from the database in any order (PostgreSQL's), and the site
    would show them so. Rows left unnumbered by an older revision are numbered too."""
    for relation in get_all_child_relations(page):
        if not issubclass(relation.related_model, Orderable):
            continue
        name = relation.get_accessor_name()
        rows = list(getattr(page, name).all())
        for number, row in enumerate(rows):
            row.sort_order = number
        setattr(page, name, rows)


def _relinked(links: list, sector_id: int, listed: bool) -> list:
    """A solution's sector links with its link to `sector_id` kept or added (`listed`) or
    dropped; exactly one link stays the main one."""
    kept = [link for link in links if link.sector_id != sector_id or listed]
    if listed and not any(link.sector_id == sector_id for link in kept):
        main = not any(link.is_primary for link in kept)
        kept.append(SolutionSectorLink(sector_id=sector_id, is_primary=main))
    if kept and not any(link.is_primary for link in kept):
        kept[0].is_primary = True
    return kept


class SectorPlan:
    """The sector links that the sector pages of this import give its solutions, so that
    each solution is written once with its links, not again for each sector that lists it
    (a sector written later then finds its links as it wants them)."""

    def __init__(self, sources: list[SourcePage], structure: SiteStructure):
        sectors = {p.slug: p.pk for p in SectorPage.objects.child_of(structure.sectors)}
        solutions = {p.slug: p.pk for p in SolutionPage.objects.child_of(structure.solutions)}
        self.listed: dict[int, set[int]] = {}  # sector id → ids of the solutions it lists
        for source in sources:
            if source.kind != "sector" or source.slug not in sectors:
                continue
            listed = self.listed.setdefault(sectors[source.slug], set())
            for link in source.solution_links:
                slugs = solution_slugs(source, link.href, link.text)
                slug = next((slug for slug in slugs if slug in solutions), None)
                if slug is not None:
                    listed.add(solutions[slug])

    def links_of(self, solution: SolutionPage) -> list:
        links = list(solution.sector_links.all())
        for sector_id, listed in self.listed.items():  # in the order the sectors import
            known = any(link.sector_id == sector_id for link in links)
            if solution.pk in listed or known:
                links = _relinked(links, sector_id, solution.pk in listed)
        return links


def linked_slug(source: SourcePage, href: str, prefix: str) -> str | None:
    """The slug of the page a relative MkDocs link names, if it is a `prefix` page
    ("../solution-heat-pumps/" → "heat-pumps" for "solution-")."""
    path = posixpath.normpath(posixpath.join(source.mkdocs_url, urlsplit(href).path))
    name = path.strip("/").split("/")[0] if path.strip("/") else ""
    return name.removeprefix(prefix) if name.startswith(prefix) else None


def solution_slugs(source: SourcePage, href: str, text: str) -> list[str]:
    """The slugs a link to a solution may name, the likelier first: its address's, then its
    text's (a few handbook links have a malformed address, "../solution-tree-plantations-
    (on-degraded-land)", but the page's title as their text). Empty for other links."""
    slug = linked_slug(source, href, "solution-")
    if slug is None:
        return []
    return [slug, slugify(text)] if slugify(text) not in ("", slug) else [slug]


def find_or_create_organisation(name: str, abbreviation: str = "") -> Organisation:
    """One organisation however it is named: “International Renewable Energy Agency (IRENA)”,
    “IRENA” and “the International Renewable Energy Agency” are the same record."""
    organisation = Organisation.objects.filter(name__iexact=name).first()
    if organisation is None:
        known_as = abbreviation or name
        organisation = (
            Organisation.objects.filter(Q(abbreviation__iexact=known_as) | Q(name__iexact=known_as))
            .order_by("pk")
            .first()
        )
    if organisation is None:
        return Organisation.objects.create(name=name, abbreviation=abbreviation)
    learnt = {}
    if abbreviation and organisation.name.lower() == abbreviation.lower():
        learnt["name"] = name  # first seen as “IRENA”, now we know the full name
    if abbreviation and not organisation.abbreviation:
        learnt["abbreviation"] = abbreviation
    if learnt:
        for field_name, value in learnt.items():
            setattr(organisation, field_name, value)
        organisation.save(update_fields=list(learnt))  # a save: the site hears of it
    return organisation


def save_image(data: bytes, name: str, title: str, source_path: Path, line: int):
    """A Wagtail image for a picture's bytes, reused if the same bytes were imported before.
    The format comes from the bytes, not the file name (some .png files are really WebP)."""
    Image = get_image_model()
    existing = Image.objects.filter(file_hash=hashlib.sha1(data).hexdigest()).first()
    if existing:
        return existing
    try:
        with PILImage.open(io.BytesIO(data)) as probe:
            extension = IMAGE_EXTENSIONS[probe.format]
    except (OSError, KeyError):
        raise ImportProblem(
            source_path,
            line,
            f"“{name}” is not an image the site can show (JPEG, PNG, GIF, WebP, AVIF)",
        ) from None
    image = Image(
        title=title if title and title != "Cover Image" else name.replace("-", " ").capitalize()
    )
    image.file = ImageFile(io.BytesIO(data), name=f"{name}.{extension}")
    image._set_image_file_metadata()
    image.save()
    return image
