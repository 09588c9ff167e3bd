"""The build queue's rules, on top of django-tasks (which has no unique jobs, debounce or
retry of its own):

- Coalescing: at most one pending and one running build (database constraints). A trigger
  that arrives while a build is pending joins it.
- Quiet period: a lone trigger starts its build at once (BUILD_START_SECONDS). A trigger that
  comes within BUILD_QUIET_SECONDS of another is part of a burst: its build starts once no
  trigger came for BUILD_QUIET_SECONDS, but no later than BUILD_MAX_WAIT_SECONDS after its
  first trigger. A bulk publish makes one or two builds. The triggers of one transaction
  (an organisation renamed, and the redirects from its old address) are one edit, not a
  burst.
- A running build writes a heartbeat. A build whose worker died (no heartbeat, or its
  process is gone) is marked failed and run again.
- A failed build is retried with backoff, BUILD_MAX_ATTEMPTS times in all, unless the
  failure is in the content or theme (then retrying cannot help).

Every build exports what changed since the last one, so a build brings the site up to date
with everything published before it started, whichever trigger started it.
"""

import logging
import os
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.tasks import task
from django.utils import timezone
from wagtail.models import Page

from content_export.client import ExportError
from site_builder.build import BuildError

from . import deliveries
from .builder import site_builder
from .models import Build, BuildTrigger

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wait:
    """claim(): not yet; ask again in `seconds`."""

    seconds: float


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=getattr(settings, name))


def request_build(
    kind: str,
    description: str,
    *,
    page=None,
    user=None,
    full: bool = False,
    delay: float = 0,
    attempt: int = 1,
    same_edit: bool = False,
) -> Build:
    """Add a trigger to the pending build, or start a pending build with it. Call after the
    change is committed (signals use transaction.on_commit). `same_edit`: a further trigger
    of the edit whose first trigger was just added (one transaction's changes, see
    changes.py), which does not prolong its wait."""
    recover_abandoned()
    url = public_path(page)
    if page is not None and not Page.objects.filter(pk=page.pk).exists():
        page = None  # deleted in the same transaction that changed it
    problem = None
    for _ in range(5):
        now = timezone.now()
        try:
            with transaction.atomic():
                build = (
                    Build.objects.select_for_update().filter(status=Build.Status.PENDING).first()
                )
                created = build is None
                if created:
                    build = Build.objects.create(
                        full=full,
                        attempt=attempt,
                        not_before=now + _first_wait(now, same_edit) + timedelta(seconds=delay),
                    )
                else:
                    quiet_until = min(
                        now + _seconds("BUILD_QUIET_SECONDS"),
                        build.created_at + _seconds("BUILD_MAX_WAIT_SECONDS"),
                    )
                    if same_edit:  # the same edit: no burst
                        quiet_until = build.not_before
                    build.not_before = max(
                        build.not_before, quiet_until, now + timedelta(seconds=delay)
                    )
                    build.full = build.full or full
                    build.attempt = max(build.attempt, attempt)
                    build.save(update_fields=["not_before", "full", "attempt"])
                BuildTrigger.objects.create(
                    build=build,
                    kind=kind,
                    description=description[:300],
                    page=page,
                    url=url,
                    user=user,
                )
        except IntegrityError as error:  # another process created the pending build first: join it
            problem = error
            continue
        if created:
            transaction.on_commit(lambda build_id=build.pk: _enqueue(build_id))
        return build
    raise RuntimeError(f"could not queue a build: {problem}")


def _first_wait(now, same_edit: bool = False) -> timedelta:
    """A lone publish starts its build at once (BUILD_START_SECONDS); one that comes within
    the quiet period of another (of another edit) is part of a burst, and waits for the
    burst to end."""
    quiet = _seconds("BUILD_QUIET_SECONDS")
    burst = not same_edit and BuildTrigger.objects.filter(created_at__gte=now - quiet).exists()
    return quiet if burst else _seconds("BUILD_START_SECONDS")


