"""How content looks to the outside world: the one place that turns stored rich text,
images and page references into what the headless API (and so the public site) gets.

Only live, public pages may be linked or listed; everything else is dropped here, so a
draft or private page never leaks through another page's links.
"""

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from wagtail.models import Page, Site
from wagtail.rich_text import expand_db_html

from content_export.richtext import clean_html

RESPONSIVE_WIDTHS = (400, 700, 1000, 1400)  # a phone (≈700 px at its density) gets 700
_RELATIVE_HREF_VALUE = re.compile(r"^(?!https?:|mailto:|tel:|/|#)")
_RELATIVE_HREF = re.compile(r"""href=["'](?!https?:|mailto:|tel:|/|#)""")
_SITE_PATH_HREF = re.compile(r"""href=["']/(?!/)""")
_SITE_PATH_VALUE = re.compile(r"^/(?!/)")


def _site_root(context: dict | None) -> str:
    """The tree path of the site's home page: page paths on the site start below it."""
    lookups = _lookups(context)
    if "root" not in lookups:
        site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
        lookups["root"] = site.root_page.url_path if site else "/"
    return lookups["root"]


def _lookups(context: dict | None) -> dict:
    """What this API request has looked up already (a fresh dict without a request)."""
    request = (context or {}).get("request")
    if request is None:
        return {}
    if not hasattr(request, "_public_lookups"):
        request._public_lookups = {}
    return request._public_lookups


def for_many_pages(request) -> None:
    """This request lists many pages with their links (as the full export does): look up
    every public URL at once on the first link, instead of a query for each page."""
    _lookups({"request": request})["many_pages"] = True


def linked_paths(request) -> set[str]:
    """The tree paths that rich text made public in this request has linked to by path
    (“/glossary/”) since the last time this was asked."""
    return _lookups({"request": request}).pop("linked_paths", set())


def public_urls(context: dict | None, ids: Iterable[int]) -> dict[int, str]:
    """The public-site URL of each of `ids` that is a live page outside any privacy
    restriction; the others are left out. Each id is looked up once per request."""
    ids = list(ids)
    lookups = _lookups(context)
    known = lookups.setdefault("urls", {})
    missing = [pk for pk in ids if pk not in known]
    if missing and not lookups.get("every_url"):
        root, pages = _site_root(context), Page.objects.live().public()
        if lookups.get("many_pages"):
            lookups["every_url"] = True
        else:
            pages = pages.filter(pk__in=missing)
        for pk, url_path in pages.values_list("pk", "url_path"):
            known[pk] = "/" + url_path.removeprefix(root) if url_path.startswith(root) else None
        for pk in missing:
            known.setdefault(pk, None)  # not live and public
    return {pk: known[pk] for pk in ids if known.get(pk)}


def hidden_page_paths(context: dict | None, paths: Iterable[str]) -> set[str]:
    """Those of `paths` (public-site paths, “/glossary/”) that are paths of pages that are
    not live and public (drafts, private, unpublished)."""
    root, lookups = _site_root(context), _lookups(context)
    wanted = {root + path.lstrip("/") for path in paths}
    lookups.setdefault("linked_paths", set()).update(wanted)
    if lookups.get("many_pages"):  # every page's path at once
        if "every_path" not in lookups:
            pages = Page.objects.filter(url_path__startswith=root)
            lookups["every_path"] = dict(pages.values_list("url_path", "pk"))
        pages = {
            path: lookups["every_path"][path] for path in wanted & lookups["every_path"].keys()
        }
    else:
        pages = dict(Page.objects.filter(url_path__in=wanted).values_list("url_path", "pk"))
    shown = public_urls(context, pages.values())
    return {"/" + path.removeprefix(root) for path, pk in pages.items() if pk not in shown}


def public_html(db_html: str | None, context: dict | None = None) -> str:
    """Stored rich text → final HTML: page links become public URLs, links to pages that are
    not live and public (by id or by path) lose their anchor (the text stays), and the
    result is sanitised."""
    if not db_html:
        return ""
    if "linktype=" in db_html or _RELATIVE_HREF.search(db_html) or _SITE_PATH_HREF.search(db_html):
        soup = BeautifulSoup(db_html, "html.parser")
        page_links = soup.find_all("a", attrs={"linktype": "page"})
        ids = [int(a["id"]) for a in page_links if a.get("id", "").isdigit()]
        urls = public_urls(context, ids)
        for anchor in page_links:
            url = urls.get(int(anchor["id"])) if anchor.get("id", "").isdigit() else None
            if url is None:
                anchor.unwrap()
            else:
                anchor.attrs = {"href": url}
        # A relative link (“../glossary/”) kept by an import has no target on the public
        # site; editors see it under “To fix after import”, readers see plain text.
        for anchor in soup.find_all("a", href=_RELATIVE_HREF_VALUE):
            anchor.unwrap()
        site_links = soup.find_all("a", href=_SITE_PATH_VALUE)
        if site_links:
            paths = {urlsplit(anchor["href"]).path for anchor in site_links}
            hidden = hidden_page_paths(context, paths)
            for anchor in site_links:
                if urlsplit(anchor["href"]).path in hidden:
                    anchor.unwrap()
        db_html = str(soup)
        if "linktype=" in db_html:  # documents or other link types Wagtail knows
            db_html = expand_db_html(db_html)
    return clean_html(db_html)


