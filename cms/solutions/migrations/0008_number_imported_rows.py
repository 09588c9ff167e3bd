"""Number the rows of pages' lists that an import left without a number (sort_order), in
the order they were made: PostgreSQL returns rows without one in any order, so a page's
organisations or a sector's solutions could change places from one export to the next."""

from django.db import migrations
from django.db.models import F

# model -> the field naming the page whose list it is
LISTS = {
    "OrganisationMention": "page",
    "SolutionSectorLink": "page",
    "SectorSolution": "sector",
    "SolutionMetric": "page",
    "SectorMetric": "page",
    "Reference": "page",
    "RelatedSolution": "page",
}


def number_rows(apps, schema_editor):
    for name, parent in LISTS.items():
        model = apps.get_model("solutions", name)
        parent_id = f"{parent}_id"
        unnumbered = set(
            model.objects.filter(sort_order__isnull=True).values_list(parent_id, flat=True)
        )
        if not unnumbered:
            continue
        rows = model.objects.order_by(parent_id, F("sort_order").asc(nulls_last=True), "pk")
        changed, last, number = [], None, 0
        for row in rows.only("pk", parent_id, "sort_order").iterator():
            owner = getattr(row, parent_id)
            number = number + 1 if owner == last else 0
            last = owner
            if owner in unnumbered and row.sort_order != number:
                row.sort_order = number
                changed.append(row)
        model.objects.bulk_update(changed, ["sort_order"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("solutions", "0007_shared_records_have_drafts")]

    operations = [migrations.RunPython(number_rows, migrations.RunPython.noop)]
