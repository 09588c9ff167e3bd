"""System checks (`manage.py check`, and every start of runserver and migrate): settings that
would only fail at the first request are refused at start-up instead."""

import base64
import binascii

from django.conf import settings
from django.core.checks import Error, register

SECRET_SETTINGS = ("BUILD_WEBHOOK_SECRET", "DEPLOY_WEBHOOK_SECRET")


def webhook_secret_problem(secret: str) -> str | None:
    """Why `secret` is not a Standard Webhooks secret ("whsec_" + base64 of 24 to 64
    random bytes), or None if it is one."""
    encoded = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return "is not base64 after its whsec_ prefix"
    if not 24 <= len(key) <= 64:
        return f"holds {len(key)} bytes; use 24 to 64 random bytes"
    return None


@register()
def check_webhook_secrets(app_configs, **kwargs) -> list[Error]:
    errors = []
    for name in SECRET_SETTINGS:
        secret = getattr(settings, name, "")
        if secret and (problem := webhook_secret_problem(secret)):
            errors.append(
                Error(
                    f"{name} {problem}.",
                    hint='Make one with: python -c "import base64,os; '
                    "print('whsec_' + base64.b64encode(os.urandom(32)).decode())\"",
                    id="publishing.E001",
                )
            )
    return errors
