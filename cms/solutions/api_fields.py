"""API fields for the structured parts of handbook pages. Each returns plain JSON that the
exporter can validate and the theme can render without another lookup."""

from rest_framework.fields import Field

from content_export.richtext import safe_url

from .representation import image_representation, page_references, public_html

# The fields that show organisations and sources (changes.RECORD_MODELS), each with what it
# reads: an edit of one of those records changes these fields of the pages that show it,
# and nothing else.
RECORD_FIELDS = {
    "organisations": "organisation_mentions__organisation",
    "metrics": "metrics__source",
    "references": "references__source",
}


class PublicRichTextField(Field):
    def to_representation(self, value):
        return public_html(value, self.context)


class CoverField(Field):
    """The cover image with its alt text and caption (source="*": the whole page)."""

    def to_representation(self, page):
        remote_url = safe_url(getattr(page, "cover_image_url", "")) or ""
        if page.cover_image is None and not remote_url:
            return None
        return {
            "image": image_representation(page.cover_image, page.cover_alt),
            "alt": page.cover_alt,
            "caption": public_html(page.cover_caption, self.context),
            "remote_url": remote_url,
        }


class SectorLinksField(Field):
    def to_representation(self, links):
        references = []
        for link in links.all():
            references += page_references(
                [link.sector],
                self.context,
                is_primary=link.is_primary,
            )
        return references


class SolutionOrderField(Field):
    """The ids of the solutions in the order the sector's editor gave them."""

    def to_representation(self, ordered):
        return [item.solution_id for item in ordered.all()]


class RelatedSolutionsField(Field):
    def to_representation(self, related):
        return page_references([item.solution for item in related.all()], self.context)


class OrganisationMentionsField(Field):
    def to_representation(self, mentions):
        return [
            {
                "id": mention.organisation.pk,
                "name": mention.organisation.name,
                "slug": mention.organisation.slug,
                "abbreviation": mention.organisation.abbreviation,
                "kind": mention.organisation.kind,
                "website": safe_url(mention.organisation.website) or "",
                "section": mention.section_key,
                "role": mention.role,
                "note": mention.note,
            }
            for mention in mentions.all()
            if mention.organisation.live
        ]


def _number(value) -> str:
    """A stored decimal as people write it: 40, 144.3 (never 4E+1 or 40.000)."""
    return format(value.normalize(), "f")


def _source(source) -> dict | None:
    """A published source; None for none, or for one not yet published."""
    if source is None or not source.live:
        return None
    return {
        "id": source.pk,
        "title": source.title,
        "publisher": source.publisher,
        "url": safe_url(source.url) or "",
        "year": source.year,
    }


class MetricsField(Field):
    def to_representation(self, metrics):
        return [
            {
                "label": metric.label,
                "value": _number(metric.value),
                "value_max": _number(metric.value_max) if metric.value_max is not None else None,
                "unit": metric.unit,
                "period": metric.period,
                "source": _source(metric.source),
                "sourced": metric.is_sourced,
            }
            for metric in metrics.all()
        ]


class ReferencesField(Field):
    def to_representation(self, references):
        return [
            {**shown, "note": ref.note}
            for ref in references.all()
            if (shown := _source(ref.source)) is not None
        ]


class TagNamesField(Field):
    """Tag names, sorted in Python so that a prefetch of the tags is used."""

    def to_representation(self, tags):
        return sorted(tag.name for tag in tags.all())
