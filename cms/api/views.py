"""The headless API: Wagtail API v2 limited to live, public pages, plus /api/v2/changes/
so that an exporter can fetch only what changed since its last run, and pages/ids/ so that
a full export reads pages by id."""

import json

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.signing import BadSignature, SignatureExpired
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail_headless_preview.models import HeadlessPreviewMixin, PagePreview

from cms.publishing.changes import MAX_CHANGES, changed_pages, log_starts
from cms.publishing.public_site import public_redirects
from cms.solutions.api_fields import RECORD_FIELDS
from cms.solutions.models import SolutionPage
from cms.solutions.representation import for_many_pages, linked_paths

from .serialised import Made, listing_items, listing_variant, page_json

# From this many pages' JSON made in one listing, every public URL of the site is looked up
# at once (a quarter of a second at 100,000 pages) rather than the links of each page.
MANY_PAGES = 50


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Live pages outside any privacy restriction, whoever asks: the public site is built
    from this, so a logged-in editor's session must not widen it. A listing takes
    `ids=1,2,3` (at most WAGTAILAPI_LIMIT_MAX): the exporter reads the pages that a wide
    edit changed in a few listings rather than one request each."""

    known_query_parameters = PagesAPIViewSet.known_query_parameters.union(["ids"])

    def get_base_queryset(self):
        return super().get_base_queryset().public()

    def requested_ids(self) -> list[int] | None:
        """The ids a listing asks for (`ids=1,2,3`), or None for all."""
        ids = self.request.GET.get("ids")
        if ids is None or self.action != "listing_view":
            return None
        try:
            requested = [int(part) for part in ids.split(",")]
        except ValueError:
            raise BadRequestError("ids must be page ids separated by commas") from None
        if len(requested) > settings.WAGTAILAPI_LIMIT_MAX:
            raise BadRequestError(f"ids names more than {settings.WAGTAILAPI_LIMIT_MAX} pages")
        return requested

    @classmethod
    def get_urlpatterns(cls):
        return [
            *super().get_urlpatterns(),
            path("ids/", cls.as_view({"get": "ids_view"}), name="ids"),
        ]

    def ids_view(self, request):
        """`ids/?type=…`: the id of every page that listings of that type have, in one
        answer. A full export reads these, then the pages by id: a page published or
        unpublished meanwhile cannot push another out of a listing, as it could between
        listings read by offset."""
        if set(request.GET) - {"type"}:
            raise BadRequestError("ids/ takes only type")
        ids = self.get_queryset().order_by("pk").values_list("pk", flat=True)
        return JsonResponse({"ids": list(ids)})

    def listing_view(self, request):
        variant = listing_variant(request)
        if variant is None:
            for_many_pages(request)
            return super().listing_view(request)
        queryset = self.get_queryset()
        self.check_query_parameters(queryset)
        queryset = self.filter_queryset(queryset)
        ids = list(self.paginate_queryset(queryset).values_list("pk", flat=True))
        items = listing_items(ids, variant, self.make_json)
        total = self.paginator.total_count
        body = f'{{"meta":{{"total_count":{total}}},"items":[{",".join(items)}]}}'
        return HttpResponse(body, content_type="application/json")

    def make_json(self, ids: list[int], kept: Made) -> Made:
        """Each page's JSON as the listing gives it, and the tree paths its rich text links
        to (a page may appear at or leave such an address without this page changing).
        A page in `kept` has only its fields that show organisations and sources made
        again: the rest of its kept JSON is still right (serialised.listing_items)."""
        linked_paths(self.request)  # forget the paths of rich text made before these pages
        # one serializer for all, as a listing has: its fields are worked out once
        serializer = self.get_serializer_class()(context=self.get_serializer_context())
        made: Made = {}
        whole = [pk for pk in ids if pk not in kept]
        if len(whole) >= MANY_PAGES:
            for_many_pages(self.request)
        for page in self.get_queryset().filter(pk__in=whole) if whole else ():
            data = serializer.to_representation(page)
            made[page.pk] = (page_json(data), linked_paths(self.request))
        if len(whole) < len(ids):
            made.update(self.renew_records(kept, serializer))
        return made

    def renew_records(self, kept: Made, serializer) -> Made:
        """The kept JSON of these pages with the fields that show organisations and sources
        made again, reading only what those fields read."""
        fields = [name for name in RECORD_FIELDS if name in serializer.fields]
        pages = (
            self.get_queryset()
            .filter(pk__in=list(kept))
            .select_related(None)
            .prefetch_related(None)
            .prefetch_related(*(RECORD_FIELDS[name] for name in fields))
        )
        made: Made = {}
        for page in pages:
            text, paths = kept[page.pk]
            data = json.loads(text)
            for name in fields:
                data[name] = _field_value(serializer.fields[name], page)
            made[page.pk] = (page_json(data), paths)
        return made

    def get_queryset(self):
        queryset = super().get_queryset()
        if (ids := self.requested_ids()) is not None:
            if queryset.model is Page:  # the public pages themselves: narrowed directly
                queryset = queryset.filter(pk__in=ids)
            else:
                # Wagtail's query for one type is "of this type, among the public pages":
                # the public pages are looked for among `ids` only, not among every page
                # of the site (a quarter of a second a listing, at 100,000 pages)
                public = self.get_base_queryset().filter(pk__in=ids).values_list("pk")
                queryset = queryset.model.objects.filter(pk__in=public)
        if queryset.model is SolutionPage:
            # not select_related("cover_image"): the image would come without its renditions
            queryset = queryset.select_related("locale").prefetch_related(
                Prefetch("cover_image", queryset=get_image_model().objects.prefetch_renditions()),
                "sector_links__sector",
                "organisation_mentions__organisation",
                "metrics__source",
                "references__source",
                "related_solutions__solution",
                "tags",
            )
        return queryset


def _field_value(field, page):
    """One field of a page, as Wagtail's serializer gives it."""
    value = field.get_attribute(page)
    return None if value is None else field.to_representation(value)


