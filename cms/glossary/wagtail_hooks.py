from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import GlossaryTerm


class GlossaryTermViewSet(SnippetViewSet):
    model = GlossaryTerm
    icon = "help"
    menu_label = "Glossary"
    add_to_admin_menu = True
    menu_order = 220
    list_display = ["term", "slug"]
    search_fields = ["term", "synonyms"]


register_snippet(GlossaryTermViewSet)
