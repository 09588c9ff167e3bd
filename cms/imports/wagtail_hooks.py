from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from .models import ImportNote


class ImportNoteViewSet(ModelViewSet):
    """“To fix after import”: the links and images editors still need to look at."""

    model = ImportNote
    icon = "warning"
    menu_label = "To fix after import"
    add_to_admin_menu = True
    menu_order = 220
    list_display = ["page", "message", "source_path", "line"]
    list_filter = ["kind"]
    search_fields = ["target", "message", "source_path"]
    form_fields = ["kind", "target", "message"]
    inspect_view_enabled = True


@hooks.register("register_admin_viewset")
def register_import_notes():
    return ImportNoteViewSet("import_notes")
