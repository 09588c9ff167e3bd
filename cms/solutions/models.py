"""The catalogue: solutions, sectors, organisations, metrics and sources.

Solutions are not children of sectors: a SolutionSectorLink relates them, so a solution in
two sectors keeps one URL. Each model keeps its admin panels beside its fields.
"""

from django.contrib.admin.utils import quote
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils.text import slugify
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from unidecode import unidecode
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.api import APIField
from wagtail.contrib.redirects.models import Redirect
from wagtail.fields import RichTextField, StreamField
from wagtail.models import DraftStateMixin, Orderable, Page, RevisionMixin
from wagtail.search import index

from cms.solutions.api_fields import (
    CoverField,
    MetricsField,
    OrganisationMentionsField,
    PublicRichTextField,
    ReferencesField,
    RelatedSolutionsField,
    SectorLinksField,
    SolutionOrderField,
    TagNamesField,
)

from .blocks import INLINE_FEATURES, BodyBlock
from .forms import HandbookPageForm, SolutionPageForm
from .panels import FilledFieldPanel, ImportedPagePanel, PlainNumberInput
from .previews import RenderedPreviewMixin
from .vocabulary import SECTION_KEYS


class SharedRecord(DraftStateMixin, RevisionMixin, index.Indexed, models.Model):
    """A record that many pages show (an organisation, a source). Like a page, it has drafts
    and revisions: an edit reaches the site when it is published, and can be compared with
    earlier versions and undone. Pages show only published records."""

    class Meta:
        abstract = True

    @property
    def revisions(self):
        return self._revisions

    @property
    def usage_url(self) -> str:
        """The admin's list of the pages that use it (as Wagtail's images have)."""
        return reverse(self.snippet_viewset.get_url_name("usage"), args=[quote(self.pk)])


class Organisation(SharedRecord):
    """A company, agency or group named by solution pages (a snippet, shared by all pages)."""

    KINDS = [
        ("unknown", "Not yet classified"),
        ("company", "Company"),
        ("nonprofit", "Non-profit or foundation"),
        ("government", "Government body"),
        ("intergovernmental", "Intergovernmental organisation"),
        ("research", "Research institution"),
        ("association", "Industry association or network"),
    ]
    name = models.CharField(max_length=255, unique=True)
    abbreviation = models.CharField(max_length=30, blank=True, help_text="For example IRENA.")
    kind = models.CharField(max_length=30, choices=KINDS, default="unknown")
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="organisation")
    slug = models.SlugField(
        max_length=255,
        unique=True,
        editable=False,
        help_text="Its page on the site is /organisations/<slug>/; made from the name.",
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("abbreviation")]),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("website")]),
        FieldPanel("description"),
    ]
    search_fields = [
        index.SearchField("name"),
        index.SearchField("abbreviation"),
        index.AutocompleteField("name"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name

    def save(self, *args, **kwargs):
        """The slug follows the name. When it changes, the old address of its page on the
        site redirects to the new one (a Wagtail redirect, served as a 301)."""
        fields = kwargs.get("update_fields")
        if fields is not None and "name" not in fields:
            return super().save(*args, **kwargs)
        old_path = self.site_path if self.slug else None
        self.slug = self._slug_for_name()
        if fields is not None:
            kwargs["update_fields"] = {*fields, "slug"}
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != self.site_path and self.is_on_the_site():
                _move_redirects(old_path, self.site_path)

    @property
    def site_path(self) -> str:
        return f"/organisations/{self.slug}/"

    def is_on_the_site(self) -> bool:
        """Named by a live page: it has a page on the public site."""
        return self.mentions.filter(page__live=True).exists()

    def _slug_for_name(self) -> str:
        base = slugify(unidecode(self.name))[:240] or "organisation"
        if self.slug == base or (
            self.slug.startswith(base + "-") and self.slug[len(base) + 1 :].isdigit()
        ):
            return self.slug  # still made from this name
        others = Organisation.objects.exclude(pk=self.pk)
        candidate, number = base, 1
        while others.filter(slug=candidate).exists():
            number += 1
            candidate = f"{base}-{number}"
        return candidate


def _move_redirects(old_path: str, new_path: str) -> None:
    """`old_path` now redirects to `new_path`, and so does every redirect that led to it;
    a redirect from `new_path` would hide the page that is there now, and goes."""
    Redirect.objects.filter(old_path=Redirect.normalise_path(new_path)).delete()
    for redirect in Redirect.objects.filter(redirect_link=old_path):
        redirect.redirect_link = new_path
        redirect.save()
    Redirect.objects.filter(old_path=Redirect.normalise_path(old_path)).delete()
    Redirect.add_redirect(old_path, redirect_to=new_path, is_permanent=True)


class Source(SharedRecord):
    """Where a figure comes from: a report, dataset or article that readers can check."""

    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(blank=True, verbose_name="Link")
    year = models.PositiveIntegerField(null=True, blank=True)
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="source")

    panels = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("publisher"), FieldPanel("year")]),
        FieldPanel("url"),
    ]
    search_fields = [index.SearchField("title"), index.AutocompleteField("title")]

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


