"""The fixed skeleton of the site: home, /solutions/, /sectors/ and the contribute page.

Created on demand (by `setup_site` and the importer) and safe to call any number of times.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from wagtail.models import Page, Site

from cms.home.models import ContentPage, HomePage
from cms.solutions.models import SectorIndexPage, SolutionIndexPage


@dataclass
class SiteStructure:
    home: HomePage
    solutions: SolutionIndexPage
    sectors: SectorIndexPage
    contribute: ContentPage


CONTRIBUTE_TEXT = (
    "<p>This catalogue grows with its readers. If you know of progress, a figure with a "
    "source, or an organisation working on a solution, tell the editors.</p>"
)


@transaction.atomic
def ensure_site_structure() -> SiteStructure:
    home = HomePage.objects.first()
    if home is None:
        home = _replace_welcome_page()
    _use_public_address(Site.objects.get(root_page=home))
    return SiteStructure(
        home=home,
        solutions=_child(home, SolutionIndexPage, "Solutions", "solutions"),
        sectors=_child(home, SectorIndexPage, "Sectors", "sectors"),
        contribute=_child(home, ContentPage, "Contribute", "contribute", body=CONTRIBUTE_TEXT),
    )


def _replace_welcome_page() -> HomePage:
    """Put our HomePage at the root of the default site, in place of Wagtail's
    "Welcome to your new Wagtail site!" page."""
    root = Page.get_first_root_node()
    welcome = Page.objects.child_of(root).filter(slug="home").exact_type(Page).first()
    if welcome:
        welcome.slug = "wagtail-welcome"
        welcome.save(update_fields=["slug"])
    home = root.add_child(
        instance=HomePage(title="Climate Solutions Catalogue", slug="home", live=True)
    )
    site = Site.objects.filter(is_default_site=True).first() or Site(
        hostname="localhost", port=80, is_default_site=True
    )
    site.root_page = home
    site.site_name = "Climate Solutions Catalogue"
    site.save()
    if welcome:
        welcome.delete()
    return home


def _use_public_address(site: Site) -> None:
    """The Site's address is the public site's, so Wagtail's "View live" links and the
    API's html_url point where readers are, not at the CMS."""
    address = urlsplit(settings.PUBLIC_SITE_URL)
    port = address.port or (443 if address.scheme == "https" else 80)
    if (site.hostname, site.port) != (address.hostname, port):
        site.hostname, site.port = address.hostname, port
        site.save(update_fields=["hostname", "port"])


def _child(parent: Page, model: type[Page], title: str, slug: str, **fields) -> Page:
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        return existing
    page = parent.add_child(instance=model(title=title, slug=slug, **fields))
    page.save_revision().publish()
    return page
