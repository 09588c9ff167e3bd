"""Glossary terms (snippets, so that each is edited on its own and keeps no draft) and the
page that shows them all, at /glossary/, each at its own anchor (/glossary/#carbon-budget)."""

from django.db import models
from django.utils.text import slugify
from rest_framework.fields import Field
from wagtail.admin.panels import FieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from cms.solutions.api_fields import PublicRichTextField
from cms.solutions.blocks import INLINE_FEATURES, TEXT_FEATURES
from cms.solutions.models import PublicUrlMixin
from cms.solutions.previews import RenderedPreviewMixin
from cms.solutions.representation import public_html


class GlossaryTerm(index.Indexed, models.Model):
    term = models.CharField(
        max_length=120,
        unique=True,
        help_text="The word or phrase as readers meet it, e.g. “Carbon budget”.",
    )
    slug = models.SlugField(
        max_length=120,
        unique=True,
        blank=True,
        verbose_name="Link name",
        help_text="Its address on the glossary page: /glossary/#carbon-budget. Leave it empty"
        " to make it from the term; change it and links to the old one stop working.",
    )
    definition = RichTextField(
        features=TEXT_FEATURES,
        blank=True,
        help_text="What it means, in a sentence or two a reader without the background follows.",
    )
    synonyms = models.TextField(
        blank=True,
        verbose_name="Other names",
        help_text="Other ways to say it, one per line (e.g. “CO₂ budget”).",
    )

    panels = [
        FieldPanel("term"),
        FieldPanel("definition"),
        FieldPanel("synonyms"),
        FieldPanel("slug"),
    ]
    search_fields = [
        index.SearchField("term"),
        index.AutocompleteField("term"),
        index.SearchField("synonyms"),
    ]

    class Meta:
        ordering = ["term"]
        verbose_name = "glossary term"

    def __str__(self) -> str:
        return self.term

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.term)[:120]
        super().save(*args, **kwargs)

    def other_names(self) -> list[str]:
        return [name.strip() for name in self.synonyms.splitlines() if name.strip()]


class GlossaryTermsField(Field):
    """Every term, from A to Z, with its definition as public HTML."""

    def to_representation(self, page):
        return [
            {
                "term": term.term,
                "slug": term.slug,
                "definition": public_html(term.definition, self.context),
                "synonyms": term.other_names(),
            }
            for term in GlossaryTerm.objects.order_by("term")
        ]


class GlossaryPage(PublicUrlMixin, RenderedPreviewMixin, Page):
    """The glossary on the site: its introduction here, its terms under Snippets."""

    intro = RichTextField(features=INLINE_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    api_fields = [
        APIField("intro", serializer=PublicRichTextField()),
        APIField("terms", serializer=GlossaryTermsField(source="*")),
    ]
    parent_page_types = ["home.HomePage"]
    subpage_types: list[str] = []
    max_count = 1
