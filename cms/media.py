"""Uploaded files as the CMS serves them (MEDIA_ROOT, unless media live on S3-compatible
storage): image renditions for the admin and the exporter, and nothing private.

Documents are served only by Wagtail's document view (WAGTAILDOCS_SERVE_METHOD), which asks
for a restricted collection's password or sign-in; their files are never served here. An
original image of a restricted collection is served only to people signed in to the admin.
"""

from django.conf import settings
from django.http import Http404
from django.views.static import serve
from wagtail.images import get_image_model
from wagtail.models import CollectionViewRestriction


def serve_media(request, path: str):
    folder = path.split("/", 1)[0]
    if folder == "documents":
        raise Http404("documents are served at /documents/")
    if folder == "original_images" and not request.user.has_perm("wagtailadmin.access_admin"):
        image = get_image_model().objects.filter(file=path).select_related("collection").first()
        if image is None or _restricted(image.collection):
            raise Http404("not a public image")
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def _restricted(collection) -> bool:
    collections = collection.get_ancestors(inclusive=True)
    return CollectionViewRestriction.objects.filter(collection__in=collections).exists()