def public_path(page) -> str:
    """The page's path on the public site ("/solutions/heat-pumps/"), or ""."""
    parts = page.get_url_parts() if page is not None else None
    return parts[2] if parts else ""


def _enqueue(build_id: int) -> None:
    """Hand the build to a worker. If the queue cannot be reached, the build stays pending
    and a worker picks it up within BUILD_UPKEEP_SECONDS (keep_in_step): whatever asked for
    the build (an editor's publish) does not fail for it."""
    try:
        run_build.enqueue(build_id)
    except Exception:
        logger.exception("could not queue build #%s; a build worker will pick it up", build_id)


def claim(build_id: int) -> Build | Wait | None:
    """Start `build_id` if it may start now: the build, Wait (how long until it may), or
    None if it is not pending (already run by another worker, or joined into another build).
    A lone publish waits until its build is due, not for the next poll."""
    with transaction.atomic():
        build = Build.objects.select_for_update().filter(pk=build_id).first()
        if build is None or build.status != Build.Status.PENDING:
            return None
        due_in = (build.not_before - timezone.now()).total_seconds()
        if due_in > 0:
            return Wait(min(due_in, settings.BUILD_POLL_SECONDS))
        running = Build.objects.filter(status=Build.Status.RUNNING).first()
        if running is not None:
            if not is_abandoned(running):
                return Wait(settings.BUILD_POLL_SECONDS)
            _interrupted(running, rerun_in=build)
        now = timezone.now()
        build.status, build.started_at, build.heartbeat_at = Build.Status.RUNNING, now, now
        build.worker = f"{socket.gethostname()}:{os.getpid()}"  # this process runs it
        build.save(update_fields=["status", "started_at", "heartbeat_at", "worker"])
        return build


def is_abandoned(build: Build) -> bool:
    """A running build whose worker stopped: no heartbeat for BUILD_STALE_SECONDS, or its
    process (on this machine) is gone."""
    if build.heartbeat_at and timezone.now() - build.heartbeat_at > _seconds("BUILD_STALE_SECONDS"):
        return True
    host, _, pid = build.worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False


def _interrupted(build: Build, rerun_in: Build | None = None) -> None:
    build.status, build.finished_at = Build.Status.FAILED, timezone.now()
    build.error = "Interrupted: the worker stopped during the build. The live site was not changed."
    build.save(update_fields=["status", "finished_at", "error"])
    logger.warning("build #%s was interrupted (worker %s)", build.pk, build.worker)
    description = f"Build #{build.pk} was interrupted; building again"
    if rerun_in is not None:
        BuildTrigger.objects.create(build=rerun_in, kind="retry", description=description)
    elif build.attempt < settings.BUILD_MAX_ATTEMPTS:
        transaction.on_commit(
            lambda: request_build("retry", description, full=build.full, attempt=build.attempt + 1)
        )


def recover_abandoned(*, enqueue_pending: bool = False) -> None:
    """Fail and re-run builds whose worker died; with `enqueue_pending` (a worker starting),
    also enqueue pending builds again, in case their task was lost (a duplicate task finds
    the build no longer pending and does nothing)."""
    with transaction.atomic():
        running = Build.objects.select_for_update().filter(status=Build.Status.RUNNING).first()
        if running is not None and is_abandoned(running):
            _interrupted(running)
    if enqueue_pending:
        for build_id in Build.objects.filter(status=Build.Status.PENDING).values_list(
            "pk", flat=True
        ):
            _enqueue(build_id)


def enqueue_stranded() -> None:
    """Queue again each pending build that has been due for BUILD_STALE_SECONDS while no
    build runs: its task was lost. (A duplicate task finds the build no longer pending and
    does nothing.)"""
    if Build.objects.filter(status=Build.Status.RUNNING).exists():
        return
    due_long_ago = timezone.now() - _seconds("BUILD_STALE_SECONDS")
    stranded = Build.objects.filter(status=Build.Status.PENDING, not_before__lt=due_long_ago)
    for build_id in stranded.values_list("pk", flat=True):
        logger.warning("build #%s was due but not running; queueing it again", build_id)
        _enqueue(build_id)


