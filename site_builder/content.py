"""The snapshot as the theme sees it: pages with their URLs, and the listings derived from
them (sector pages, organisations, tags), computed once per build.

Knows only the snapshot format (see README); no Django, no Pelican.
"""

import bisect
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pelican.settings import DEFAULT_CONFIG
from pelican.utils import slugify as pelican_slugify

from content_export.images import EXTENSIONS as IMAGE_EXTENSIONS
from content_export.richtext import safe_url
from content_export.schema import SCHEMA_VERSION, site_path, validate_redirects
from content_export.snapshot import read_json, read_manifest_json

SOLUTION = "solutions.SolutionPage"
SECTOR = "solutions.SectorPage"


class SnapshotError(Exception):
    """The snapshot cannot be built from; the message names the file."""


class Mention(NamedTuple):
    """A solution that names an organisation, as the organisation's page lists it."""

    url: str
    title: str
    note: str


@dataclass
class Organisation:
    id: int
    name: str
    slug: str
    abbreviation: str
    website: str
    kind: str
    mentions: list[Mention] = field(default_factory=list)
    url: str = field(init=False)  # an attribute, not a property: it is read for every mention

    def __post_init__(self):
        self.url = f"/organisations/{self.slug}/"


@dataclass
class Tag:
    name: str
    slug: str
    solutions: list[dict] = field(default_factory=list)
    url: str = field(init=False)

    def __post_init__(self):
        self.url = f"/tags/{self.slug}/"


class Redirect(NamedTuple):
    target: str  # a URL of this site, or an http(s) address elsewhere
    permanent: bool


@dataclass
class SiteContent:
    root: Path
    manifest: dict
    pages: list[dict]
    by_type: dict[str, list[dict]]
    organisations: list[Organisation]
    tags: list[Tag]
    hashes: dict[int, str] = field(default_factory=dict)  # page id -> content hash
    redirects: dict[str, Redirect] = field(default_factory=dict)  # by old URL
    by_id: dict[int, dict] = field(default_factory=dict)

    def page_hash(self, page: dict) -> str:
        return self.hashes[page["id"]]

    def of_type(self, page_type: str) -> list[dict]:
        return self.by_type.get(page_type, [])

    @property
    def solutions(self) -> list[dict]:
        return self.of_type(SOLUTION)

    @property
    def sectors(self) -> list[dict]:
        return self.of_type(SECTOR)

    def image_files(self) -> set[str]:
        return set(self.manifest["images"].values())


def load(
    root: Path,
    *,
    replace: list[dict] = (),
    missing_ok: bool = False,
    documents: dict[str, dict] | None = None,
    previous: SiteContent | None = None,
) -> SiteContent:
    """The snapshot in `root`; `replace` puts pages in place of (or beside) the snapshot's
    own, as a preview does with an editor's draft.

    `documents` holds page documents already parsed, by file, and is brought up to this
    snapshot. Page files are named by their content hash, so a name read before has the
    same content: a worker building again after a one-page publish parses one file, not
    ten thousand.

    `previous` is the content this process loaded last from `root`. When the snapshot
    differs from it only in what a few solution pages say (`_patch`), it is brought up to
    date in place and returned; otherwise the snapshot is loaded afresh."""
    documents = {} if documents is None else documents
    root = Path(root)
    manifest = _read_manifest(root, missing_ok)
    patchable = previous is not None and previous.root == root and not replace
    if patchable and _patch(previous, manifest, documents):
        return previous
    pages, hashes = [], {}
    replaced = {page["id"] for page in replace}
    read, folder = {}, f"{root}/"
    for entry in manifest["pages"].values():
        if entry["id"] in replaced:
            continue
        path = folder + str(entry["file"])
        document = read[path] = documents.get(path) or _read(root, entry)
        page = dict(document)  # derived fields (url, sector_pages, …) go on the copy
        pages.append(page)
        hashes[page["id"]] = entry["content_hash"]
    documents.clear()  # keep only the files of this snapshot
    documents.update(read)
    for page in replace:
        drop_unsafe_urls(page, f"page {page['id']}")
        data = json.dumps(page, sort_keys=True)
        pages.append(json.loads(data))
        hashes[page["id"]] = hashlib.sha256(data.encode()).hexdigest()
    for page in pages:
        _derive(page)
    pages.sort(key=_order)
    by_type: dict[str, list[dict]] = {}
    for page in pages:
        by_type.setdefault(page["type"], []).append(page)
    content = SiteContent(root, manifest, pages, by_type, [], [], hashes)
    content.by_id = {page["id"]: page for page in pages}
    _link_sectors(content)
    content.organisations = _organisations(content.solutions)
    content.tags = _tags(content.solutions)
    content.redirects = _redirects(_checked_redirects(root, manifest), content)
    return content


