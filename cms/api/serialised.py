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
# `make(ids, kept)` makes the JSON of the pages of `ids`: in full, or for those in `kept`,
# from their stored JSON with the fields that show organisations and sources made again.
Maker = Callable[[list[int], Made], Made]


def listing_items(ids: list[int], variant: str, make: Maker) -> list[str]:
    """The JSON of each page of `ids` that is still there, in order: stored JSON where it is
    still right, else made by `make` and stored.

    Stored JSON is right if it was made at the page's current version, and the addresses
    it links to by path have changed no more since; if only organisations or sources it
    shows changed since (its `whole_version` is the same), it is given to `make` to be
    made again in part. The counts are read before any page is made: JSON made from a page
    (or an address) that a change is committing meanwhile is stored with the counts from
    before that change, so it is not used.
    """
    addresses = dict(SiteAddress.objects.values_list("path", "version"))
    rows = list(SerialisedPage.objects.filter(page_id__in=ids))
    current = {row.page_id: (row.version, row.whole_version) for row in rows}
    stored = {
        row.page_id: row
        for row in rows
        if row.variant == variant
        and address_versions(row.linked_paths, addresses) == row.address_versions
    }
    usable = {pk: row.json for pk, row in stored.items() if row.made_at_version == row.version}
    kept = {
        pk: (row.json, set(row.linked_paths))
        for pk, row in stored.items()
        if pk not in usable and row.made_at_whole_version == row.whole_version
    }
    missing = [pk for pk in ids if pk not in usable]
    made = make(missing, kept) if missing else {}
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


def _store(
    made: Made, counts: dict[int, tuple[int, int]], addresses: dict[str, int], variant: str
) -> None:
    rows = [
        SerialisedPage(
            page_id=pk,
            made_at_version=counts.get(pk, (0, 0))[0],
            made_at_whole_version=counts.get(pk, (0, 0))[1],
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
                    "made_at_whole_version",
                    "variant",
                    "linked_paths",
                    "address_versions",
                    "json",
                ],
                batch_size=500,
            )
    except DatabaseError:
        pass  # busy (SQLite's one writer): the JSON is made again next time, nothing is lost
