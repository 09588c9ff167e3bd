"""Editors and moderators manage the records pages share (organisations, sources, glossary
terms): Wagtail's groups come with page and image rights only, so without these an editor
could not see them, let alone fix a name. Deleting one is left to moderators."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SHARED = [("solutions", "organisation"), ("solutions", "source"), ("glossary", "glossaryterm")]
RIGHTS = {"Editors": ("add", "change", "view"), "Moderators": ("add", "change", "delete", "view")}


def grant(apps, schema_editor):
    for app_label in {app for app, _ in SHARED}:  # permissions are made after migrations
        config = apps.get_app_config(app_label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=RIGHTS):
        for app_label, model in SHARED:
            codenames = [f"{action}_{model}" for action in RIGHTS[group.name]]
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("glossary", "0001_initial"),
        ("solutions", "0004_editor_words"),
        ("wagtailcore", "0002_initial_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
