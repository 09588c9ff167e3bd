"""The snapshot's pages as Pelican content objects, so that Pelican plugins see content as
they do in any Pelican site: a solution is an `Article` (dated, with its main sector as
category), every other page of the CMS a `Page`. Creating one sends `content_object_init`.

A template gets the object as `page` (and a solution also as `article`). Every field of the
page's document is an attribute of it (`page.body`, `page.metrics`, …), as a Markdown file's
metadata are in Pelican; `_content` is the page's text, which reading-time and statistics
plugins read. `url` and `save_as` follow Pelican's conventions (no leading "/").

Files of the site that are no page (a redirect's page, the 404 page) get a `Page` whose
status is "hidden", as Pelican marks pages that are written but listed nowhere.
"""

from datetime import UTC, datetime

from pelican.contents import Article, Category, Content, Page

from .content import SOLUTION

# Fields of a page document that Pelican's objects define themselves.
_OWN_FIELDS = {"content", "url", "save_as", "status", "lang", "template", "date", "modified"}
# What render.py works out once per page and keeps on it: not one of the page's fields.
_OWN_FIELDS |= {"card_inputs"}
# Fields whose text is not part of what a reader reads.
_NOT_TEXT = {"type", "id", "anchor", "key", "kind", "url", "file", "renditions", "style"}


def content_object(page: dict, url: str, save_as: str, settings: dict) -> Content:
    """The Pelican object of one page of the snapshot."""
    metadata = {key: value for key, value in page.items() if key not in _OWN_FIELDS}
    metadata.update(url=url.lstrip("/"), save_as=save_as, slug=page["meta"].get("slug", ""))
    metadata["summary"] = page.get("summary", "")
    modified = _date(page.get("last_published_at"))
    if modified:
        metadata["modified"] = modified
    text = _text(page.get("body", ""))
    if page["type"] != SOLUTION:
        return Page(text, metadata, settings=settings)
    metadata["date"] = _date(page["meta"].get("first_published_at")) or modified or _EPOCH
    sectors = page.get("sector_pages") or []
    if sectors:  # the main sector comes first (content._link_sectors)
        metadata["category"] = Category(sectors[0]["title"], settings)
    return Article(text, metadata, settings=settings)


# What pelican-sitemap reads of a page's object besides Pelican's own attributes.
_SITEMAP_FIELDS = {"url", "save_as", "title", "slug", "lang", "status", "private", "date"}
_SITEMAP_FIELDS |= {"modified", "changefreq", "priority", "translations"}


def for_sitemap(found: Content) -> Content:
    """`found` with only what pelican-sitemap reads of it: without the page's text and its
    fields. A worker keeps an object for every page between builds, as the sitemap of a
    build lists the pages it did not render too; the text and fields would take a gigabyte
    at 100,000 pages (and keep the content of old builds alive), and are made again with
    the object when the page is rendered again. Its dates are `KeptDate`s."""
    attributes, metadata = vars(found), found.metadata
    for name in metadata.keys() - _SITEMAP_FIELDS:
        attributes.pop(name.lower(), None)  # Pelican sets each field as an attribute
    found.metadata = {name: metadata[name] for name in _SITEMAP_FIELDS & metadata.keys()}
    for name in ("date", "modified"):
        if isinstance(attributes.get(name), datetime):
            attributes[name] = KeptDate.of(attributes[name])
            if name in found.metadata:
                found.metadata[name] = attributes[name]
    found._content = ""
    attributes.pop("_summary", None)
    return found


class KeptDate(datetime):
    """A date that formats itself once for each format asked: pelican-sitemap formats the
    date of every page of the site in every build, which took half of its time (half a
    second at 100,000 pages) for the same strings again and again."""

    @classmethod
    def of(cls, date: datetime) -> "KeptDate":
        return cls(*date.timetuple()[:6], date.microsecond, date.tzinfo, fold=date.fold)

    def strftime(self, format: str) -> str:
        formatted = self.__dict__.setdefault("formatted", {})
        text = formatted.get(format)
        if text is None:
            text = formatted[format] = super().strftime(format)
        return text


def hidden_page(title: str, url: str, save_as: str, settings: dict) -> Page:
    """The object of a file that is no page of its own (listed nowhere, not in a sitemap)."""
    metadata = {"title": title, "url": url.lstrip("/"), "save_as": save_as, "status": "hidden"}
    return Page("", metadata, settings=settings)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _text(node) -> str:
    """The text a reader reads in a page's body (its rich text, headings and captions)."""
    found: list[str] = []
    _collect_text(node, found)
    return "\n".join(found)


def _collect_text(node, found: list[str]) -> None:
    if isinstance(node, str):
        if node:
            found.append(node)
    elif isinstance(node, list):
        for child in node:
            _collect_text(child, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in _NOT_TEXT:
                _collect_text(value, found)


def forget_rendered(objects: list[Content] | None = None) -> None:
    """Pelican memoizes each object's content and summary in caches that live as long as
    the process: a worker forgets them after each build, a preview server after each
    preview (only that preview's, as others may be rendering)."""
    for name in ("get_content", "get_summary"):
        cache = Content.__dict__[name].cache
        if objects is None:
            cache.clear()
            continue
        ids = {id(found) for found in objects}
        for key in list(cache):
            if key and id(key[0]) in ids:
                cache.pop(key, None)