class MetricFields(models.Model):
    """A figure with its unit and source. A figure without a source is shown as unsourced."""

    label = models.CharField(
        max_length=200, help_text="What is measured, e.g. “Emissions avoided by 2050”."
    )
    value = models.DecimalField(max_digits=14, decimal_places=3)
    value_max = models.DecimalField(
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        verbose_name="Upper value",
        help_text="Only for a range, such as 72–144.3.",
    )
    unit = models.CharField(max_length=50, help_text="For example “Gt CO₂e” or “%”.")
    period = models.CharField(max_length=50, blank=True, help_text="For example “2020–2050”.")
    source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Leave empty only if no source is known; the site marks the figure as unsourced.",
    )

    panels = [
        FieldPanel("label"),
        FieldRowPanel(
            [
                FieldPanel("value", widget=PlainNumberInput),
                FieldPanel("value_max", widget=PlainNumberInput),
                FieldPanel("unit"),
            ]
        ),
        FieldRowPanel([FieldPanel("period"), FieldPanel("source")]),
    ]

    class Meta:
        abstract = True

    def __str__(self) -> str:
        upper = f"–{self.value_max}" if self.value_max is not None else ""
        return f"{self.label}: {self.value}{upper} {self.unit}"

    @property
    def is_sourced(self) -> bool:
        """Its source is known and published (a draft source is not shown to readers)."""
        return self.source_id is not None and self.source.live

    def clean(self):
        super().clean()
        if self.value_max is not None and self.value is not None and self.value_max <= self.value:
            raise ValidationError(
                {"value_max": "The upper value must be larger than the value it starts from."}
            )


class PublicUrlMixin:
    """Every link Wagtail makes to a page (the admin's “View live”, the publish message, the
    page listing) leads to the page on the public site (PUBLIC_SITE_URL, the Site's address),
    never to the CMS, which only edits and previews. Wagtail would give a path relative to
    whichever host asks while there is only one Site.

    The API gives each page's `last_published_at` among its meta fields: the site's drift
    check compares it with the release."""

    api_meta_fields = ["last_published_at"]

    def get_url(self, request=None, current_site=None):
        return self.get_full_url(request)

    url = property(get_url)


class HandbookPage(PublicUrlMixin, RenderedPreviewMixin, Page):
    """Fields shared by solution and sector pages: summary, body, editorial state, provenance."""

    EDITORIAL_STATUSES = [
        ("ai_draft", "AI draft: not yet checked by a person"),
        ("in_review", "In review"),
        ("reviewed", "Reviewed"),
    ]
    summary = models.TextField(
        blank=True, max_length=500, help_text="One or two sentences shown in listings and search."
    )
    body = StreamField(BodyBlock(), blank=True)
    editorial_status = models.CharField(
        max_length=20,
        choices=EDITORIAL_STATUSES,
        default="in_review",
        help_text="Pages marked “AI draft” tell readers that no person has checked them yet.",
    )
    editorial_notes = models.TextField(blank=True, help_text="Only editors see this.")
    source_path = models.CharField(max_length=300, blank=True, verbose_name="Imported from")
    source_commit = models.CharField(max_length=64, blank=True, verbose_name="Handbook version")
    source_license = models.CharField(max_length=100, blank=True, verbose_name="Licence")
    source_markdown = models.TextField(
        blank=True, verbose_name="Original Markdown", help_text="As imported; kept for reference."
    )
    imported_at = models.DateTimeField(null=True, blank=True)

    base_form_class = HandbookPageForm
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    api_fields = [
        APIField("summary"),
        APIField("body"),
        APIField("editorial_status"),
    ]

    editorial_panels = [
        FieldPanel("editorial_status"),
        FieldPanel("editorial_notes"),
        ImportedPagePanel(
            [
                FieldPanel("source_path", read_only=True),
                FieldPanel("source_commit", read_only=True),
                FieldPanel("source_license", read_only=True),
                FieldPanel("imported_at", read_only=True),
                FieldPanel("source_markdown", read_only=True),
            ],
            heading="Provenance",
            classname="collapsed",
        ),
    ]

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """Save the page and its rows (sector links, mentions, metrics…), then index its
        references once: Wagtail would index the whole page again for each row it saves,
        which made a publish a third slower."""
        # (wagtail.signal_handlers needs the models loaded: it cannot be imported up top)
        from wagtail.signal_handlers import (
            disable_reference_index_auto_update,
            reference_index_auto_update_disabled,
        )
        from wagtail.tasks import update_reference_index_task

        if getattr(reference_index_auto_update_disabled, "value", False):
            return super().save(*args, **kwargs)  # the caller indexes (the importer does)
        with disable_reference_index_auto_update():
            saved = super().save(*args, **kwargs)
        update_reference_index_task.enqueue(
            self._meta.app_label, self._meta.model_name, str(self.pk)
        )
        return saved


