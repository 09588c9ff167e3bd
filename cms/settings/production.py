"""Production: every setting that differs per deployment comes from the environment
(see .env.example). The CMS refuses to start when a setting would make it unsafe."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"Set {name} in the environment (see .env.example).")
    return value


DEBUG = False
CREATE_LOCAL_ADMIN = False
if os.environ.get("DJANGO_DEBUG", "").lower() in ("1", "true", "yes", "on"):
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
SECRET_KEY = _required("DJANGO_SECRET_KEY")
# As Django's own deploy check: 50 characters or more, at least 5 different ones.
if SECRET_KEY.startswith(("dev-only", "django-insecure")) or (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY to a long random value in production "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
    )
ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
if any("*" in host for host in ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must name the CMS's hosts (e.g. cms.example.org,cms); a * would let "
        "any Host header through (password-reset links, absolute URLs)."
    )
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Behind a TLS-terminating proxy: trust its header, secure cookies, HSTS when asked for.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = os.environ.get("SECURE_COOKIES", "1") != "0"
# Plain HTTP is redirected to HTTPS, except what the build worker and the preview read on
# the internal network (the public API and media) and the load balancer's health check.
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") != "0"
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^api/v2/", r"^media/"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = os.environ.get("SECURE_HSTS_PRELOAD", "0") == "1"
SECURE_CONTENT_TYPE_NOSNIFF = True

# The admin's static files from gunicorn, compressed and cached forever (WhiteNoise).
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
# Media on a volume (MEDIA_ROOT), or on S3-compatible storage with django-storages.
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}  # noqa: F405
    SERVE_MEDIA = False

# One JSON object per log line, for the log collector.
LOGGING["formatters"] = {"json": {"()": "cms.logs.JsonFormatter"}}  # noqa: F405
LOGGING["handlers"]["console"]["formatter"] = "json"  # noqa: F405
