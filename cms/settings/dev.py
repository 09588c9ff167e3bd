"""Local development: `make run`. Never used in production."""

import os

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
# Mail that Wagtail sends (a page submitted for moderation, …) is printed where `make run`
# runs, not sent: there is no mail server here.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
