"""Export the CMS's public content into a snapshot, incrementally by default."""

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rich.progress import Progress

from .client import ApiClient, ExportError
from .schema import PAGE_TYPES, SCHEMA_VERSION, InvalidPage, validate_page, validate_redirects
from .snapshot import Snapshot

LISTING_LIMIT = 500
IDS_CHARACTERS = 3_000  # of ids=…, encoded, in one listing's address
# Changes are asked for from a little before the last cursor, so that a publish whose
# transaction was still open when the last export asked is not missed. Changes already seen
# in that window are remembered in the manifest and not fetched twice.
CHANGES_OVERLAP = timedelta(seconds=10)
MEDIA_ORIGIN_HELP = (
    "where images may come from besides the API's host, e.g. https://media.example.org"
)
META_KEYS = ("type", "slug", "html_url", "first_published_at", "last_published_at")


@dataclass
class ExportResult:
    mode: str  # "full" or "incremental"
    pages: int  # pages in the snapshot
    fetched: int  # pages read from the API in this run
    removed: int
    images_downloaded: int
    requests: int


def export(
    api_url: str,
    out: Path,
    *,
    full: bool = False,
    client: ApiClient | None = None,
    media_origin: str | None = None,
) -> ExportResult:
    """Bring the snapshot in `out` up to date with the API at `api_url` (…/api/v2/).
    Images come from the API's host, or from `media_origin` (media on S3 or a CDN)."""
    client = client or ApiClient(api_url, media_origin=media_origin)
    snapshot = Snapshot(out)
    with snapshot.locked():
        previous = None if full else snapshot.read_manifest()
        if previous is not None:
            try:
                return _Run(client, snapshot, previous).incremental()
            except ExportError as error:
                if error.status != 409:
                    raise
                # More changed than the API lists at once (or it asks for a full export
                # for another reason): read everything again.
        return _Run(client, snapshot, None).full()


