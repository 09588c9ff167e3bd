"""The build itself, run by a build worker: export what changed from the CMS's public API,
then build and switch the site. The next build's copy of the release, the search index and
the drift check are seen to afterwards, in the background (upkeep)."""

import functools
import gc
import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import connections

from content_export.export import export
from site_builder.build import BuildResult, WarmState, give_back_freed_memory
from site_builder.build import build as build_site
from site_builder.release import ForkGuard
from site_builder.upkeep import Upkeep

from .verify import verify_live_build

logger = logging.getLogger(__name__)


class SiteBuilder:
    """One per worker process: what it keeps between builds (parsed snapshot, templates,
    cards, keys) and its upkeep after each release (site_builder/upkeep.py)."""

    def __init__(self, public: Path):
        self.public = Path(public)
        self.state = WarmState()
        self.upkeep = Upkeep(
            self.public,
            also={"verify-site": functools.partial(verify_live_build, seen={})},
            before_fork=connections.close_all,  # the helper opens its own
        )

    def publish(self, *, full: bool, fork_guard: ForkGuard) -> BuildResult:
        try:
            return self._export_and_build(full, fork_guard)
        finally:
            _keep_the_collector_off_the_publish_path()

    def _export_and_build(self, full: bool, fork_guard: ForkGuard) -> BuildResult:
        started = time.perf_counter()
        exported = export(
            settings.BUILD_API_URL,
            self.public / "snapshot",
            full=full,
            media_origin=settings.BUILD_MEDIA_ORIGIN or None,
        )
        logger.info(
            "exported %d page(s) in %d request(s), %s, in %.2f s",
            exported.fetched,
            exported.requests,
            exported.mode,
            time.perf_counter() - started,
        )
        return build_site(
            self.public / "snapshot",
            self.public,
            settings_file=settings.SITE_SETTINGS_FILE or None,
            site_url=settings.PUBLIC_SITE_URL,
            full=full,
            search=False,
            prune=False,
            state=self.state,
            fork_guard=fork_guard,
        )


def _keep_the_collector_off_the_publish_path() -> None:
    """What a build leaves is mostly what the worker keeps for the next one (WarmState):
    hundreds of thousands of objects that Python's cycle collector would otherwise walk
    again and again, a full pass (half a second at 10,000 pages) falling now and then in
    the middle of an export. Builds leave no cycles behind once the first has run, so the
    survivors are collected once and then frozen: later passes skip them, and objects that
    die are still freed as usual (by reference counting). What was freed goes back to the
    system."""
    gc.collect()
    gc.freeze()
    give_back_freed_memory()


@functools.cache
def site_builder() -> SiteBuilder:
    """This worker process's builder (builds run in the worker's own process)."""
    return SiteBuilder(Path(settings.SITE_PUBLIC_DIR))
