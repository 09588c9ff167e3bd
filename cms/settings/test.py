"""The test suite: like dev, but quiet, fast password hashing and media in a temp dir."""

import os
import tempfile
from pathlib import Path

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="cms-test-media-"))
LOGGING = {  # quiet, but for what a build worker says about each build (tests read it)
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"cms.publishing": {"handlers": ["console"], "level": "INFO"}},
}

# A file, not memory: the build workers the tests start are other processes.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# With pytest-xdist each test process has its own database (pytest-django adds the worker's
# name), and so needs its own Redis database: a build worker must never take a job queued
# for another test process's database. Set in the environment too, for the processes the
# tests start (build workers, gunicorn).
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _xdist_worker.startswith("gw"):  # noqa: F405
    REDIS_URL = f"{REDIS_URL.rsplit('/', 1)[0]}/{1 + int(_xdist_worker[2:])}"  # noqa: F405
    os.environ["REDIS_URL"] = REDIS_URL
    RQ_QUEUES["builds"]["URL"] = REDIS_URL  # noqa: F405
