from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.api.router import api_router
from cms.api.views import changes, redirects
from cms.publishing.webhooks import build_hook, build_status

urlpatterns = [
    path("api/v2/changes/", changes, name="api_changes"),
    path("api/v2/redirects/", redirects, name="api_redirects"),
    path("api/v2/", api_router.urls),
    path("hooks/build/", build_hook, name="build_hook"),
    path("hooks/build/<int:build_id>/", build_status, name="build_status"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
