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

RESPONSIVE_WIDTHS = (400, 800, 1200)
_RELATIVE_HREF_VALUE = re.compile(r"^(?!https?:|mailto:|tel:|/|#)")
_RELATIVE_HREF = re.compile(r"""href=["'](?!https?:|mailto:|tel:|/|#)""")
_SITE_PATH_HREF = re.compile(r"""href=["']/(?!/)""")
_SITE_PATH_VALUE = re.compile(r"^/(?!/)")


def _site_root() -> str:
    """The tree path of the site's home page: page paths on the site start below it."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    return site.root_page.url_path if site else "/"


def public_urls(context: dict | None) -> dict[int, str]:
    """URL of every live page outside any privacy restriction, by id: computed once per
    request, so links and references cost no query each."""
    request = (context or {}).get("request")
    cached = getattr(request, "_public_page_urls", None)
    if cached is None:
        root = _site_root()
        cached = {
            pk: "/" + url_path.removeprefix(root)
            for pk, url_path in Page.objects.live().public().values_list("pk", "url_path")
            if url_path.startswith(root)
        }
        if request is not None:
            request._public_page_urls = cached
    return cached


def hidden_page_paths(context: dict | None) -> set[str]:
    """The public-site paths of pages that are not live and public (drafts, private,
    unpublished): a link written as such a path (“/glossary/#carbon-budget”) loses its
    anchor as a page link does. Computed once per request."""
    request = (context or {}).get("request")
    cached = getattr(request, "_hidden_page_paths", None)
    if cached is None:
        root = _site_root()
        shown = set(public_urls(context).values())
        paths = Page.objects.filter(url_path__startswith=root).values_list("url_path", flat=True)
        cached = {"/" + path.removeprefix(root) for path in paths} - shown
        if request is not None:
            request._hidden_page_paths = cached
    return cached


def public_html(db_html: str | None, context: dict | None = None) -> str:
    """Stored rich text → final HTML: page links become public URLs, links to pages that are
    not live and public (by id or by path) lose their anchor (the text stays), and the
    result is sanitised."""
    if not db_html:
        return ""
    if "linktype=" in db_html or _RELATIVE_HREF.search(db_html) or _SITE_PATH_HREF.search(db_html):
        urls = public_urls(context)
        soup = BeautifulSoup(db_html, "html.parser")
        for anchor in soup.find_all("a", attrs={"linktype": "page"}):
            url = urls.get(int(anchor["id"])) if anchor.get("id", "").isdigit() else None
            if url is None:
                anchor.unwrap()
            else:
                anchor.attrs = {"href": url}
        # A relative link (“../glossary/”) kept by an import has no target on the public
        # site; editors see it under “To fix after import”, readers see plain text.
        for anchor in soup.find_all("a", href=_RELATIVE_HREF_VALUE):
            anchor.unwrap()
        if _SITE_PATH_HREF.search(db_html):
            hidden = hidden_page_paths(context)
            for anchor in soup.find_all("a", href=_SITE_PATH_VALUE):
                if urlsplit(anchor["href"]).path in hidden:
                    anchor.unwrap()
        db_html = str(soup)
        if "linktype=" in db_html:  # documents or other link types Wagtail knows
            db_html = expand_db_html(db_html)
    return clean_html(db_html)


def image_representation(image, alt: str = "") -> dict | None:
    """An image as the theme needs it for srcset: renditions at several widths (WebP),
    never wider than the original, plus the original's size."""
    if image is None:
        return None
    widths = [w for w in RESPONSIVE_WIDTHS if w < image.width] + [image.width]
    specs = [f"width-{w}|format-webp" for w in widths]
    renditions = image.get_renditions(*specs)
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


def page_references(pages: Iterable[Page], context: dict | None, **extra) -> list[dict]:
    """Links to other pages, keeping only live, public ones."""
    urls = public_urls(context)
    return [
        {"id": page.pk, "title": page.title, "url": urls[page.pk], **extra}
        for page in pages
        if page.pk in urls
    ]
