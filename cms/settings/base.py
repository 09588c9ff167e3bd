"""Settings shared by every environment. Anything secret or site-specific comes from the
environment (see dev.py and production.py)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
# Everything the running CMS writes (SQLite file, uploaded media) lives under var/.
VAR_DIR = Path(os.environ.get("CMS_VAR_DIR", BASE_DIR / "var"))

INSTALLED_APPS = [
    "cms.home",
    "cms.solutions",
    "cms.glossary",
    "cms.imports",
    "cms.api",
    "cms.publishing",
    "django_tasks_db",
    "django_rq",
    "wagtail_headless_preview",
    "wagtail.api.v2",
    "rest_framework",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.typed_table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "cms.accounts",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # Wagtail's search index on PostgreSQL needs it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user
# from one address, that pair is locked out for AXES_COOLOFF_MINUTES; administrators see and
# lift lockouts under Settings → Login lockouts. Page and document passwords count the same
# way (cms/accounts/views.py). Behind a proxy, AXES_PROXY_COUNT says how many set
# X-Forwarded-For, so the reader's own address is the one counted.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # lockouts are listed in the admin; no line per request in the logs
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
if proxies := int(os.environ.get("AXES_PROXY_COUNT", 0)):
    AXES_IPWARE_PROXY_COUNT = proxies
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:  # no proxy: a reader could write any X-Forwarded-For
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

ROOT_URLCONF = "cms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "cms.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The CMS and the build worker share the file: wait for each other's writes, take the
    # write lock up front (no deadlock on upgrade), and let readers read while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_URL = "/static/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
CREATE_LOCAL_ADMIN = True  # setup_site makes admin/admin for `make run`; never in production
SERVE_MEDIA = True  # the CMS serves MEDIA_ROOT itself (see cms/urls.py)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

WAGTAIL_SITE_NAME = "Climate Solutions Catalogue"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")

# Mail (moderation requests, comments, password resets) goes through the SMTP server the
# environment names; in development it is printed on the console instead (settings/dev.py).
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", 25)),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": os.environ.get("EMAIL_USE_TLS", "0") == "1",
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cms@localhost")
WAGTAILADMIN_NOTIFICATION_FROM_EMAIL = DEFAULT_FROM_EMAIL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "avif"]
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
# Documents go through Wagtail's view, which enforces collection privacy (cms/media.py).
WAGTAILDOCS_SERVE_METHOD = "serve_view"

# Headless API: finished HTML for rich text, pages of up to 500 items per request.
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
WAGTAILAPI_LIMIT_MAX = 500
REST_FRAMEWORK = {"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]}

# Headless preview: the CMS hands editors a signed token for the preview renderer.
PREVIEW_URL = os.environ.get("PREVIEW_URL", "http://127.0.0.1:8081/")
WAGTAIL_HEADLESS_PREVIEW = {
    "CLIENT_URLS": {"default": PREVIEW_URL},
    "REDIRECT_ON_PREVIEW": False,
    "ENFORCE_TRAILING_SLASH": True,
}
PREVIEW_TOKEN_MAX_AGE = int(os.environ.get("PREVIEW_TOKEN_MAX_AGE", 3600))
# The CMS fetches each preview from the renderer (cms/solutions/previews.py): at PREVIEW_URL,
# or at this address when the CMS reaches the renderer by another name.
PREVIEW_RENDERER_URL = os.environ.get("PREVIEW_RENDERER_URL", "")
PREVIEW_TIMEOUT_SECONDS = float(os.environ.get("PREVIEW_TIMEOUT_SECONDS", 20))

# Where readers see the site; the importer and (later) the API build public URLs from it.
PUBLIC_SITE_URL = os.environ.get("PUBLIC_SITE_URL", "http://127.0.0.1:8080")

# --- Publishing: the build queue, the site it writes, and the webhooks -----------------------
# Wagtail's own small tasks run at once, in the request; site builds go to a durable queue:
# the database (worker: `manage.py build_worker`) or, with REDIS_URL, RQ on Redis.
REDIS_URL = os.environ.get("REDIS_URL", "")
TASKS = {
    "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
    "builds": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["builds"]},
}
RQ_QUEUES = {"builds": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 3600}}
if REDIS_URL:
    TASKS["builds"] = {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["builds"]}

# Where the worker reads the public API from, and where it writes releases
# (SITE_PUBLIC_DIR/releases/<id>/, SITE_PUBLIC_DIR/current, SITE_PUBLIC_DIR/snapshot/).
BUILD_API_URL = os.environ.get("BUILD_API_URL", "http://127.0.0.1:8000/api/v2/")
# Images are fetched only from the API's host, or from this origin (media on S3 or a CDN,
# e.g. https://media.example.org).
BUILD_MEDIA_ORIGIN = os.environ.get("BUILD_MEDIA_ORIGIN", "")
# The importer downloads pictures from other sites, never from a private or local address
# (the address comes from content); only the tests, whose stand-in site is on loopback, allow it.
IMPORT_IMAGES_FROM_PRIVATE_ADDRESSES = False
SITE_PUBLIC_DIR = Path(os.environ.get("SITE_PUBLIC_DIR", BASE_DIR / "public"))
# The site's Pelican settings (name, THEME, PLUGINS, …): pelicanconf.py unless set
# (production: publishconf.py). PUBLIC_SITE_URL is its SITEURL.
SITE_SETTINGS_FILE = os.environ.get("SITE_SETTINGS_FILE", "")
BUILD_START_SECONDS = float(os.environ.get("BUILD_START_SECONDS", 0.05))
BUILD_QUIET_SECONDS = float(os.environ.get("BUILD_QUIET_SECONDS", 2.0))
BUILD_MAX_WAIT_SECONDS = float(os.environ.get("BUILD_MAX_WAIT_SECONDS", 30))
BUILD_POLL_SECONDS = 0.1
BUILD_HEARTBEAT_SECONDS = 2.0
BUILD_STALE_SECONDS = float(os.environ.get("BUILD_STALE_SECONDS", 30))
# How often each build worker publishes scheduled pages and picks up lost builds.
BUILD_UPKEEP_SECONDS = float(os.environ.get("BUILD_UPKEEP_SECONDS", 30))
# The drift check after a build waits for publishing to be quiet this long.
BUILD_VERIFY_DELAY_SECONDS = float(os.environ.get("BUILD_VERIFY_DELAY_SECONDS", 5))
# The change log (/api/v2/changes/) keeps this many days; an exporter whose snapshot is
# older reads everything again.
SITE_CHANGES_KEEP_DAYS = float(os.environ.get("SITE_CHANGES_KEEP_DAYS", 30))
BUILD_MAX_ATTEMPTS = int(os.environ.get("BUILD_MAX_ATTEMPTS", 3))
BUILD_RETRY_SECONDS = float(os.environ.get("BUILD_RETRY_SECONDS", 10))

# Incoming build webhooks (Standard Webhooks; a "whsec_…" secret). Off when empty.
BUILD_WEBHOOK_SECRET = os.environ.get("BUILD_WEBHOOK_SECRET", "")
BUILD_WEBHOOK_MAX_BYTES = 64 * 1024
BUILD_WEBHOOK_PER_MINUTE = int(os.environ.get("BUILD_WEBHOOK_PER_MINUTE", 30))
# Outgoing `site.deployed` events: space-separated endpoint URLs, and their signing secret.
DEPLOY_WEBHOOK_URLS = os.environ.get("DEPLOY_WEBHOOK_URLS", "").split()
DEPLOY_WEBHOOK_SECRET = os.environ.get("DEPLOY_WEBHOOK_SECRET", "")
DEPLOY_WEBHOOK_ATTEMPTS = 6
DEPLOY_WEBHOOK_RETRY_SECONDS = float(os.environ.get("DEPLOY_WEBHOOK_RETRY_SECONDS", 5))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Wagtail's own log lines for each page saved, and each background task run.
        "wagtail": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        "cms.publishing": {"level": "INFO"},
    },
}
