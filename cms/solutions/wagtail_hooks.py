from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html_join
from wagtail import hooks
from wagtail.admin.rich_text.converters.html_to_contentstate import InlineStyleElementHandler
from wagtail.admin.rich_text.editors.draftail.features import InlineStyleFeature
from wagtail.admin.ui.tables import UsageCountColumn
from wagtail.admin.widgets import Button
from wagtail.log_actions import LogFormatter
from wagtail.models import ReferenceIndex
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from .merging import MERGE_ACTION
from .models import Organisation, Source
from .views import MergeOrganisationView


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

    def get_urlpatterns(self):
        merge = path("merge/<int:pk>/", MergeOrganisationView.as_view(), name="merge")
        return [*super().get_urlpatterns(), merge]


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


@hooks.register("register_rich_text_features")
def register_mark_feature(features):
    """“Highlight”: marked text (<mark>), as the handbook's ==text== wrote it."""
    features.register_editor_plugin(
        "draftail",
        "mark",
        InlineStyleFeature(
            {
                "type": "MARK",
                "label": "☆",
                "description": "Highlight",
                "style": {"backgroundColor": "#fff0a0"},
            }
        ),
    )
    features.register_converter_rule(
        "contentstate",
        "mark",
        {
            "from_database_format": {"mark": InlineStyleElementHandler("MARK")},
            "to_database_format": {"style_map": {"MARK": "mark"}},
        },
    )


@hooks.register("insert_editor_js")
def editor_scripts() -> str:
    """A new page is not autosaved before its first save; Save draft / Publish wait for an
    autosave under way; fields with a length limit show how much of it is used (each script
    says why)."""
    scripts = (
        "solutions/no-autosave-before-first-save.js",
        "solutions/submit-after-autosave.js",
        "solutions/character-count.js",
    )
    return format_html_join("", '<script src="{}"></script>', ((static(s),) for s in scripts))


@hooks.register("register_snippet_listing_buttons")
def merge_button(snippet, user, next_url=None):
    """“Merge into…” in an organisation's “More” menu, for those who may delete one."""
    if isinstance(snippet, Organisation) and user.has_perm("solutions.delete_organisation"):
        url = reverse(snippet.snippet_viewset.get_url_name("merge"), args=[snippet.pk])
        yield Button("Merge into…", url, icon_name="resubmit", priority=30)


@hooks.register("register_log_actions")
def register_merge_action(actions):
    @actions.register_action(MERGE_ACTION)
    class Merged(LogFormatter):
        label = "Merge organisations"

        def format_message(self, log_entry):
            merged = (log_entry.data or {}).get("merged", "another organisation")
            return f"Merged “{merged}” into this organisation"
