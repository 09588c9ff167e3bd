"""The "Site builds" screen in the Wagtail admin: what each build did, whether the site is
up to date, and (for those allowed) rebuild and roll back."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from site_builder import deploy

from .models import Build
from .queue import request_build

SHOWN = 50


class SiteBuildsView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "publishing/site_builds.html"
    page_title = "Site builds"
    header_icon = "globe"
    breadcrumbs_items = [{"url": "", "label": "Site builds"}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        builds = list(Build.objects.prefetch_related("triggers__user", "deliveries")[:SHOWN])
        live_release = deploy.current(Path(settings.SITE_PUBLIC_DIR))
        context.update(
            builds=builds,
            live_release=live_release,
            live_build=next((b for b in builds if b.release and b.release == live_release), None),
            busy=any(b.status in (Build.Status.PENDING, Build.Status.RUNNING) for b in builds),
            site_url=settings.PUBLIC_SITE_URL.rstrip("/"),
            can_rollback=self.request.user.has_perm("publishing.rollback_site"),
            kept_releases=set(deploy.releases(Path(settings.SITE_PUBLIC_DIR))),
        )
        return context


@require_POST
def rebuild(request):
    if not request.user.has_perm("publishing.rollback_site"):
        raise PermissionDenied
    build = request_build(
        "manual", f"Full rebuild asked for by {request.user}", user=request.user, full=True
    )
    messages.success(request, f"Build #{build.pk} is queued: the whole site will be rebuilt.")
    return redirect("site_builds")


@require_POST
def rollback(request, build_id: int):
    """Switch the public site back to the release an earlier build made (instant)."""
    if not request.user.has_perm("publishing.rollback_site"):
        raise PermissionDenied
    build = get_object_or_404(Build, pk=build_id, status=Build.Status.LIVE)
    try:
        deploy.rollback(Path(settings.SITE_PUBLIC_DIR), build.release)
    except deploy.DeployError as error:
        messages.error(request, f"Could not roll back to build #{build.pk}: {error}")
    else:
        messages.success(
            request,
            f"The public site now shows the release of build #{build.pk}. "
            "The next publish builds from the CMS again.",
        )
    return redirect(reverse("site_builds"))
