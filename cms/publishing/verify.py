"""The drift check from the CMS's side: what the CMS says is public (public_site.py)
against what the live release holds (site_builder/verify.py). Run by `manage.py
verify_site`, and by each build worker after a release goes live, whose result Site builds
shows."""

import logging
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from site_builder import deploy
from site_builder.verify import Expected, drift

from .models import Build
from .public_site import public_pages, public_redirects, shared_records

logger = logging.getLogger(__name__)


def expected() -> Expected:
    return Expected(public_pages(), public_redirects(), shared_records())


def site_drift(public: Path | None = None) -> list[str]:
    """Every difference between the live release and the CMS; [] when they agree."""
    return drift(Path(public or settings.SITE_PUBLIC_DIR), expected())


def builds_in_flight() -> bool:
    return Build.objects.filter(status__in=[Build.Status.PENDING, Build.Status.RUNNING]).exists()


def verify_live_build() -> None:
    """Check the live release and keep the result on its build, for Site builds. Skipped
    while another build is on its way: that one is checked when it goes live."""
    try:
        public = Path(settings.SITE_PUBLIC_DIR)
        live = deploy.current(public)
        build = Build.objects.filter(release=live).first() if live else None
        if build is None or builds_in_flight():
            return
        problems = site_drift(public)
        if builds_in_flight():  # a change arrived while checking: its build will tell
            return
        build.verified_at, build.drift = timezone.now(), problems
        build.save(update_fields=["verified_at", "drift"])
        if problems:
            logger.warning("the live site differs from the CMS: %s", "; ".join(problems[:10]))
    finally:
        close_old_connections()
