from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.ui.tables import UsageCountColumn
from wagtail.models import ReferenceIndex
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Organisation, Source


class SourceChooserViewSet(SnippetChooserViewSet):
    """The source chooser can make a new source in place (“Add a source”), so that an
    editor citing a figure need not leave the page."""

    form_fields = ["title", "publisher", "url", "year"]
    create_action_label = "Add a source"


class OrganisationChooserViewSet(SnippetChooserViewSet):
    form_fields = ["name", "abbreviation", "kind", "website"]
    create_action_label = "Add an organisation"


class CountsUsage:
    """A listing column with how many pages use each record (Wagtail's reference index),
    linking to the list of them: an editor sees what a change or a deletion reaches."""

    def get_queryset(self, request):
        return self.model.objects.annotate(
            usage_count=ReferenceIndex.usage_count_subquery(self.model)
        )


USAGE = UsageCountColumn("usage_count", label="Used", sort_key="usage_count")


class OrganisationViewSet(CountsUsage, SnippetViewSet):
    model = Organisation
    icon = "group"
    menu_label = "Organisations"
    add_to_admin_menu = True
    menu_order = 200
    list_display = ["name", "abbreviation", "kind", USAGE]
    chooser_viewset_class = OrganisationChooserViewSet
    list_filter = ["kind"]
    search_fields = ["name", "abbreviation"]


class SourceViewSet(CountsUsage, SnippetViewSet):
    model = Source
    icon = "doc-full"
    menu_label = "Sources"
    add_to_admin_menu = True
    menu_order = 210
    list_display = ["title", "publisher", "year", USAGE]
    chooser_viewset_class = SourceChooserViewSet


register_snippet(OrganisationViewSet)
register_snippet(SourceViewSet)


@hooks.register("insert_editor_js")
def submit_after_autosave() -> str:
    """Save draft / Publish wait for an autosave under way (see the script for why)."""
    return format_html('<script src="{}"></script>', static("solutions/submit-after-autosave.js"))
