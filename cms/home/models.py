"""The home page and plain content pages (contribute, about)."""

from wagtail.admin.panels import FieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail_headless_preview.models import HeadlessPreviewMixin

from cms.solutions.api_fields import PublicRichTextField
from cms.solutions.blocks import INLINE_FEATURES, TEXT_FEATURES
from cms.solutions.models import PublicUrlMixin


class HomePage(PublicUrlMixin, HeadlessPreviewMixin, Page):
    intro = RichTextField(features=INLINE_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    api_fields = [APIField("intro", serializer=PublicRichTextField())]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "solutions.SolutionIndexPage",
        "solutions.SectorIndexPage",
        "home.ContentPage",
        "glossary.GlossaryPage",
    ]
    max_count = 1


class ContentPage(PublicUrlMixin, HeadlessPreviewMixin, Page):
    """A plain page such as “Contribute” or “About”."""

    body = RichTextField(features=[*TEXT_FEATURES, "h2", "h3"], blank=True)

    content_panels = [*Page.content_panels, FieldPanel("body")]
    api_fields = [APIField("body", serializer=PublicRichTextField())]
    parent_page_types = ["home.HomePage", "home.ContentPage"]
