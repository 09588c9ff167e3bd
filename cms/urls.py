from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.accounts.views import throttled_document_password, throttled_page_password
from cms.api.router import api_router
from cms.api.views import changes, redirects
from cms.health import healthz
from cms.media import serve_media
from cms.publishing.webhooks import build_hook, build_status

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("api/v2/changes/", changes, name="api_changes"),
    path("api/v2/redirects/", redirects, name="api_redirects"),
    path("api/v2/", api_router.urls),
    path("hooks/build/", build_hook, name="build_hook"),
    path("hooks/build/<int:build_id>/", build_status, name="build_status"),
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's own password forms, throttled (the same addresses, matched first)
    path(
        "documents/authenticate_with_password/<int:restriction_id>/",
        throttled_document_password,
    ),
    path("documents/", include(wagtaildocs_urls)),
    path(
        "_util/authenticate_with_password/<int:restriction_id>/<int:page_id>/",
        throttled_page_password,
    ),
]

if settings.SERVE_MEDIA:
    # Uploaded images for the admin and the exporter (readers get the static site's own
    # copies), never private files. Off when media live on S3-compatible storage.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve_media)]

urlpatterns += [path("", include(wagtail_urls))]
