"""The Wagtail admin's forms as an editor fills them in, for the tests and the editors bench
(which posts them to a running CMS over HTTP)."""

from django.utils.text import slugify
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

OVERVIEW = {
    "key": "overview",
    "heading": "Overview",
    "anchor": "",
    "content": streamfield([("paragraph", rich_text("<p>Collectors on the roof heat water.</p>"))]),
}


def new_solution_form(sector, title: str, **fields) -> dict:
    """The admin's form for a new solution page in one sector, as the editor fills it in."""
    no_items = inline_formset([])
    return nested_form_data(
        {
            "title": title,
            "slug": slugify(title),
            "summary": "Rooftop collectors that heat water with sunlight.",
            "body": streamfield([("section", OVERVIEW)]),
            "editorial_status": "in_review",
            "sector_links": inline_formset([{"id": "", "sector": sector.pk, "is_primary": "on"}]),
            "related_solutions": no_items,
            "metrics": no_items,
            "organisation_mentions": no_items,
            "references": no_items,
            "comments": no_items,
            **fields,
        }
    )
