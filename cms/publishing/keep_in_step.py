"""What every build worker does at least every BUILD_UPKEEP_SECONDS (30), whatever its
queue, so that nothing waits for an operator or a cron job:

- publish and unpublish the pages whose scheduled time has come (Wagtail's
  `publish_scheduled`); each one makes its build, as a publish in the admin does;
- fail the build whose worker died, and hand a worker any build that is due but whose task
  was lost (the queue was unreachable when it was requested);
- forget change-log entries older than SITE_CHANGES_KEEP_DAYS;
- while no build is waiting, have the CMS make the JSON of the pages that have none kept
  (json_ahead), so that a full export after a release does not wait for it; for half of
  BUILD_UPKEEP_SECONDS at most, so that the rest still runs that often.
"""

import logging
import time
from io import StringIO

from django.conf import settings
from django.core.management import call_command

from . import queue
from .changes import forget_old_changes
from .json_ahead import make_json_ahead

logger = logging.getLogger(__name__)


def keep_in_step() -> None:
    try:
        call_command("publish_scheduled", stdout=StringIO())
        queue.recover_abandoned()
        queue.enqueue_stranded()
        forget_old_changes()
        ahead = settings.BUILD_UPKEEP_SECONDS / 2
        if made := make_json_ahead(settings.BUILD_API_URL, seconds=ahead):
            logger.info("made the JSON of %s pages ahead of a full export", made)
    except Exception:  # the database is away for a moment: try again next time
        logger.exception("the scheduled upkeep failed; it runs again in a moment")


class Every:
    """Calls keep_in_step() when BUILD_UPKEEP_SECONDS have passed since its last call."""

    def __init__(self):
        self.last = float("-inf")

    def __call__(self) -> None:
        if time.monotonic() - self.last >= settings.BUILD_UPKEEP_SECONDS:
            self.last = time.monotonic()
            keep_in_step()
