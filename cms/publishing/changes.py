"""What changed on the public site, and which pages it touches: the one answer that the
headless API's /changes/ endpoint (read by the exporter) and the build triggers share.

Every change is a SiteChange row written in the transaction that made it (signals.py says
which changes count); once committed, it adds a trigger to the pending build. The pages a
change touches come from the page tree and Wagtail's reference index.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex

from cms.solutions.models import Organisation, Source

from .models import SerialisedPage, ShownPage, SiteAddress, SiteChange
from .queue import request_build

# Snippets, images and documents shown on pages: a change to one changes the pages using it.
SHARED_MODELS = (Organisation, Source, get_image_model(), get_document_model())
# Records that pages show only in their own fields (api_fields.RECORD_FIELDS), never in
# their body: an edit of one changes those fields of the pages and nothing else.
RECORD_MODELS = (Organisation, Source)
MAX_CHANGES = 50_000
BATCH = 5000  # ids in one query (SQLite takes at most 32,766 parameters)
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
    new_address: bool = False,
    address_before: str | None = None,
    records_only: bool = False,
) -> SiteChange:
    """Write the change in the current transaction, and once that commits, add it to the
    pending build: no change without an entry, no entry without a build. `new_address`: a
    published page is now at an address where it was not shown before; `address_before`:
    the tree path it left (moved or renamed); `records_only`: the change is to a record
    of RECORD_MODELS that `pages` show."""
    change = SiteChange.objects.create(
        kind=kind,
        description=description[:300],
        page_id=page.pk if page is not None else None,
        subtree=subtree,
        pages=list(pages),
    )
    own = pages_of(page.pk, subtree=subtree) if page is not None else []
    if page is not None:
        remember_shown(page, subtree=subtree)
    outdate_serialised([*own, *pages, *pages_referring_to_any(own)], records_only=records_only)
    if page is not None and (kind != SiteChange.Kind.PUBLISHED or new_address):
        # Links by path ("/glossary/") change where a page appears at or leaves an address.
        count_address_change([page.url_path, *([address_before] if address_before else [])])
    _build_once_committed(TRIGGER_KINDS[kind], description, page, user)
    return change


def _build_once_committed(trigger: str, description: str, page: Page | None, user) -> None:
    """Add a trigger to the pending build once the open transaction commits (at once
    outside one). The changes one edit makes in a transaction (an organisation renamed, and
    the redirects from its old addresses) are one edit's triggers: added together, in one
    transaction, so that a worker cannot start the build between two of them and leave the
    rest to a second build; and they do not prolong each other's wait (queue.py)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        request_build(trigger, description, page=page, user=user)
        return
    edit = getattr(connection, "site_edit", None)
    # A transaction is known by its list of callbacks to run on commit, which Django makes
    # anew when a transaction ends (an Atomic object can serve many transactions).
    if edit is None or edit[0] is not connection.run_on_commit:
        triggers = []
        edit = connection.site_edit = (connection.run_on_commit, triggers)
        transaction.on_commit(lambda: _request_together(triggers))
    edit[1].append((trigger, description, page, user))


def _request_together(triggers: list[tuple]) -> None:
    with transaction.atomic():
        for number, (trigger, description, page, user) in enumerate(triggers):
            request_build(trigger, description, page=page, user=user, same_edit=number > 0)


def remember_shown(page: Page, *, subtree: bool) -> None:
    """Note the pages of this change that are live and public now (the site shows them)."""
    pages = (
        Page.objects.descendant_of(page, inclusive=True)
        if subtree
        else Page.objects.filter(pk=page.pk)
    )
    ids = pages.live().public().values_list("pk", flat=True)
    ShownPage.objects.bulk_create([ShownPage(page_id=pk) for pk in ids], ignore_conflicts=True)


def pages_of(page_id: int, *, subtree: bool) -> list[int]:
    """The page's id, and with `subtree` the ids of the pages below it."""
    if not subtree:
        return [page_id]
    page = Page.objects.filter(pk=page_id).first()
    if page is None:
        return [page_id]
    return [page_id, *page.get_descendants().values_list("pk", flat=True)]


