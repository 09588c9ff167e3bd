"""What a build worker does after a release goes live, in background threads, so that the
next publish does not wait for it:

- copy the live release for the next build (deploy.stage_next), then prune old releases;
- index the live release for search (search.py), which takes longer;
- whatever else the caller asks for (the CMS's worker checks the live release for drift).

Each job runs in its own thread, at most once at a time; a request that arrives while it
runs makes it run once more afterwards (for the newest release).
"""

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from . import deploy
from .search import update_search_index

logger = logging.getLogger(__name__)


class _Job:
    def __init__(self, name: str, work: Callable[[], object]):
        self.name, self.work = name, work
        self.wanted = threading.Event()
        self.thread: threading.Thread | None = None

    def request(self) -> None:
        self.wanted.set()
        if self.thread is None:
            self.thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self.thread.start()

    def _loop(self) -> None:
        while True:
            self.wanted.wait()
            self.wanted.clear()
            try:
                self.work()
            except Exception:
                logger.exception("%s failed; it runs again after the next build", self.name)


class Upkeep:
    def __init__(self, public: Path, also: dict[str, Callable[[], object]] | None = None):
        public = Path(public)
        self.jobs = [
            _Job("stage-next-release", lambda: (deploy.stage_next(public), deploy.prune(public))),
            _Job("search-index", lambda: update_search_index(public)),
            *(_Job(name, work) for name, work in (also or {}).items()),
        ]

    def after_release(self) -> None:
        for job in self.jobs:
            job.request()