# Addresses of the public site that are no CMS page: listings the site builder makes, and files.
_SITE_LISTINGS = ("/organisations/", "/tags/", "/search/", "/media/", "/documents/", "/assets/")


def links_readers_cannot_follow(db_html: str) -> list[str]:
    """The links of stored rich text that would lead nowhere on the public site, each said
    for an editor: to a page that is not published (or private), to an address of the site
    that is no page, or a relative address (which has no target on the site)."""
    if "<a" not in db_html:
        return []
    soup = BeautifulSoup(db_html, "html.parser")
    problems = []
    page_links = soup.find_all("a", attrs={"linktype": "page"})
    ids = [int(a["id"]) for a in page_links if a.get("id", "").isdigit()]
    shown = public_urls(None, ids)
    titles = dict(Page.objects.filter(pk__in=ids).values_list("pk", "title"))
    for anchor in page_links:
        pk = int(anchor["id"]) if anchor.get("id", "").isdigit() else None
        if pk not in shown:
            target = f"“{titles[pk]}”, which is not published" if pk in titles else "a deleted page"
            problems.append(f"“{anchor.get_text()}” links to {target}")
    site_links = soup.find_all("a", href=_SITE_PATH_VALUE)
    root = _site_root(None)
    tree_paths = {root + _as_page_path(urlsplit(a["href"]).path).lstrip("/") for a in site_links}
    pages = dict(Page.objects.filter(url_path__in=tree_paths).values_list("url_path", "pk"))
    shown = public_urls(None, pages.values())
    for anchor in site_links:
        path = _as_page_path(urlsplit(anchor["href"]).path)
        pk = pages.get(root + path.lstrip("/"))
        if pk is not None and pk not in shown:
            problems.append(f"“{anchor.get_text()}” links to {path}, a page that is not published")
        elif pk is None and not path.startswith(_SITE_LISTINGS):
            problems.append(f"“{anchor.get_text()}” links to {path}, where the site has no page")
    for anchor in soup.find_all("a", href=_RELATIVE_HREF_VALUE):
        problems.append(
            f"“{anchor.get_text()}” has a relative address ({anchor['href']}), which leads"
            " nowhere on the site"
        )
    return problems


def _as_page_path(path: str) -> str:
    """“/glossary” → “/glossary/”, as the site answers it; a file's path stays as it is."""
    last = path.rsplit("/", 1)[-1]
    return path if path.endswith("/") or "." in last else path + "/"


def image_representation(image, alt: str = "") -> dict | None:
    """An image as the theme needs it for srcset: renditions at several widths (WebP),
    never wider than the original nor than the widest a page shows (1400 px: a 46rem
    column at twice the density), plus the original's size."""
    if image is None:
        return None
    renditions = image.get_renditions(*rendition_specs(image))
    return {
        "id": image.pk,
        "title": image.title,
        "alt": alt,
        "width": image.width,
        "height": image.height,
        "renditions": [
            {"width": r.width, "height": r.height, "url": r.url}
            for r in sorted(renditions.values(), key=lambda r: r.width)
        ],
    }


def rendition_specs(image) -> list[str]:
    """The renditions of an image that pages show (image_representation)."""
    widest = min(image.width, RESPONSIVE_WIDTHS[-1])
    widths = [w for w in RESPONSIVE_WIDTHS if w < widest] + [widest]
    return [f"width-{w}|format-webp" for w in widths]


def page_references(pages: Iterable[Page], context: dict | None, **extra) -> list[dict]:
    """Links to other pages, keeping only live, public ones."""
    pages = list(pages)
    urls = public_urls(context, [page.pk for page in pages])
    return [
        {"id": page.pk, "title": page.title, "url": urls[page.pk], **extra}
        for page in pages
        if page.pk in urls
    ]
