import django.db.models.deletion
import modelcluster.fields
from django.db import migrations, models


def copy_positions_to_sectors(apps, schema_editor):
    """Each sector's list, in the order its solutions' links gave (then A to Z)."""
    SectorPage = apps.get_model("solutions", "SectorPage")
    SolutionSectorLink = apps.get_model("solutions", "SolutionSectorLink")
    SectorSolution = apps.get_model("solutions", "SectorSolution")
    for sector in SectorPage.objects.all():
        links = SolutionSectorLink.objects.filter(sector=sector).order_by(
            "position_in_sector", "page__title"
        )
        SectorSolution.objects.bulk_create(
            SectorSolution(sector=sector, solution_id=link.page_id, sort_order=number)
            for number, link in enumerate(links)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("solutions", "0004_editor_words"),
    ]

    operations = [
        migrations.CreateModel(
            name="SectorSolution",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sort_order", models.IntegerField(blank=True, editable=False, null=True)),
                ("sector", modelcluster.fields.ParentalKey(on_delete=django.db.models.deletion.CASCADE, related_name="ordered_solutions", to="solutions.sectorpage")),
                ("solution", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="solutions.solutionpage")),
            ],
            options={
                "ordering": ["sort_order"],
                "abstract": False,
            },
        ),
        migrations.RunPython(copy_positions_to_sectors, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="solutionsectorlink",
            name="position_in_sector",
        ),
    ]