def _read_manifest(root: Path, missing_ok: bool) -> dict:
    try:
        manifest = read_manifest_json(root / "manifest.json")
    except FileNotFoundError:
        if not missing_ok:
            raise SnapshotError(f"{root}: no manifest.json; run the export first") from None
        manifest = {"schema_version": SCHEMA_VERSION, "pages": {}, "images": {}}
    except ValueError as error:
        raise SnapshotError(f"{root / 'manifest.json'}: not valid JSON ({error})") from None
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise SnapshotError(
            f"{root / 'manifest.json'}: made by another version of the exporter "
            f"(schema {manifest.get('schema_version')}, not {SCHEMA_VERSION}); export again"
        )
    for name in manifest["images"].values():
        if not _IMAGE_FILE.fullmatch(str(name)):
            raise SnapshotError(f"{root / 'manifest.json'}: {name!r} is not an image file name")
    return manifest


def _checked_redirects(root: Path, manifest: dict) -> list[dict]:
    try:
        return validate_redirects(manifest.get("redirects", []))
    except ValueError as error:
        raise SnapshotError(f"{root / 'manifest.json'}: {error}") from None


def _derive(page: dict) -> None:
    """The fields a page gets from its own document, for templates and listings."""
    page["url"] = page["meta"]["url_path"]
    page["type"] = page["meta"]["type"]
    page["last_published_at"] = page["meta"].get("last_published_at")
    page["key_figure"] = key_figure(page.get("metrics") or [])


def _order(page: dict) -> tuple[str, int]:
    """Pages are listed A to Z (then by id, so that the order is the same in every build)."""
    return page["title"].lower(), page["id"]


# What a solution page shows of other pages, or other pages show of it: while none of it
# changes, a new version of the page takes the old one's place in every listing.
_PLACE_FIELDS = ("title", "sectors", "organisations", "tags")
# A patch copies the listings of each page it changes: a wide edit is loaded afresh.
PATCH_LIMIT = 200


def _same_place(document: dict, old: dict) -> bool:
    """Whether two versions of a page are listed and linked alike (see _PLACE_FIELDS); the
    time it was last published changes the order of recent pages only, made in each build."""
    if any(document.get(name) != old.get(name) for name in _PLACE_FIELDS):
        return False
    unchanged = {**old["meta"], "last_published_at": document["meta"].get("last_published_at")}
    return document["meta"] == unchanged