class _Run:
    def __init__(self, client: ApiClient, snapshot: Snapshot, previous: dict | None):
        self.client, self.snapshot = client, snapshot
        self.pages: dict[str, dict] = dict(previous["pages"]) if previous else {}
        self.images: dict[str, str] = dict(previous["images"]) if previous else {}
        self.previous = previous
        self.fetched = self.removed = self.downloaded = 0
        # whether `pages` may be out of URL order: an incremental export that only changed
        # pages in place keeps the previous order, and need not sort 100,000 entries again
        self.reordered = previous is None
        self.recent: list[dict] = []

    # --- the two modes ---------------------------------------------------------------
    def full(self) -> ExportResult:
        # Changes made before the listing below are in it: remember them as seen (unless
        # there are too many to list: then only the cursor is needed).
        try:
            answer = self.changes_since(datetime.now(UTC) - CHANGES_OVERLAP)
        except ExportError as error:
            if error.status != 409:
                raise
            answer = self.changes_since(datetime.now(UTC))
        self.recent = answer["changes"]
        self.pages = {}
        with _progress() as progress:
            task = progress.add_task("Exporting pages", total=None)
            for items in self.listings():
                for item in items:
                    self.store(item)
                    progress.advance(task)
        return self.finish("full", answer["until"])

    def incremental(self) -> ExportResult:
        since = datetime.fromisoformat(self.previous["changes_until"]) - CHANGES_OVERLAP
        answer = self.changes_since(since)
        self.recent = answer["changes"]
        seen = set(self.previous.get("recent_changes", []))
        changes = [change for change in answer["changes"] if _change_key(change) not in seen]
        with _progress() as progress:
            task = progress.add_task("Exporting changes", total=len(changes))
            # Pages the snapshot has, of a known type, come in listings of many at a time
            # (a wide edit changes hundreds); the others (new, moved out, deleted) one by one.
            listed = {change["id"] for change in self.by_listing(changes, progress, task)}
            single = [change for change in changes if change["id"] not in listed]
            documents = self.client.get_all_json(
                ((f"pages/{change['id']}/", None) for change in single), allow_404=True
            )
            for change, document in zip(single, documents, strict=True):
                if document is None or document.get("meta", {}).get("type") not in PAGE_TYPES:
                    self.remove(change["id"], subtree=change.get("action") == "deleted")
                else:
                    self.store(document)
                progress.advance(task)
        return self.finish("incremental", answer["until"])

    def by_listing(self, changes: list[dict], progress: Progress, task) -> Iterator[dict]:
        """Fetch, in listings by type and id, the changed pages that the snapshot has and
        that are still there; yield each change whose page was stored."""
        groups: dict[str, list[dict]] = {}
        for change in changes:
            entry = self.pages.get(str(change["id"]))
            if entry is not None and change.get("action") != "deleted":
                groups.setdefault(entry["type"], []).append(change)
        calls = [
            call
            for page_type, group in groups.items()
            for call in listings_by_id(page_type, [change["id"] for change in group])
        ]
        found = {}
        for (_, params), listing in zip(calls, self.client.get_all_json(calls), strict=True):
            found.update((item["id"], item) for item in _listing(listing, params["type"])[0])
        for group in groups.values():
            for change in group:
                if change["id"] in found:  # not found: no longer public, or moved type
                    self.store(found[change["id"]])
                    progress.advance(task)
                    yield change

    # --- steps -----------------------------------------------------------------------
    def listings(self) -> Iterator[list[dict]]:
        """Every page of every type, a listing at a time. The ids of each type come first,
        in one answer; then the pages, by id, in listings fetched together: the CMS's
        processes make the JSON of several at once while this one stores what came. Read by
        id, a page published or unpublished meanwhile cannot push another out of a listing
        (as it could between listings read by offset); the next export has that page from
        the change log."""
        answers = self.client.get_all_json(("pages/ids/", {"type": kind}) for kind in PAGE_TYPES)
        calls = [
            call
            for page_type, answer in zip(PAGE_TYPES, answers, strict=True)
            for call in listings_by_id(page_type, self.page_ids(answer, page_type))
        ]
        for (_, params), listing in zip(calls, self.client.get_all_json(calls), strict=True):
            yield _listing(listing, params["type"])[0]

    def page_ids(self, answer: Any, page_type: str) -> list[int]:
        ids = answer.get("ids") if isinstance(answer, dict) else None
        if not isinstance(ids, list) or not all(type(pk) is int for pk in ids):
            where = self.client.url(f"pages/ids/?type={page_type}")
            raise ExportError(f"GET {where}: not a list of page ids: {str(answer)[:120]}")
        return ids

    def changes_since(self, since: datetime) -> dict:
        answer = self.client.get_json("changes/", {"since": since.isoformat()})
        if not isinstance(answer, dict) or not isinstance(answer.get("changes"), list):
            raise ExportError(
                f"GET {self.client.url('changes/')}: unexpected answer {str(answer)[:120]}"
            )
        return answer

    def store(self, data: dict) -> None:
        try:
            validate_page(data)
        except InvalidPage as error:
            raise ExportError(f"the API gave an unexpected page: {error}") from None
        document = normalise(data)
        try:
            self.attach_images(document)
        except ExportError as error:
            where = f"page {document['id']} ({document['meta']['html_url']})"
            raise ExportError(f"{where}: {error}") from None
        name, digest = self.snapshot.write_page(document["id"], document)
        known = self.pages.get(str(document["id"]))
        if known is None or known["url_path"] != document["meta"]["url_path"]:
            self.reordered = True
        self.pages[str(document["id"])] = {
            "id": document["id"],
            "type": document["meta"]["type"],
            "title": document["title"],
            "url_path": document["meta"]["url_path"],
            "file": name,
            "content_hash": digest,
            "last_published_at": document["meta"]["last_published_at"],
        }
        self.fetched += 1

    def remove(self, page_id: int, *, subtree: bool) -> None:
        entry = self.pages.pop(str(page_id), None)
        if entry is None:
            return
        self.removed += 1
        if subtree:
            prefix = entry["url_path"]
            for key in [k for k, e in self.pages.items() if e["url_path"].startswith(prefix)]:
                del self.pages[key]
                self.removed += 1

    def attach_images(self, document: dict) -> None:
        """Download every rendition the page uses (once, ever) and note its file."""
        set_rendition_files(document, self.image_file)

    def image_file(self, url: str) -> str:
        known = self.images.get(url)
        if known and self.snapshot.has_file(known):
            return known
        name = self.snapshot.write_image(*self.client.get_image(url))
        self.images[url] = name
        self.downloaded += 1
        return name

    def redirects(self) -> list[dict]:
        """The site's redirects (one request, on every export: a redirect changes no page)."""
        answer = self.client.get_json("redirects/")
        try:
            return validate_redirects(answer["redirects"] if isinstance(answer, dict) else answer)
        except (KeyError, ValueError) as error:
            raise ExportError(f"GET {self.client.url('redirects/')}: {error}") from None

    def finish(self, mode: str, cursor: str) -> ExportResult:
        window_start = datetime.fromisoformat(cursor) - CHANGES_OVERLAP
        recent = [
            _change_key(change)
            for change in self.recent
            if datetime.fromisoformat(change["timestamp"]) > window_start
        ]
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "api": self.client.base_url,
            "generated_at": datetime.now(UTC).isoformat(),
            "changes_until": cursor,
            "recent_changes": sorted(recent),
            "pages": self.pages if not self.reordered else _by_url(self.pages),
            "images": dict(sorted(self.images.items())),
            "redirects": self.redirects(),
        }
        self.snapshot.commit(manifest, previous=self.previous, shared=True)
        return ExportResult(
            mode,
            len(self.pages),
            self.fetched,
            self.removed,
            self.downloaded,
            self.client.request_count,
        )