def handbook_tabs(**tabs: list) -> TabbedInterface:
    """The editor's tabs: the page's own (Content, Taxonomy, Evidence…), then Editorial,
    Promote and Settings, which every handbook page shares."""
    tabs |= {
        "Editorial": HandbookPage.editorial_panels,
        "Promote": Page.promote_panels,
        "Settings": Page.settings_panels,
    }
    return TabbedInterface([ObjectList(panels, heading=name) for name, panels in tabs.items()])


class IndexPage(PublicUrlMixin, RenderedPreviewMixin, Page):
    """/solutions/ and /sectors/: a title and an introduction; the site lists the rest."""

    intro = RichTextField(features=INLINE_FEATURES, blank=True)

    api_fields = [APIField("intro", serializer=PublicRichTextField())]
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    max_count = 1

    class Meta:
        abstract = True


class SolutionIndexPage(IndexPage):
    subpage_types = ["solutions.SolutionPage"]


class SectorIndexPage(IndexPage):
    subpage_types = ["solutions.SectorPage"]


class SectorPage(HandbookPage):
    icon = models.CharField(max_length=80, blank=True, help_text="Icon name, e.g. “city”.")

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("icon"),
        FieldPanel("body"),
    ]
    solutions_panels = [
        InlinePanel(
            "ordered_solutions",
            heading="Order of the solutions",
            label="Solution",
            help_text=(
                "The sector's page lists its solutions in this order; drag them to change it. "
                "Solutions filed under this sector but not in this list come after, A to Z. "
                "To file a solution under this sector, add the sector on the solution's "
                "Taxonomy tab."
            ),
        )
    ]
    evidence_panels = [InlinePanel("metrics", heading="Metrics", label="Metric")]
    api_fields = [
        *HandbookPage.api_fields,
        APIField("icon"),
        APIField("metrics", serializer=MetricsField()),
        APIField("solution_order", serializer=SolutionOrderField(source="ordered_solutions")),
    ]
    edit_handler = handbook_tabs(
        Content=content_panels, Solutions=solutions_panels, Evidence=evidence_panels
    )
    parent_page_types = ["solutions.SectorIndexPage"]
    subpage_types: list[str] = []


