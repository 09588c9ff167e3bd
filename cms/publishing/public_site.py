"""What the public site must hold, read from the CMS: its live, public pages, its redirects
and the shared records (organisations, sources) those pages show. The API's redirects
endpoint and the drift check (verify.py) both read it from here."""

from django.db.models import Q
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, Site

from cms.solutions.models import (
    Organisation,
    Reference,
    SectorMetric,
    SectorPage,
    SolutionMetric,
    SolutionPage,
    Source,
)
from content_export.schema import PAGE_TYPES, redirect_target, site_path


def public_pages() -> dict[int, tuple[str, str | None]]:
    """Page id -> (path on the site, last published time in ISO 8601) for every live page
    outside any privacy restriction, of the types the site shows."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return {}
    root = site.root_page.url_path  # "/home/": the site's pages are below it
    types = [label.split(".") for label in PAGE_TYPES]
    of_types = Q()
    for app_label, model in types:
        of_types |= Q(content_type__app_label=app_label, content_type__model=model.lower())
    pages = (
        Page.objects.live()
        .public()
        .descendant_of(site.root_page, inclusive=True)
        .filter(of_types)
        .values_list("pk", "url_path", "last_published_at")
    )
    return {
        pk: ("/" + url_path[len(root) :], published.isoformat() if published else None)
        for pk, url_path, published in pages
    }


def public_redirects() -> list[dict]:
    """Wagtail's redirects that the public site can serve, in the snapshot's shape: to a live,
    public page (by id) or to a safe path or http(s) address. Redirects that match a query
    string, or whose path is not a plain site path, are left out (a static site cannot
    serve them)."""
    found = []
    redirects = list(Redirect.objects.order_by("old_path"))
    targets = {r.redirect_page_id for r in redirects if r.redirect_page_id is not None}
    live = set(Page.objects.live().public().filter(pk__in=targets).values_list("pk", flat=True))
    for redirect in redirects:
        try:
            old_path = site_path(redirect.old_path)
            link = redirect_target(redirect.redirect_link) if redirect.redirect_link else None
        except ValueError:
            continue
        page = redirect.redirect_page_id
        if page is not None and page not in live:
            continue
        if (page is None) == (link is None):
            continue
        found.append(
            {"old_path": old_path, "page": page, "link": link, "permanent": redirect.is_permanent}
        )
    return found


def shared_records() -> dict[str, dict[str, list]]:
    """The organisations and sources that live, public pages show, by id, as the site shows
    them: organisation [name, slug], source [title, publisher, url, year]."""
    solutions = SolutionPage.objects.live().public()
    sectors = SectorPage.objects.live().public()
    organisations = Organisation.objects.filter(mentions__page__in=solutions).distinct()
    source_ids = (
        {*SolutionMetric.objects.filter(page__in=solutions).values_list("source_id", flat=True)}
        | {*SectorMetric.objects.filter(page__in=sectors).values_list("source_id", flat=True)}
        | {*Reference.objects.filter(page__in=solutions).values_list("source_id", flat=True)}
    )
    sources = Source.objects.filter(pk__in=source_ids - {None})
    return {
        "organisations": {
            str(pk): [name, slug]
            for pk, name, slug in organisations.values_list("pk", "name", "slug")
        },
        "sources": {
            str(pk): [title, publisher, url, year]
            for pk, title, publisher, url, year in sources.values_list(
                "pk", "title", "publisher", "url", "year"
            )
        },
    }
