"""manage.py build_worker: run the site build worker.

It first fails and re-queues any build whose worker died, then works the "builds" task
backend: the database queue by default, RQ (any number of workers) when REDIS_URL is set.
Either way it also publishes scheduled pages and picks up lost builds every
BUILD_UPKEEP_SECONDS (cms/publishing/keep_in_step.py).
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.tasks import task_backends

from cms.publishing.builder import site_builder
from cms.publishing.queue import recover_abandoned
from cms.publishing.workers import run_database_worker


class Command(BaseCommand):
    help = "Run the site build worker (database queue, or RQ when REDIS_URL is set)."

    def handle(self, *args, **options):
        recover_abandoned(enqueue_pending=True)
        site_builder().upkeep.after_release()  # the next build's copy and search, if missing
        backend = task_backends["builds"]
        queues = sorted(backend.queues)
        if type(backend).__module__.startswith("django_tasks_rq"):
            call_command(
                "rqworker",
                *queues,
                job_class="django_tasks_rq.Job",
                worker_class="cms.publishing.workers.BuildRQWorker",
                with_scheduler=True,
            )
        else:
            run_database_worker(queues)
