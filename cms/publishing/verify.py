"""The drift check from the CMS's side: what the CMS says is public (public_site.py)
against what the live release holds (site_builder/verify.py). Run by `manage.py
verify_site`, and by each build worker after a release goes live, whose result Site builds
shows."""

import logging
import time
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


def site_drift(public: Path | None = None, seen: dict | None = None) -> list[str]:
    """Every difference between the live release and the CMS; [] when they agree."""
    return drift(Path(public or settings.SITE_PUBLIC_DIR), expected(), seen)


def builds_in_flight() -> bool:
    return Build.objects.filter(status__in=[Build.Status.PENDING, Build.Status.RUNNING]).exists()


def verify_live_build(seen: dict | None = None) -> None:
    """Check the live release once publishing has been quiet for BUILD_VERIFY_DELAY_SECONDS,
    and keep the result on its build, for Site builds. Skipped while another build is on
    its way: that one is checked when it goes live. `seen`, kept from call to call, holds
    the hashes of the files checked last time: only the files that changed are read again."""
    time.sleep(settings.BUILD_VERIFY_DELAY_SECONDS)
    try:
        public = Path(settings.SITE_PUBLIC_DIR)
        live = deploy.current(public)
        build = Build.objects.filter(release=live).first() if live else None
        if build is None or builds_in_flight():
            return
        problems = site_drift(public, seen)
        if builds_in_flight() or deploy.current(public) != live:
            return  # a change arrived while checking: its build will tell
        build.verified_at, build.drift = timezone.now(), problems
        build.save(update_fields=["verified_at", "drift"])
        if problems:
            logger.warning("the live site differs from the CMS: %s", "; ".join(problems[:10]))
    finally:
        close_old_connections()
