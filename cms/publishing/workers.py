"""The build worker's loop, on either queue, with the periodic upkeep (keep_in_step) folded
in: django-tasks-db's worker run in batches, or an RQ worker whose maintenance runs it.
Builds run in the worker's own process, which keeps the snapshot and templates loaded
between them (cms/publishing/builder.py)."""

import os
import socket
import time

from django.conf import settings
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from rq.worker import SimpleWorker

from .keep_in_step import Every


def run_database_worker(queues: list[str], backend: str = "builds") -> None:
    """Run the tasks that are ready, then the upkeep when it is due; again and again, until
    stopped (SIGINT or SIGTERM)."""
    worker = DatabaseWorker(
        queue_names=queues,
        interval=settings.BUILD_POLL_SECONDS,
        batch=True,
        backend_name=backend,
        startup_delay=False,
        max_tasks=None,
        worker_id=f"{socket.gethostname()}:{os.getpid()}",
        excluded_queue_names=[],
    )
    worker.configure_signals()
    upkeep = Every()
    while worker.running:
        upkeep()
        worker.run()
        if worker.running:
            time.sleep(settings.BUILD_POLL_SECONDS)


class BuildRQWorker(SimpleWorker):
    """RQ's SimpleWorker (builds run in this process, not a fork per job) that runs the
    upkeep with its own maintenance, every BUILD_UPKEEP_SECONDS. It does not listen for
    RQ's remote commands (stop it with SIGTERM): that listener is a thread, and a build
    forks its render processes, which must not happen while another thread runs."""

    def __init__(self, *args, **kwargs):
        kwargs["maintenance_interval"] = int(settings.BUILD_UPKEEP_SECONDS)
        super().__init__(*args, **kwargs)
        self.upkeep = Every()

    @property
    def dequeue_timeout(self) -> int:  # wake up for the upkeep even when no job comes
        return max(1, int(settings.BUILD_UPKEEP_SECONDS))

    def subscribe(self):
        pass

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        self.upkeep()
