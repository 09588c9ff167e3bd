"""The JSON a full export reads, made ahead by the build worker while it has nothing else
to do.

The CMS keeps each page's JSON as the exporter's listings give it (cms/api/serialised.py).
After a release (which outdates all of it), a change of site, or pages added in bulk, a full
export would otherwise wait while the CMS made every page's JSON again: 2 to 3 ms of a core
a page, half a minute at 10,000 pages. The worker's upkeep asks the API for those pages,
BATCH at a time, with the very listings a full export reads (so the JSON is kept for its
host), and stops as soon as a build is waiting, or when its share of the upkeep is spent
(the rest of the upkeep, such as scheduled publishing, must not wait for it).
"""

import logging
import time
from collections.abc import Callable

import requests
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page

from content_export.client import ApiClient, ExportError
from content_export.export import listings_by_id
from content_export.schema import PAGE_TYPES

from .models import Build, SerialisedPage

logger = logging.getLogger(__name__)

BATCH = 100  # pages a listing: a third of a second of the CMS's time, all a build may wait


def pages_to_make() -> dict[str, list[int]]:
    """The live, public pages of the exported types whose JSON is not kept as it is now,
    by the type a listing names."""
    types = {
        ContentType.objects.get_for_model(apps.get_model(name), for_concrete_model=False).pk: name
        for name in PAGE_TYPES
    }
    kept = SerialisedPage.objects.filter(
        made_at_version=F("version"), made_at_whole_version=F("whole_version")
    ).values("page_id")
    pages = (
        Page.objects.live()
        .public()
        .filter(content_type__in=types)
        .exclude(pk__in=kept)
        .order_by("pk")
        .values_list("content_type", "pk")
    )
    found: dict[str, list[int]] = {}
    for content_type, pk in pages:
        found.setdefault(types[content_type], []).append(pk)
    return found


def build_waiting() -> bool:
    """Whether a build is due: it comes first."""
    due = Build.objects.filter(status=Build.Status.PENDING, not_before__lte=timezone.now())
    return due.exists()


def make_json_ahead(
    api_url: str,
    *,
    stop: Callable[[], bool] = build_waiting,
    seconds: float = float("inf"),
) -> int:
    """Ask the API at `api_url` for every page whose JSON is not kept, a listing of BATCH
    pages at a time, until none is left, `stop()` says so or about `seconds` have passed.
    How many pages were asked for."""
    client = ApiClient(api_url, concurrency=1, retries=1)
    deadline = time.monotonic() + seconds
    asked = 0
    try:
        for page_type, ids in pages_to_make().items():
            for path, params in listings_by_id(page_type, ids, limit=BATCH):
                if stop() or time.monotonic() > deadline:
                    return asked
                client.get_json(path, params)
                asked += params["limit"]
    except (ExportError, requests.RequestException) as error:
        # the CMS is away or busy: builds will say so; this is tried again next upkeep
        logger.warning("making pages' JSON ahead stopped: %s", error)
    return asked
