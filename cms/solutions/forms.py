"""The admin forms of handbook pages, with the checks a page must pass to be published."""

from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.models import COMMENTS_RELATION_NAME

from .representation import links_readers_cannot_follow


class HandbookPageForm(WagtailAdminPageForm):
    """Saves each inline list (sectors, metrics, organisations…) exactly as submitted.

    Wagtail's autosave can store a new inline item and then fail to give the open form its id
    (wagtail/wagtail#14568). The form sends the item again without an id, and modelcluster
    keeps both: a duplicate row, or a server error where the item must be unique (one link per
    sector). The submitted form lists every item the editor sees, so a stored item it does not
    list is dropped before saving, as a removed item would be. Comments are left to Wagtail.
    """

    def save(self, commit=True):
        for formset in self.formsets.values():
            if formset.rel_name == COMMENTS_RELATION_NAME:
                continue
            listed = {form.instance.pk for form in formset.initial_forms}
            items = getattr(self.instance, formset.rel_name)
            unlisted = [
                item for item in items.all() if item.pk is not None and item.pk not in listed
            ]
            if unlisted:
                items.remove(*unlisted)
        return super().save(commit=commit)


class SolutionPageForm(HandbookPageForm):
    """What a reader needs of a solution is checked when it is published (or sent for
    review): a summary, at least one section and exactly one main sector. A draft may be
    saved without them, so that an editor can stop halfway; two main sectors are refused
    even in a draft, as the site can show only one."""

    def clean(self):
        cleaned = super().clean()
        main_sectors = self._main_sectors()
        if main_sectors is not None and main_sectors > 1:
            self.add_error(
                None,
                "Sectors (Taxonomy tab): tick “Main sector” for one sector only; the site shows"
                " the main sector first and files the solution under it.",
            )
        if self.is_deferred_validation:  # saving a draft
            return cleaned
        if not (cleaned.get("summary") or "").strip():
            self.add_error(
                "summary",
                "Write one or two sentences: readers see them in listings and search results"
                " before they open the page.",
            )
        body = cleaned.get("body") or []
        if not any(child.block_type == "section" for child in body):
            self.add_error(
                "body",
                "Add at least one section (for example “Overview”): readers find their way"
                " through a page by its sections.",
            )
        broken = [
            problem for text in _rich_texts(body) for problem in links_readers_cannot_follow(text)
        ]
        if broken:
            self.add_error(
                "body",
                "Some links would lead readers nowhere: "
                + "; ".join(broken)
                + ". Choose a published page with the link tool, or remove the link.",
            )
        if main_sectors == 0:  # None: the sector list has its own errors to show first
            self.add_error(
                None,
                "Sectors (Taxonomy tab): add the solution's sector and tick “Main sector”, so"
                " that it is listed on that sector's page.",
            )
        return cleaned

    def _main_sectors(self) -> int | None:
        formset = self.formsets.get("sector_links")
        if formset is None or not formset.is_valid():
            return None
        return sum(
            1
            for form in formset.forms
            if form.cleaned_data.get("is_primary")
            and form.cleaned_data.get("sector")
            and not form.cleaned_data.get("DELETE")
        )


def _rich_texts(stream) -> list[str]:
    """The stored HTML of every rich text in a body (sections, lists, callouts, …)."""
    found: list[str] = []

    def collect(node) -> None:
        if isinstance(node, str):
            if "<a" in node:
                found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(stream.get_prep_value() if hasattr(stream, "get_prep_value") else stream)
    return found
