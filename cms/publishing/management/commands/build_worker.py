"""manage.py build_worker: run the site build worker.

It first fails and re-queues any build whose worker died, then runs the worker of the
"builds" task backend: django-tasks-db's `db_worker`, or an RQ worker (with its scheduler,
for retries with backoff) when REDIS_URL is set. Run as many as you like on RQ. Builds run
in the worker's own process, which keeps the snapshot and templates loaded between them.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.tasks import task_backends

from cms.publishing.builder import site_builder
from cms.publishing.queue import recover_abandoned


class Command(BaseCommand):
    help = "Run the site build worker (database queue, or RQ when REDIS_URL is set)."

    def handle(self, *args, **options):
        recover_abandoned(enqueue_pending=True)
        site_builder().upkeep.after_release()  # the next build's copy and search, if missing
        backend = task_backends["builds"]
        queues = sorted(backend.queues)
        if type(backend).__module__.startswith("django_tasks_rq"):
            # SimpleWorker runs builds in this process, not a fork per job: what one build
            # loaded (snapshot, templates) is still there for the next.
            call_command(
                "rqworker",
                *queues,
                job_class="django_tasks_rq.Job",
                worker_class="rq.worker.SimpleWorker",
                with_scheduler=True,
            )
        else:
            # As command-line arguments: db_worker checks its defaults ("default" backend).
            call_command(
                "db_worker",
                "--backend",
                "builds",
                "--queue-name",
                ",".join(queues),
                "--interval",
                "0.1",
                "--no-reload",
                "--no-startup-delay",
            )
