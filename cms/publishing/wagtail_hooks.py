from django.conf import settings
from django.urls import path, reverse
from django.utils import formats, timezone
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.log_actions import LogFormatter

from . import views


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path("site-builds/", views.SiteBuildsView.as_view(), name="site_builds"),
        path("site-builds/rebuild/", views.rebuild, name="site_builds_rebuild"),
        path(
            "site-builds/<int:build_id>/rollback/",
            views.RollbackView.as_view(),
            name="site_builds_rollback",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_site_builds_menu_item():
    return MenuItem("Site builds", reverse("site_builds"), icon_name="globe", order=250)


@hooks.register("register_log_actions")
def register_rollback_action(actions):
    @actions.register_action(views.ROLLBACK_ACTION)
    class RolledBack(LogFormatter):
        label = "Roll back the public site"

        def format_message(self, log_entry):
            reason = (log_entry.data or {}).get("reason", "")
            return f"Rolled the public site back to build #{log_entry.object_id}: {reason}"


@hooks.register("after_publish_page")
def tell_the_editor_where_to_follow_the_build(request, page):
    go_live_at = page.get_latest_revision().approved_go_live_at
    if go_live_at and go_live_at > timezone.now():
        when = formats.date_format(timezone.localtime(go_live_at), "j F Y, H:i")
        message = (
            f"“{page.title}” is scheduled: it goes live on the public site at {when}"
            f" ({settings.TIME_ZONE}), or within a minute after."
        )
    else:
        message = f"“{page.title}” goes live on the public site with the next build."
    messages.info(
        request,
        message,
        buttons=[messages.button(reverse("site_builds"), "Follow it in Site builds")],
    )
