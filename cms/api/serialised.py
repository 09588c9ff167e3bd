"""The pages listing's JSON, kept page by page: a full export lists every live page, and most
of them have not changed since the last one. Each page's JSON is made once and used until a
change touches the page (changes.outdate_serialised); the listing then joins the stored JSON.

Only the exporter's listings use it: every page of a type, or the pages named by `ids`, with
`fields=*` and nothing that changes which pages or fields a listing has besides that.
"""

from collections.abc import Callable

from django.db import DatabaseError, transaction
from rest_framework.renderers import JSONRenderer

from cms.publishing.models import SerialisedPage, SiteAddress

# Query parameters that choose which pages a listing has, or its format, not their JSON.
SELECTING = {"type", "offset", "limit", "ids", "format"}


def listing_variant(request) -> str | None:
    """What the JSON of a page in this listing depends on (the host its addresses are on,
    the page type, the fields), or None when this listing's JSON is not kept."""
    params = request.GET
    if params.get("fields") != "*" or set(params) - SELECTING - {"fields"}:
        return None
    if len(params.getlist("fields")) != 1 or len(params.getlist("type")) > 1:
        return None
    return f"{request.scheme}://{request.get_host()} {params.get('type', '')} fields=*"[:300]


def page_json(data: dict) -> str:
    """One page's JSON, as the API's renderer writes it."""
    return JSONRenderer().render(data).decode()


Made = dict[int, tuple[str, set[str]]]  # page id → its JSON, and the tree paths it links to


def listing_items(ids: list[int], variant: str, make: Callable[[list[int]], Made]) -> list[str]:
    """The JSON of each page of `ids` that is still there, in order: stored JSON where it is
    still right, else made by `make` and stored.

    Stored JSON is right if it was made at the page's current version, and the addresses
    it links to by path have changed no more since. Both are read before any page is made:
    JSON made from a page (or an address) that a change is committing meanwhile is stored
    with the counts from before that change, so it is not used.
    """
    addresses = dict(SiteAddress.objects.values_list("path", "version"))
    stored = {row.page_id: row for row in SerialisedPage.objects.filter(page_id__in=ids)}
    current = {pk: stored[pk].version if pk in stored else 0 for pk in ids}
    usable = {
        pk: row.json
        for pk, row in stored.items()
        if row.made_at_version == row.version
        and row.variant == variant
        and address_versions(row.linked_paths, addresses) == row.address_versions
    }
    missing = [pk for pk in ids if pk not in usable]
    made = make(missing) if missing else {}
    if made:
        _store(made, current, addresses, variant)
    items = {**usable, **{pk: text for pk, (text, _) in made.items()}}
    return [items[pk] for pk in ids if pk in items]


def address_versions(paths: list[str], addresses: dict[str, int]) -> dict[str, int]:
    """The counts of the addresses that `paths` are at or below."""
    found = {}
    for path in paths:
        parts = path.strip("/").split("/")
        for depth in range(len(parts) + 1):
            prefix = "/" + "".join(f"{part}/" for part in parts[:depth])
            if prefix in addresses:
                found[prefix] = addresses[prefix]
    return found


def _store(made: Made, versions: dict[int, int], addresses: dict[str, int], variant: str) -> None:
    rows = [
        SerialisedPage(
            page_id=pk,
            made_at_version=versions[pk],
            variant=variant,
            linked_paths=sorted(paths),
            address_versions=address_versions(paths, addresses),
            json=text,
        )
        for pk, (text, paths) in made.items()
    ]
    try:
        with transaction.atomic():
            SerialisedPage.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["page_id"],
                # not `version`: a change counted meanwhile stays counted
                update_fields=[
                    "made_at_version",
                    "variant",
                    "linked_paths",
                    "address_versions",
                    "json",
                ],
                batch_size=500,
            )
    except DatabaseError:
        pass  # busy (SQLite's one writer): the JSON is made again next time, nothing is lost
