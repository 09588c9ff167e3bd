"""manage.py build_site [--full] [--wait]: queue a site build, as Publish does."""

import time

from django.core.management.base import BaseCommand, CommandError

from cms.publishing.models import Build
from cms.publishing.queue import request_build


class Command(BaseCommand):
    help = "Queue a build of the public site (a build worker runs it)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="re-export and re-render everything"
        )
        parser.add_argument("--wait", action="store_true", help="wait until it is live or failed")
        parser.add_argument("--timeout", type=float, default=600)

    def handle(self, *args, full=False, wait=False, timeout=600, **options):
        build = request_build(
            "manual", "Asked for by an operator (from the server's command line)", full=full
        )
        self.stdout.write(f"Build #{build.pk} is queued.")
        if not wait:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            build.refresh_from_db()
            if build.status == Build.Status.LIVE:
                self.stdout.write(f"Build #{build.pk} is live ({build.release}).")
                return
            if build.status == Build.Status.FAILED:
                raise CommandError(f"Build #{build.pk} failed: {build.error}")
            time.sleep(0.5)
        raise CommandError(
            f"Build #{build.pk} is not done after {timeout:g} s:"
            " is a worker running (manage.py build_worker)?"
        )
