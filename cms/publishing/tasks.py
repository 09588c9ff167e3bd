"""The background work: run a site build, and deliver the `site.deployed` webhooks.

Both run on the "builds" task backend: django-tasks-db by default (`manage.py build_worker`
runs the database worker), django-tasks-rq on Redis when REDIS_URL is set (RQ workers).
"""

import functools
import logging
import time
from pathlib import Path

from django.conf import settings
from django.tasks import task

from content_export.client import ExportError
from content_export.export import export
from site_builder.build import BuildError
from site_builder.build import build as build_site
from site_builder.upkeep import Upkeep

from . import queue, webhooks
from .models import Build

logger = logging.getLogger(__name__)


@task(backend="builds", queue_name="builds")
def run_build(build_id: int) -> str:
    """Wait for the quiet period and for any running build, then export, build and deploy."""
    while isinstance(claimed := queue.claim(build_id), queue.Wait):
        time.sleep(claimed.seconds)
    if claimed is None:
        return f"build #{build_id} is not pending any more"
    build = claimed
    logger.info("build #%s started", build.pk)
    with queue.heartbeat(build):
        try:
            result = publish_site(build)
        except BuildError as error:  # the content or the theme is wrong: retrying cannot help
            queue.fail(build, error, retry=False)
            return f"build #{build.pk} failed: {error}"
        except Exception as error:  # the API was down, the disk full, …: try again later
            logger.exception("build #%s failed", build.pk)
            message = str(error) if isinstance(error, ExportError) else repr(error)
            queue.fail(build, Exception(message), retry=True)
            return f"build #{build.pk} failed: {message}"
    queue.finish(build, result)
    upkeep().after_release()
    webhooks.send_deployed(build)
    logger.info("build #%s live: %s (%s)", build.pk, result.build_id, result.mode)
    return f"build #{build.pk} live as {result.build_id}"


def publish_site(build: Build):
    """Export what changed from the CMS's public API, then build and switch the site. The
    search index and old releases are seen to afterwards, in the background (upkeep)."""
    public = Path(settings.SITE_PUBLIC_DIR)
    export(settings.BUILD_API_URL, public / "snapshot", full=build.full)
    return build_site(
        public / "snapshot", public, theme=settings.SITE_THEME,
        site_url=settings.PUBLIC_SITE_URL, full=build.full, search=False, prune=False,
    )  # fmt: skip


@functools.cache
def upkeep() -> Upkeep:
    """This worker process's background jobs (one set per process: builds run in the
    worker's own process, so the snapshot and templates stay loaded between builds)."""
    return Upkeep(Path(settings.SITE_PUBLIC_DIR))


@task(backend="builds", queue_name="builds")
def deliver_webhook(delivery_id: int) -> str:
    return webhooks.deliver(delivery_id)
