"""The build itself, run by a build worker: export what changed from the CMS's public API,
then build and switch the site. The search index and old releases are seen to afterwards,
in the background (upkeep)."""

import functools
from pathlib import Path

from django.conf import settings

from content_export.export import export
from site_builder.build import BuildResult
from site_builder.build import build as build_site
from site_builder.upkeep import Upkeep

from .models import Build


def publish_site(build: Build) -> BuildResult:
    public = Path(settings.SITE_PUBLIC_DIR)
    export(settings.BUILD_API_URL, public / "snapshot", full=build.full)
    return build_site(
        public / "snapshot",
        public,
        theme=settings.SITE_THEME,
        site_url=settings.PUBLIC_SITE_URL,
        full=build.full,
        search=False,
        prune=False,
    )


@functools.cache
def upkeep() -> Upkeep:
    """This worker process's background jobs (one set per process: builds run in the
    worker's own process, so the snapshot and templates stay loaded between builds)."""
    return Upkeep(Path(settings.SITE_PUBLIC_DIR))
