"""The project starts on the configured database: Django's and Wagtail's system checks."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_system_checks_pass_on_this_database():
    out = StringIO()
    call_command("check", stdout=out)  # raises SystemCheckError on any error
    assert "no issues" in out.getvalue()


@pytest.mark.parametrize(
    "secret, problem",
    [
        ("whsec_not*base64!", "is not base64"),
        ("whsec_c2hvcnQ=", "holds 5 bytes"),
    ],
)
def test_a_malformed_webhook_secret_stops_the_start(settings, secret, problem):
    from django.core.management.base import SystemCheckError

    settings.BUILD_WEBHOOK_SECRET = secret
    with pytest.raises(SystemCheckError, match=f"BUILD_WEBHOOK_SECRET {problem}"):
        call_command("check", stdout=StringIO())
