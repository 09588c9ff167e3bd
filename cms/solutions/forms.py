"""The admin form of handbook pages."""

from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.models import COMMENTS_RELATION_NAME


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
