"""Organisations get a stored slug (their address on the site), made from their name."""

from django.db import migrations, models
from django.utils.text import slugify
from unidecode import unidecode


def fill_slugs(apps, schema_editor):
    Organisation = apps.get_model("solutions", "Organisation")
    taken = set()
    for organisation in Organisation.objects.order_by("pk"):
        base = slugify(unidecode(organisation.name))[:240] or "organisation"
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        taken.add(candidate)
        organisation.slug = candidate
        organisation.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [("solutions", "0002_alter_sectorpage_body_alter_solutionpage_body")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="slug",
            field=models.SlugField(db_index=False, default="", editable=False, max_length=255),
            preserve_default=False,
        ),
        migrations.RunPython(fill_slugs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="organisation",
            name="slug",
            field=models.SlugField(
                editable=False,
                help_text="Its page on the site is /organisations/<slug>/; made from the name.",
                max_length=255,
                unique=True,
            ),
        ),
    ]