def _patch(content: SiteContent, manifest: dict, documents: dict[str, dict]) -> bool:
    """Bring `content` up to `manifest` in place, if they differ only in what some solution
    pages say, not in anything that places them (their URL, title, sectors, organisations
    or tags), nor in which pages or redirects there are. Returns False, with `content`
    untouched, for any other difference: loading afresh handles every case, patching only
    the common one (an editor publishes a change to a page's text) and in milliseconds
    where a load takes seconds at 100,000 pages.

    Every list that changes is replaced, never changed in place: a worker compares what
    files showed in the last build (render._KEYS) with what they show now."""
    old_entries, entries = content.manifest["pages"], manifest["pages"]
    if old_entries.keys() != entries.keys() or manifest.get("redirects") != content.manifest.get(
        "redirects"
    ):
        return False
    changed = [key for key, entry in entries.items() if entry["file"] != old_entries[key]["file"]]
    if len(changed) > PATCH_LIMIT:
        return False
    folder, found = f"{content.root}/", []
    for key in changed:  # every change is checked before any is made
        entry, old_file = entries[key], folder + old_entries[key]["file"]
        old, old_document = content.by_id.get(entry["id"]), documents.get(old_file)
        if old is None or old_document is None or old["type"] != SOLUTION:
            return False
        document = documents.get(folder + entry["file"]) or _read(content.root, entry)
        if document["id"] != old["id"] or not _same_place(document, old_document):
            return False
        found.append((entry, old, old_file, document))
    pages, solutions = list(content.pages), list(content.solutions)
    for entry, old, old_file, document in found:
        page = dict(document)
        _derive(page)
        page["sector_pages"] = old["sector_pages"]
        page["organisation_pages"] = old["organisation_pages"]
        for listed in (pages, solutions):  # both A to Z
            listed[bisect.bisect_left(listed, _order(old), key=_order)] = page
        for sector in old["sector_pages"]:
            sector["solutions"] = _replaced(sector["solutions"], old, page)
        tagged = {tag_slug(name) for name in old.get("tags", ())}
        for tag in content.tags:
            if tag.slug in tagged:
                tag.solutions = _replaced(tag.solutions, old, page)
        del documents[old_file]
        documents[folder + entry["file"]] = document
        content.by_id[page["id"]] = page
        content.hashes[page["id"]] = entry["content_hash"]
    content.pages, content.by_type[SOLUTION] = pages, solutions
    content.manifest = manifest
    return True


def _replaced(pages: list[dict], old: dict, new: dict) -> list[dict]:
    """A copy of `pages` with `new` in the place of `old` (the same object, not an equal one)."""
    return [new if page is old else page for page in pages]


logger = logging.getLogger(__name__)

# The snapshot's own file names (content_export/snapshot.py): nothing else is read.
_PAGE_FILE = re.compile(r"pages/\d+-[0-9a-f]{16}\.json")
_IMAGE_FILE = re.compile(r"images/[0-9a-f]{32}(" + "|".join(map(re.escape, IMAGE_EXTENSIONS)) + ")")