def finish(build: Build, result) -> None:
    """The release is live: record what the build did."""
    build.status, build.finished_at = Build.Status.LIVE, timezone.now()
    build.release, build.mode = result.build_id, result.mode
    build.pages, build.rendered, build.changed_urls = (
        result.pages,
        result.rendered,
        result.changed_urls,
    )
    build.error = ""
    build.save()


def fail(build: Build, error: Exception, *, retry: bool) -> None:
    """Record the failure (the live site is unchanged) and schedule a retry if it may help."""
    build.status, build.finished_at = Build.Status.FAILED, timezone.now()
    build.error = f"{error}\n\nThe site still shows the previous release."
    will_retry = retry and build.attempt < settings.BUILD_MAX_ATTEMPTS
    if will_retry:
        delay = settings.BUILD_RETRY_SECONDS * 2 ** (build.attempt - 1)
        attempts = f"attempt {build.attempt + 1} of {settings.BUILD_MAX_ATTEMPTS}"
        build.error += f" Trying again in {delay:g} s ({attempts})."
    build.save(update_fields=["status", "finished_at", "error"])
    if will_retry:
        request_build(
            "retry",
            f"Build #{build.pk} failed; trying again",
            full=build.full,
            delay=delay,
            attempt=build.attempt + 1,
        )


class Heartbeat:
    """Tells the other workers that a build is alive, every few seconds, from a thread of
    its own while the build runs. `paused()` stops that thread for a moment: the build forks
    its render processes then, and a process must not fork while another thread runs."""

    def __init__(self, build: Build):
        self.build = build
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Heartbeat":
        self._start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._end()
        close_old_connections()

    @contextmanager
    def paused(self):
        self._end()
        try:
            yield
        finally:
            self._start()

    def _start(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(self._stop,), name=f"heartbeat-{self.build.pk}", daemon=True
        )
        self._thread.start()

    def _end(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self, stop: threading.Event) -> None:
        try:
            while not stop.wait(settings.BUILD_HEARTBEAT_SECONDS):
                Build.objects.filter(pk=self.build.pk).update(heartbeat_at=timezone.now())
        finally:
            connection.close()


@task(backend="builds", queue_name="builds")
def run_build(build_id: int) -> str:
    """Wait for the quiet period and for any running build, then export, build and deploy."""
    while isinstance(claimed := claim(build_id), Wait):
        time.sleep(claimed.seconds)
    if claimed is None:
        return f"build #{build_id} is not pending any more"
    build = claimed
    logger.info("build #%s started", build.pk)
    builder = site_builder()
    with Heartbeat(build) as heartbeat:
        try:
            result = builder.publish(full=build.full, fork_guard=heartbeat.paused)
        except BuildError as error:  # the content or the theme is wrong: retrying cannot help
            fail(build, error, retry=False)
            return f"build #{build.pk} failed: {error}"
        except Exception as error:  # the API was down, the disk full, …: try again later
            logger.exception("build #%s failed", build.pk)
            message = str(error) if isinstance(error, ExportError) else repr(error)
            fail(build, Exception(message), retry=True)
            return f"build #{build.pk} failed: {message}"
    finish(build, result)
    builder.upkeep.after_release()
    deliveries.send_deployed(build)
    logger.info(
        "build #%s live: %s (%s, %d file(s) rendered, built in %.2f s, live after %.2f s: %s)",
        build.pk,
        result.build_id,
        result.mode,
        result.rendered,
        result.seconds,
        result.live_after,
        result.timings(),
    )
    return f"build #{build.pk} live as {result.build_id}"
