"""Grow an imported corpus to N solution pages with live copies of its pages
(python -m bench.grow N, run with the benchmark's DATABASE_URL).

The copies are written with SQL, not through Wagtail's page API: 10,000 pages take about a
minute instead of most of an hour. Each copy is a live page with its own slug and title,
and with everything its original has: body, cover image, sectors, organisations named,
metrics, references, related solutions, tags, and its rows in Wagtail's reference index (so
that an organisation's edit finds the pages that name it, as it would for pages made in
the admin). Each is noted as shown on the site, as publishing notes it (the change log
tells the exporter only of pages the site has shown). Copies have no revisions until an
editor edits them, and are not in the admin's search index.
"""

import sys
import uuid

import django


def main(target: int) -> None:
    django.setup()
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from wagtail.models import Page, ReferenceIndex

    from cms.publishing.models import ShownPage
    from cms.solutions.models import (
        OrganisationMention,
        Reference,
        RelatedSolution,
        SolutionMetric,
        SolutionPage,
        SolutionPageTag,
        SolutionSectorLink,
    )

    originals = list(SolutionPage.objects.live().order_by("pk"))
    parent = originals[0].get_parent()
    count, copy_number = len(originals), 1
    pairs = []  # (original id, copy id)
    with transaction.atomic():
        parent = Page.objects.select_for_update().get(pk=parent.pk)
        while count < target:
            copy_number += 1
            rows = []
            for original in originals[: target - count]:
                values = Page.objects.filter(pk=original.pk).values().get()
                parent.numchild += 1
                slug = f"{original.slug}-{copy_number}"
                values.update(
                    id=None,
                    title=f"{original.title} ({copy_number})",
                    draft_title=f"{original.title} ({copy_number})",
                    slug=slug,
                    url_path=values["url_path"].removesuffix(f"{original.slug}/") + f"{slug}/",
                    path=Page._get_path(parent.path, parent.depth + 1, parent.numchild),
                    translation_key=uuid.uuid4(),
                    latest_revision_id=None,
                    live_revision_id=None,
                    latest_revision_created_at=None,
                    has_unpublished_changes=False,
                )
                rows.append((original.pk, Page(**values)))
            Page.objects.bulk_create([page for _, page in rows])
            if rows[0][1].pk is None:  # a database that returns no ids from bulk_create
                by_path = dict(
                    Page.objects.filter(path__in=[p.path for _, p in rows]).values_list(
                        "path", "pk"
                    )
                )
                for _, page in rows:
                    page.pk = by_path[page.path]
            pairs += [(original_id, page.pk) for original_id, page in rows]
            count += len(rows)
        parent.save(update_fields=["numchild"])
        with connection.cursor() as cursor:
            _copy_rows(cursor, SolutionPage, "page_ptr_id", pairs)
            for model in (
                SolutionSectorLink,
                OrganisationMention,
                SolutionMetric,
                Reference,
                RelatedSolution,
            ):
                _copy_rows(cursor, model, "page_id", pairs)
            _copy_rows(cursor, SolutionPageTag, "content_object_id", pairs)
            page_type = ContentType.objects.get_for_model(Page).pk
            _copy_rows(
                cursor,
                ReferenceIndex,
                "object_id",
                [(str(a), str(b)) for a, b in pairs],
                where=f" AND base_content_type_id = {page_type}",
            )
        ShownPage.objects.bulk_create(
            [ShownPage(page_id=copy) for _, copy in pairs], ignore_conflicts=True
        )
    print(f"{count} solution pages")


def _copy_rows(cursor, model, key: str, pairs: list, where: str = "") -> None:
    """Copy each original's rows of `model` to its copy (`key` names the original)."""
    from django.db import connection

    quote = connection.ops.quote_name
    columns = [f.column for f in model._meta.local_concrete_fields if f.column not in (key, "id")]
    listed = ", ".join(quote(c) for c in columns)
    table = quote(model._meta.db_table)
    cursor.executemany(
        f"INSERT INTO {table} ({quote(key)}, {listed}) SELECT %s, {listed} FROM {table}"
        f" WHERE {quote(key)} = %s{where}",
        [(copy, original) for original, copy in pairs],
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
