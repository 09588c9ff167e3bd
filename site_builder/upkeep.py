"""What a build worker does after a release goes live, so that the next publish does not
wait for it:

- copy the live release for the next build (deploy.stage_next), then prune old releases;
- index the live release for search (search.py), which takes longer;
- whatever else the caller asks for (the CMS's worker checks the live release for drift).

It runs in a helper process of the worker's own, forked the first time it is needed (and
again if it died), so that the worker itself runs no thread when it forks its render
processes. In the helper each job has a thread, and runs at most once at a time; a request
that arrives while it runs makes it run once more afterwards (for the newest release).

The helper yields the CPU to everything else: a wide edit's export (the CMS's workers) and
build must not share two cores with a search index of the release before.
"""

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from . import deploy
from .search import update_search_index

logger = logging.getLogger(__name__)
Work = Callable[[], object]


class Upkeep:
    def __init__(
        self,
        public: Path,
        also: dict[str, Work] | None = None,
        before_fork: Callable[[], None] | None = None,
    ):
        """`also` names more jobs; `before_fork` runs just before the helper is forked (the
        CMS closes its database connections there: a connection must not be shared)."""
        self.public, self.also, self.before_fork = Path(public), also or {}, before_fork
        self.process: multiprocessing.Process | None = None
        self._sender = None

    def after_release(self) -> None:
        """Ask the helper to see to the live release. Call it when this process runs no
        other thread (between builds): it may fork the helper."""
        if self.process is None or not self.process.is_alive():
            self._start()
        try:
            self._sender.send("release")
        except OSError:  # the helper died just now
            self._start()
            self._sender.send("release")

    def _start(self) -> None:
        if self.before_fork is not None:
            self.before_fork()
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_helper,
            args=(receiver, sender, self.public, self.also),
            name="upkeep",
            daemon=True,
        )
        self.process.start()
        receiver.close()
        if self._sender is not None:
            self._sender.close()
        self._sender = sender


def _helper(receiver, sender, public: Path, also: dict[str, Work]) -> None:
    """The helper process: run the jobs whenever asked, until the worker is gone."""
    sender.close()  # the worker's end: with it closed here, the worker's exit ends the helper
    own_session = _in_the_background()
    if own_session:  # the worker's stop signals no longer reach the helper's group: relay them
        signal.signal(signal.SIGTERM, lambda *_: _end(own_session))
    jobs = [
        _Job("stage-next-release", lambda: (deploy.stage_next(public), deploy.prune(public))),
        _Job("search-index", lambda: update_search_index(public)),
        *(_Job(name, work) for name, work in also.items()),
    ]
    while True:
        if not receiver.poll(1):  # back every second: Python runs a signal's handler here
            continue
        try:
            receiver.recv()
        except EOFError:  # the worker stopped
            _end(own_session)
            return
        for job in jobs:
            job.request()


def _in_the_background() -> bool:
    """Run this process, and the programs it starts, after everything else that wants the
    CPU. `nice` alone is not enough on Linux: its scheduler first shares the CPU equally
    between sessions (autogroups), and ranks by nice only within one, so a helper in the
    worker's session would still take half the CPU from a CMS started elsewhere (another
    terminal, another service). The helper therefore starts a session of its own and gives
    that session the lowest weight. True if it now has a session of its own."""
    os.nice(10)
    try:
        os.setsid()
    except OSError:
        return False
    # Without autogroups (not Linux, or turned off), nice ranks it on its own.
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text("19")
    return True


def _end(own_session: bool) -> None:
    """Stop the helper with what it started (a search index or a copy half made is made
    again after the next build)."""
    if own_session:
        os.killpg(os.getpgrp(), signal.SIGKILL)


class _Job:
    def __init__(self, name: str, work: Work):
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
