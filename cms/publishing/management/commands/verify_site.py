"""manage.py verify_site: does the public site hold exactly what is published and public?

Compares the CMS's live, public pages (and when each was last published), redirects and
shared records with the live release, and the release's files with what its build wrote.
Lists every difference; exits with status 1 if there is any."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cms.publishing.verify import builds_in_flight, site_drift
from site_builder import deploy


class Command(BaseCommand):
    help = "Check that the live site equals what is published and public in the CMS."

    def add_arguments(self, parser):
        parser.add_argument(
            "--public", default=None, help="The site's folder (default: SITE_PUBLIC_DIR)."
        )

    def handle(self, *args, public=None, **options):
        public = Path(public or settings.SITE_PUBLIC_DIR)
        problems = site_drift(public)
        if builds_in_flight():
            self.stdout.write("A build is waiting or running: differences may be on their way.")
        if problems:
            for problem in problems:
                self.stdout.write(f"  {problem}")
            raise CommandError(
                f"the live site ({public}) differs from the CMS in {len(problems)} ways"
            )
        self.stdout.write(
            self.style.SUCCESS(f"The live site (release {deploy.current(public)}) matches the CMS.")
        )