class SolutionPageTag(TaggedItemBase):
    content_object = ParentalKey(
        "solutions.SolutionPage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class SolutionPage(HandbookPage):
    cover_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cover_alt = models.CharField(
        max_length=255,
        blank=True,
        verbose_name="Cover image alternative text",
        help_text="Describe the picture for people who cannot see it.",
    )
    cover_caption = RichTextField(
        features=INLINE_FEATURES,
        blank=True,
        help_text="Shown under the picture; say who took it (e.g. “Photo: Jane Doe, CC BY”).",
    )
    cover_image_url = models.URLField(
        blank=True,
        max_length=1000,
        verbose_name="Remote cover image",
        help_text="Kept from an import. Upload the picture as the cover image to replace it.",
    )
    tags = ClusterTaggableManager(through=SolutionPageTag, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("cover_image"),
                FieldPanel("cover_alt"),
                FieldPanel("cover_caption"),
                FilledFieldPanel("cover_image_url", read_only=True),
            ],
            heading="Cover image",
        ),
        FieldPanel("body"),
    ]
    taxonomy_panels = [
        InlinePanel("sector_links", heading="Sectors", label="Sector", min_num=0),
        FieldPanel("tags"),
        InlinePanel("related_solutions", heading="Related solutions", label="Related solution"),
    ]
    evidence_panels = [
        InlinePanel("metrics", heading="Metrics", label="Metric"),
        InlinePanel("organisation_mentions", heading="Organisations", label="Organisation"),
        InlinePanel("references", heading="References", label="Reference"),
    ]
    edit_handler = handbook_tabs(
        Content=content_panels, Taxonomy=taxonomy_panels, Evidence=evidence_panels
    )
    api_fields = [
        *HandbookPage.api_fields,
        APIField("cover", serializer=CoverField(source="*")),
        APIField("sectors", serializer=SectorLinksField(source="sector_links")),
        APIField("tags", serializer=TagNamesField()),
        APIField(
            "organisations", serializer=OrganisationMentionsField(source="organisation_mentions")
        ),
        APIField("metrics", serializer=MetricsField()),
        APIField("references", serializer=ReferencesField()),
        APIField("related_solutions", serializer=RelatedSolutionsField()),
    ]
    parent_page_types = ["solutions.SolutionIndexPage"]
    subpage_types: list[str] = []
    base_form_class = SolutionPageForm

    def clean(self):
        super().clean()
        if self.cover_image_id and not self.cover_alt.strip():
            raise ValidationError(
                {"cover_alt": "Describe the cover image for people who cannot see it."}
            )


class SolutionSectorLink(Orderable):
    page = ParentalKey(SolutionPage, on_delete=models.CASCADE, related_name="sector_links")
    sector = models.ForeignKey(
        SectorPage,
        on_delete=models.CASCADE,
        related_name="solution_links",
        help_text="Its page lists this solution.",
    )
    is_primary = models.BooleanField(
        default=False,
        verbose_name="Main sector",
        help_text="Tick it for one sector: the solution is filed under it and it is named first.",
    )

    panels = [FieldRowPanel([FieldPanel("sector"), FieldPanel("is_primary")])]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["page", "sector"], name="one_link_per_sector")
        ]


class SectorSolution(Orderable):
    """One place in a sector's own list of its solutions: the sector's editor orders them."""

    sector = ParentalKey(SectorPage, on_delete=models.CASCADE, related_name="ordered_solutions")
    solution = models.ForeignKey(SolutionPage, on_delete=models.CASCADE, related_name="+")
    # The sector's page shows the solution from the solution's own export: a change to a
    # solution does not make the sector's export change (as a link to it in the text would).
    solution.wagtail_reference_index_ignore = True

    panels = [FieldPanel("solution")]


class OrganisationMention(Orderable):
    page = ParentalKey(SolutionPage, on_delete=models.CASCADE, related_name="organisation_mentions")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="mentions"
    )
    section_key = models.CharField(
        max_length=20,
        choices=SECTION_KEYS,
        blank=True,
        verbose_name="Section",
        help_text="The section of this page that names them.",
    )
    role = models.CharField(
        max_length=100, blank=True, help_text="For example “manufacturer” or “funder”."
    )
    note = models.TextField(blank=True, help_text="What the page says about them.")

    panels = [
        FieldRowPanel([FieldPanel("organisation"), FieldPanel("section_key")]),
        FieldPanel("role"),
        FieldPanel("note"),
    ]


class SolutionMetric(Orderable, MetricFields):
    page = ParentalKey(SolutionPage, on_delete=models.CASCADE, related_name="metrics")
    panels = MetricFields.panels


class SectorMetric(Orderable, MetricFields):
    page = ParentalKey(SectorPage, on_delete=models.CASCADE, related_name="metrics")
    panels = MetricFields.panels


class Reference(Orderable):
    page = ParentalKey(SolutionPage, on_delete=models.CASCADE, related_name="references")
    source = models.ForeignKey(
        Source,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Listed under “References” at the foot of the page.",
    )
    note = models.CharField(
        max_length=255, blank=True, help_text="What it backs up, if not the whole page."
    )

    panels = [FieldPanel("source"), FieldPanel("note")]


class RelatedSolution(Orderable):
    page = ParentalKey(SolutionPage, on_delete=models.CASCADE, related_name="related_solutions")
    solution = models.ForeignKey(
        SolutionPage,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Linked under “Related solutions” at the foot of the page.",
    )

    panels = [FieldPanel("solution")]

    def clean(self):
        if self.solution_id and self.solution_id == self.page_id:
            raise ValidationError({"solution": "A solution cannot be related to itself."})
