"""The migrations in the repository make the models as the code defines them: a change to a
field, a label or a help text that an editor sees comes with its migration."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:  # --check exits when a migration is missing
        pytest.fail(
            f"a model changed without a migration (run manage.py makemigrations):\n{out.getvalue()}"
        )