def outdate_serialised(page_ids: list[int], *, records_only: bool = False) -> None:
    """The JSON kept for these pages (serialised.py) is not to be used again as it is; with
    `records_only`, only its fields that show organisations and sources are to be made
    again.

    Rows are made for pages that have none, so that JSON being made right now for one of
    them (at version 0) is stored outdated too."""
    counters = ("version",) if records_only else ("version", "whole_version")
    _count_up(SerialisedPage, "page_id", sorted(set(page_ids)), counters)


def count_address_change(paths: list[str]) -> None:
    """A page appeared at or left these tree paths (and the paths below them)."""
    _count_up(SiteAddress, "path", sorted(set(paths)))


def _count_up(model, key: str, values: list, counters: tuple[str, ...] = ("version",)) -> None:
    """Add one to the `counters` of each row of `model` whose `key` is in `values`, making
    rows that are missing (at 0, before adding one)."""
    if not values:
        return
    model.objects.bulk_create(
        [model(**{key: value}) for value in values], ignore_conflicts=True, batch_size=BATCH
    )
    for start in range(0, len(values), BATCH):
        rows = model.objects.filter(**{f"{key}__in": values[start : start + BATCH]})
        rows.update(**{counter: F(counter) + 1 for counter in counters})


def outdate_every_serialised_page(using: str = "default") -> None:
    """No stored API form is to be used again (the site's address or the code changed)."""
    if SerialisedPage._meta.db_table in connections[using].introspection.table_names():
        SerialisedPage.objects.using(using).update(
            version=F("version") + 1, whole_version=F("whole_version") + 1
        )


def log_starts() -> datetime:
    """The change log is complete from this time on (older entries are forgotten)."""
    return timezone.now() - timedelta(days=settings.SITE_CHANGES_KEEP_DAYS)


def forget_old_changes() -> int:
    """Delete entries older than SITE_CHANGES_KEEP_DAYS, so the log does not grow forever,
    and the API JSON kept for pages that are no more."""
    SerialisedPage.objects.exclude(page_id__in=Page.objects.values("pk")).delete()
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
            for child_id in pages_of(change.page_id, subtree=change.subtree)[1:]:
                add(child_id, change.kind, change.created_at)
                own.add(child_id)
        # Pages that show an edited organisation, source or image: their title and address
        # stay as they were, so the pages that link to them need nothing new.
        for page_id in change.pages:
            add(page_id, SiteChange.Kind.EDITED, change.created_at)

    # Pages that link to a changed page show its title and URL (or must drop the link).
    for page_id in sorted(own):
        timestamp = datetime.fromisoformat(found[page_id]["timestamp"])
        for source_id in pages_referring_to_any([page_id]):
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
    """Ids of pages whose content links to or shows `target` (Wagtail's reference index)."""
    return _referring_pages(ReferenceIndex.get_references_to(target))


def pages_referring_to_any(page_ids: list[int]) -> list[int]:
    """Ids of pages whose content links to or shows any of the pages `page_ids`."""
    page_type = ContentType.objects.get_for_model(Page).pk
    found = set()
    for start in range(0, len(page_ids), BATCH):  # a section of a large site: many pages
        targets = [str(pk) for pk in page_ids[start : start + BATCH]]
        references = ReferenceIndex.objects.filter(
            to_content_type_id=page_type, to_object_id__in=targets
        )
        found.update(_referring_pages(references))
    return sorted(found)


def _referring_pages(references) -> list[int]:
    """The pages among the sources of `references`. They are picked out in Python: with the
    page type in the query, SQLite scans every page's references instead of using the index
    on the target (12 ms, not 0.5, at 10,000)."""
    page_type = ContentType.objects.get_for_model(Page).pk
    pairs = references.values_list("base_content_type_id", "object_id").distinct()
    return sorted({int(object_id) for base, object_id in pairs if base == page_type})
