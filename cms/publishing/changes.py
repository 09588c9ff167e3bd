"""What changed on the public site, and which pages it touches: the one answer that the
headless API's /changes/ endpoint (read by the exporter) and the build triggers share.

Every change is a SiteChange row written in the transaction that made it (signals.py says
which changes count); once committed, it adds a trigger to the pending build. The pages a
change touches come from the page tree and Wagtail's reference index.
"""

import itertools
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex

from cms.solutions.models import Organisation, Source

from .models import ShownPage, SiteChange
from .queue import request_build

# Snippets, images and documents shown on pages: a change to one changes the pages using it.
SHARED_MODELS = (Organisation, Source, get_image_model(), get_document_model())
MAX_CHANGES = 50_000
TRIGGER_KINDS = {
    SiteChange.Kind.PUBLISHED: "publish",
    SiteChange.Kind.UNPUBLISHED: "unpublish",
    SiteChange.Kind.MOVED: "move",
    SiteChange.Kind.DELETED: "delete",
    SiteChange.Kind.PRIVACY: "privacy",
    SiteChange.Kind.REDIRECT: "redirect",
    SiteChange.Kind.EDITED: "snippet",
}


def record(
    kind: str,
    description: str,
    *,
    page: Page | None = None,
    subtree: bool = False,
    pages: list[int] = (),
    user=None,
) -> SiteChange:
    """Write the change in the current transaction, and once that commits, add it to the
    pending build: no change without an entry, no entry without a build."""
    change = SiteChange.objects.create(
        kind=kind,
        description=description[:300],
        page_id=page.pk if page is not None else None,
        subtree=subtree,
        pages=list(pages),
    )
    if page is not None:
        remember_shown(page, subtree=subtree)
    trigger = TRIGGER_KINDS[kind]
    edit = edit_number()
    transaction.on_commit(
        lambda: request_build(trigger, description, page=page, user=user, edit=edit)
    )
    return change


_edit_numbers = itertools.count(1)


def edit_number() -> int | None:
    """A number for the transaction that is open (None outside one): the changes that one
    edit makes in it (an organisation renamed, and its redirects) are one trigger's worth.
    A transaction is known by its list of callbacks to run on commit, which Django makes
    anew when a transaction ends (an Atomic object can serve many transactions)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    known = getattr(connection, "site_edit", None)
    if known is None or known[1] is not connection.run_on_commit:
        known = connection.site_edit = (next(_edit_numbers), connection.run_on_commit)
    return known[0]


def remember_shown(page: Page, *, subtree: bool) -> None:
    """Note the pages of this change that are live and public now (the site shows them)."""
    pages = (
        Page.objects.descendant_of(page, inclusive=True)
        if subtree
        else Page.objects.filter(pk=page.pk)
    )
    ids = pages.live().public().values_list("pk", flat=True)
    ShownPage.objects.bulk_create([ShownPage(page_id=pk) for pk in ids], ignore_conflicts=True)


def log_starts() -> datetime:
    """The change log is complete from this time on (older entries are forgotten)."""
    return timezone.now() - timedelta(days=settings.SITE_CHANGES_KEEP_DAYS)


def forget_old_changes() -> int:
    """Delete entries older than SITE_CHANGES_KEEP_DAYS, so the log does not grow forever."""
    deleted, _ = SiteChange.objects.filter(created_at__lt=log_starts()).delete()
    return deleted


def changed_pages(since: datetime, until: datetime) -> list[dict]:
    """Pages whose public form changed in (since, until]: each once, at its latest change,
    as {"id", "action", "timestamp"}. A page that is not public now is listed too: the
    exporter finds it gone (404) and removes it."""
    found: dict[int, dict] = {}
    own: set[int] = set()  # pages whose own title, address or visibility may have changed

    def add(page_id: int, action: str, timestamp: datetime) -> None:
        known = found.get(page_id)
        if known is None or known["timestamp"] <= timestamp.isoformat():
            found[page_id] = {"id": page_id, "action": action, "timestamp": timestamp.isoformat()}

    changes = SiteChange.objects.filter(created_at__gt=since, created_at__lte=until)
    for change in changes.order_by("created_at", "pk"):
        if change.page_id is not None:
            add(change.page_id, change.kind, change.created_at)
            own.add(change.page_id)
            if change.subtree and (page := Page.objects.filter(pk=change.page_id).first()):
                for child_id in page.get_descendants().values_list("pk", flat=True):
                    add(child_id, change.kind, change.created_at)
                    own.add(child_id)
        # Pages that show an edited organisation, source or image: their title and address
        # stay as they were, so the pages that link to them need nothing new.
        for page_id in change.pages:
            add(page_id, SiteChange.Kind.EDITED, change.created_at)

    # Pages that link to a changed page show its title and URL (or must drop the link).
    for page_id in sorted(own):
        timestamp = datetime.fromisoformat(found[page_id]["timestamp"])
        for source_id in pages_referring_to(Page(pk=page_id)):
            if source_id not in found or found[source_id]["action"] != "deleted":
                add(source_id, SiteChange.Kind.EDITED, timestamp)
    # Only pages the site has shown: a page that was never public is nobody's business.
    shown = ShownPage.objects.values_list("page_id", flat=True)
    if len(found) < 500:
        shown = shown.filter(page_id__in=list(found))
    shown = set(shown)
    return [change for change in found.values() if change["id"] in shown]


def live_pages_showing(instance) -> list[int]:
    """Ids of the live pages that show `instance` (an organisation, image, …)."""
    return list(
        Page.objects.live().filter(pk__in=pages_referring_to(instance)).values_list("pk", flat=True)
    )


def pages_referring_to(target) -> list[int]:
    """Ids of pages whose content links to or shows `target` (Wagtail's reference index).

    Pages are picked out in Python: with the page type in the query, SQLite scans every
    page's references instead of using the index on the target (12 ms, not 0.5, at 10,000).
    """
    page_type = ContentType.objects.get_for_model(Page).pk
    references = ReferenceIndex.get_references_to(target).values_list(
        "base_content_type_id", "object_id"
    )
    return sorted(
        {int(object_id) for base, object_id in references.distinct() if base == page_type}
    )
