"""The "Site builds" screen in the Wagtail admin: what each build did, whether the site is
up to date, and (for those allowed) rebuild and roll back."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import log

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


class RollbackForm(forms.Form):
    reason = forms.CharField(
        label="Why roll back?",
        help_text="Kept in the site history with your name, for whoever looks later.",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RollbackView(WagtailAdminTemplateMixin, FormView):
    """Switch the public site back to the release an earlier build made (instant), once the
    person asking has seen what it changes and said why. The switch is recorded in the
    site history (Reports) with who did it and the reason."""

    template_name = "publishing/rollback.html"
    form_class = RollbackForm
    page_title = "Roll back the public site"
    header_icon = "globe"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("publishing.rollback_site"):
            raise PermissionDenied
        self.build = get_object_or_404(Build, pk=kwargs["build_id"], status=Build.Status.LIVE)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            {"url": reverse("site_builds"), "label": "Site builds"},
            {"url": "", "label": f"Roll back to build #{self.build.pk}"},
        ]

    def get_context_data(self, **kwargs):
        public = Path(settings.SITE_PUBLIC_DIR)
        live = deploy.current(public)
        context = super().get_context_data(**kwargs)
        context.update(
            build=self.build,
            live_build=Build.objects.filter(release=live).first() if live else None,
            later=Build.objects.filter(pk__gt=self.build.pk, status=Build.Status.LIVE).count(),
            site_url=settings.PUBLIC_SITE_URL.rstrip("/"),
        )
        return context

    def form_valid(self, form):
        build, reason = self.build, form.cleaned_data["reason"]
        try:
            deploy.rollback(Path(settings.SITE_PUBLIC_DIR), build.release)
        except deploy.DeployError as error:
            messages.error(self.request, f"Could not roll back to build #{build.pk}: {error}")
            return redirect("site_builds")
        log(instance=build, action=ROLLBACK_ACTION, user=self.request.user, data={"reason": reason})
        messages.success(
            self.request,
            f"The public site now shows the release of build #{build.pk}. "
            "The next publish builds from the CMS again.",
        )
        return redirect("site_builds")


ROLLBACK_ACTION = "publishing.rollback"