def set_rendition_files(document: Any, file_for: Callable[[str], str]) -> None:
    """Give every image rendition in a page document its `file`, from its `url`. (It visits
    every value of every page an export reads: types are compared, not tested with
    isinstance, as JSON gives only these.)"""
    containers = [document]
    while containers:  # a page has thousands of values: only dicts and lists are looked into
        node = containers.pop()
        if type(node) is dict:
            renditions = node.get("renditions")
            if type(renditions) is list:
                for rendition in renditions:
                    if type(rendition) is dict and "url" in rendition:
                        rendition["file"] = file_for(rendition["url"])
            node = node.values()
        for child in node:
            kind = type(child)
            if kind is dict or kind is list:
                containers.append(child)


def _by_url(pages: dict[str, dict]) -> dict[str, dict]:
    return dict(sorted(pages.items(), key=lambda item: item[1]["url_path"]))


def _change_key(change: dict) -> str:
    return f"{change['id']}@{change['timestamp']}"


def listings_by_id(
    page_type: str, ids: list[int], limit: int = LISTING_LIMIT
) -> list[tuple[str, dict]]:
    """The listings (path, params) that give the pages of `ids`, of one type: at most
    `limit` pages each, and ids that fit in a request line (gunicorn refuses one
    longer than 4,094 characters: 500 six-digit ids, with their commas encoded, are 4,500)."""
    chunks: list[list[str]] = [[]]
    length = 0
    for pk in map(str, ids):
        if len(chunks[-1]) == limit or length + len(pk) > IDS_CHARACTERS:
            chunks.append([])
            length = 0
        chunks[-1].append(pk)
        length += len(pk) + 3  # and a comma, sent as %2C
    return [
        ("pages/", {"type": page_type, "fields": "*", "ids": ",".join(chunk), "limit": len(chunk)})
        for chunk in chunks
        if chunk
    ]


def _listing(listing: Any, page_type: str) -> tuple[list, int]:
    try:
        return list(listing["items"]), int(listing["meta"]["total_count"])
    except (TypeError, KeyError, ValueError):
        raise ExportError(
            f"the pages listing for {page_type} is not a Wagtail API listing"
        ) from None


def normalise(data: dict) -> dict:
    """Keep the meta fields that mean something outside the CMS; add the URL path."""
    meta = data["meta"]
    document = dict(data)
    document["meta"] = {key: meta.get(key) for key in META_KEYS}
    document["meta"]["url_path"] = urlsplit(meta["html_url"]).path
    return document


def _progress() -> Progress:
    return Progress(disable=not sys.stderr.isatty(), transient=True)
