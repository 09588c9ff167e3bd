from django.conf import settings
from django.urls import path, reverse
from django.utils import formats, timezone
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.log_actions import LogFormatter
from wagtail.models import PageLogEntry

from . import views
from .models import Build
from .queue import public_path


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


class RecentChangesPanel(Component):
    """On the admin's home: the pages this editor published or unpublished lately, and
    whether each change is on the public site yet (waiting, building, live with a link, or
    failed and why). A change is live once a build that started after it is live."""

    name = "recent_site_changes"
    order = 50  # before Wagtail's own panels
    template_name = "publishing/recent_changes_panel.html"
    actions = {"wagtail.publish": "Published", "wagtail.unpublish": "Unpublished"}

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        entries = PageLogEntry.objects.filter(user=self.user, action__in=self.actions)
        rows = []
        for entry in entries.select_related("page").order_by("-timestamp")[:8]:
            build = _build_with(entry.timestamp)
            rows.append(
                {
                    "what": f"{self.actions[entry.action]} “{entry.label}”",
                    "when": entry.timestamp,
                    "state": build.status if build else Build.Status.PENDING,
                    "build": build,
                    "url": public_path(entry.page) if entry.page and entry.page.live else "",
                }
            )
        return {
            "rows": rows,
            "site_url": settings.PUBLIC_SITE_URL.rstrip("/"),
            "builds_url": reverse("site_builds"),
        }


def _build_with(changed_at) -> Build | None:
    """The build that shows a change made at `changed_at`: the first live one started
    after it, else the one building it, else the last that failed to."""
    after = Build.objects.filter(started_at__gte=changed_at)
    for status in (Build.Status.LIVE, Build.Status.RUNNING, Build.Status.FAILED):
        build = after.filter(status=status).order_by("started_at").first()
        if build is not None:
            return build
    return None


@hooks.register("construct_homepage_panels")
def show_recent_site_changes(request, panels):
    panels.append(RecentChangesPanel(request.user))