def _read(root: Path, entry: dict) -> dict:
    """A page document of the snapshot, checked: its file is one of the snapshot's own, and
    its URL path stays on the site (the snapshot is input like any other)."""
    if not _PAGE_FILE.fullmatch(str(entry.get("file"))):
        raise SnapshotError(
            f"{root / 'manifest.json'}: page {entry.get('id')}: {entry.get('file')!r} is not "
            "a page file of the snapshot"
        )
    path = root / entry["file"]
    try:
        document = read_json(path)
        url = document["meta"]["url_path"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SnapshotError(f"{path}: cannot be read ({error!r})") from None
    try:
        if not site_path(url).endswith("/"):
            raise ValueError(f"{url!r} does not end in /")
    except ValueError as error:
        raise SnapshotError(f"{path}: meta.url_path: {error}") from None
    drop_unsafe_urls(document, f"{path} ({url})")
    return document


# The fields of a page document that hold an address the theme links to.
_URL_FIELDS = ("url", "website", "remote_url")


def drop_unsafe_urls(node: dict | list, where: str, field: tuple = ()) -> None:
    """Empty every address in a page document that `safe_url` does not allow (javascript:,
    data:, …), and say so in the build log: the theme then shows the text without a link.
    (It visits every value of every page a build reads: types are compared, not tested
    with isinstance, as JSON gives only these.)"""
    for key, value in node.items() if type(node) is dict else enumerate(node):
        kind = type(value)
        if kind is str:
            if key in _URL_FIELDS and value and safe_url(value) is None:
                name = ".".join(map(str, (*field, key)))
                logger.warning(
                    "%s: field %s: address not allowed, removed: %.80r", where, name, value
                )
                node[key] = ""
        elif (kind is dict or kind is list) and key != "renditions":  # renditions: never linked
            drop_unsafe_urls(value, where, (*field, key))


def key_figure(metrics: list[dict]) -> dict | None:
    """The figure a card shows of a solution: its first sourced metric, else its first."""
    return next((m for m in metrics if m.get("sourced")), metrics[0] if metrics else None)


def _link_sectors(content: SiteContent) -> None:
    """Each sector lists its solutions in the sector's own order (its editor's), then the
    others by title; each solution names its main sector first."""
    sectors = {sector["id"]: sector for sector in content.sectors}
    for sector in sectors.values():
        sector["solutions"] = []
    for solution in content.solutions:
        solution["sector_pages"] = []
        # the main sector first (a solution is named under it), then the others as linked
        for ref in sorted(solution.get("sectors", []), key=lambda ref: not ref.get("is_primary")):
            sector = sectors.get(ref["id"])
            if sector is not None:
                solution["sector_pages"].append(sector)
                sector["solutions"].append(solution)
    for sector in sectors.values():  # solutions come sorted by title: a stable sort keeps it
        order = {solution_id: n for n, solution_id in enumerate(sector.get("solution_order", []))}
        sector["solutions"].sort(key=lambda solution: order.get(solution["id"], len(order)))


def _redirects(redirects: list[dict], content: SiteContent) -> dict[str, Redirect]:
    """Old URLs and where they lead now: a page of this snapshot, another URL this site has,
    or an address elsewhere. Never over a URL the site has; a redirect to a page or path the
    site does not have is left out (it would lead to a 404)."""
    by_id = {key: page["url"] for key, page in content.by_id.items()}
    have = {*by_id.values(), *(o.url for o in content.organisations)}
    have |= {tag.url for tag in content.tags} | {"/organisations/", "/search/"}
    found = {}
    for entry in redirects:
        old_url = entry["old_path"].rstrip("/") + "/"
        if entry["page"] is not None:
            target = by_id.get(entry["page"])
        elif entry["link"].startswith("/"):
            link = entry["link"]
            target = next((url for url in (link, link.rstrip("/") + "/") if url in have), None)
        else:
            target = entry["link"]
        if target is not None and old_url not in have and target != old_url:
            found[old_url] = Redirect(target, entry["permanent"])
    return found


def _organisations(solutions: list[dict]) -> list[Organisation]:
    """Every organisation a solution names, with the solutions that name it."""
    found: dict[int, Organisation] = {}
    for solution in solutions:
        url, title = solution["url"], solution["title"]
        named_here: dict[int, Organisation] = {}
        for mention in solution.get("organisations", ()):
            key = mention["id"]
            if key in named_here:
                continue
            organisation = found.get(key)
            if organisation is None:
                organisation = found[key] = Organisation(
                    key,
                    mention["name"],
                    mention["slug"],
                    mention["abbreviation"],
                    mention["website"],
                    mention["kind"],
                )
            organisation.mentions.append(Mention(url, title, mention["note"]))
            named_here[key] = organisation
        solution["organisation_pages"] = list(named_here.values())
    return sorted(found.values(), key=lambda o: o.name.lower())


def _tags(solutions: list[dict]) -> list[Tag]:
    found: dict[str, Tag] = {}
    for solution in solutions:
        for name in solution.get("tags", []):
            slug = tag_slug(name)
            found.setdefault(slug, Tag(name, slug)).solutions.append(solution)
    return sorted(found.values(), key=lambda t: t.name.lower())


def tag_slug(name: str) -> str:
    return slugify(name) or "tag"


def slugify(text: str) -> str:
    """Pelican's own slugs (the same rules as its article and tag URLs)."""
    return pelican_slugify(text, regex_subs=DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"])