@require_GET
def changes(request):
    """Pages whose public form changed after `since` (ISO 8601), up to `until`.

    Pass the returned `until` as the next `since`. Ids are of pages that were published,
    unpublished, moved, deleted or had their privacy changed (with their descendants), or
    that show an organisation, source or image that was edited. The caller fetches each id:
    a 404 means the page is no longer public.
    """
    since = parse_datetime(request.GET.get("since", ""))
    if since is None:
        return JsonResponse(
            {"message": "since: give an ISO 8601 time, e.g. 2026-01-31T12:00:00+00:00"},
            status=400,
        )
    if since < log_starts():
        return JsonResponse(
            {"message": "since: older than the change log keeps: run a full export"}, status=409
        )
    until = timezone.now()
    found = changed_pages(since, until)
    if len(found) > MAX_CHANGES:
        return JsonResponse({"message": "too many changes: run a full export"}, status=409)
    return JsonResponse({"since": since.isoformat(), "until": until.isoformat(), "changes": found})


@require_GET
def redirects(request):
    """The public site's redirects: Wagtail's redirects (made by editors, and made when a
    page or an organisation changed address), each to a live, public page by id or to a
    path or address."""
    return JsonResponse({"redirects": public_redirects()})


class PagePreviewAPIViewSet(PublicPagesAPIViewSet):
    """/api/v2/page_preview/?content_type=app.model&token=…: an editor's draft, in the same
    shape (and through the same serializer) as a published page.

    Tokens come from wagtail-headless-preview; they are signed and expire after
    PREVIEW_TOKEN_MAX_AGE seconds. A forged, expired or unknown token is a 404 with a reason.
    """

    detail_only_fields: list[str] = []  # a draft may have no parent in the tree yet

    @classmethod
    def get_urlpatterns(cls):
        return [pattern for pattern in super().get_urlpatterns() if pattern.name != "ids"]

    known_query_parameters = PublicPagesAPIViewSet.known_query_parameters.union(
        ["content_type", "token"]
    )

    @classmethod
    def get_meta_fields(cls, model):
        # A page that was never saved (previewed from "Add page") has no API URL yet.
        return [field for field in super().get_meta_fields(model) if field.name != "detail_url"]

    def listing_view(self, request):
        self.action = "detail_view"
        return self.detail_view(request, pk=None)

    def get_object(self):
        if not hasattr(self, "_preview_page"):
            self._preview_page = self._page_from_token()
        return self._preview_page

    def _page_from_token(self):
        token = self.request.GET.get("token", "")
        try:
            app_label, model_name = self.request.GET.get("content_type", "").split(".")
            content_type = ContentType.objects.get_by_natural_key(app_label, model_name)
        except (ValueError, ContentType.DoesNotExist):
            raise Http404("content_type: give the page type, e.g. solutions.solutionpage") from None
        page_model = content_type.model_class()
        if not issubclass(page_model, HeadlessPreviewMixin):
            raise Http404("that page type has no preview")
        try:
            identifier = page_model.get_preview_signer().unsign(
                token, max_age=settings.PREVIEW_TOKEN_MAX_AGE
            )
        except SignatureExpired:
            raise Http404("this preview link has expired: press Preview again") from None
        except BadSignature:
            raise Http404("this is not a valid preview link") from None
        preview = PagePreview.objects.filter(content_type=content_type, token=token).first()
        if preview is None:
            raise Http404("no preview for this link: press Preview again")
        page = preview.as_page()
        published = Page.objects.filter(pk=page.pk).values(
            "first_published_at", "last_published_at"
        )
        for field, value in (published.first() or {}).items():
            setattr(page, field, value)  # when it was published is not part of the draft
        if not page.url_path and identifier.startswith("parent_id="):
            # A page that was never saved: place it where it will be created.
            parent = Page.objects.get(pk=int(identifier.split(";")[0].removeprefix("parent_id=")))
            page.url_path = f"{parent.url_path}{page.slug or 'new-page'}/"
        return page
