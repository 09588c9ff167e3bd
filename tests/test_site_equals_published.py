"""The public site stays equal to what is published and public, with real build workers
(`manage.py build_worker`, on the database queue or RQ) and nothing run by hand: scheduled
publishing and expiry, privacy, changes made through the ORM, and builds whose task was
lost. The workers here run their upkeep every 2 s instead of 30 s, to keep the suite fast."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from cms.publishing.models import Build
from cms.solutions.models import Organisation, SolutionIndexPage, SolutionPage
from tests.builds import live_html, publish, settled, wait_for

FAST_UPKEEP = {"BUILD_UPKEEP_SECONDS": "2", "BUILD_STALE_SECONDS": "8"}


def built(worker) -> Build:
    """The build that ran after the last change: live, or the test fails with its error."""
    build = settled(worker=worker)
    assert build.status == Build.Status.LIVE, build.error
    return build


@pytest.fixture
def running(site, worker):
    """A build worker, and the site after its first build."""
    worker.start(**FAST_UPKEEP)
    first = settled(worker=worker)
    assert first.status == Build.Status.LIVE, first.error
    return worker


def test_scheduled_publishing_and_expiry_need_no_command(site, running):
    page = SolutionPage.objects.get(slug="cargo-bikes")
    draft = page.get_latest_revision_as_object()
    draft.summary = "Scheduled to go live five seconds from now."
    draft.go_live_at = timezone.now() + timedelta(seconds=5)
    draft.save_revision().publish()  # as the admin does: the revision is scheduled
    assert "five seconds from now" not in live_html(site, "/solutions/cargo-bikes/")
    wait_for(
        lambda: "five seconds from now" in live_html(site, "/solutions/cargo-bikes/"),
        40,
        "the scheduled page on the site",
    )

    expiring = SolutionPage.objects.get(slug="electric-buses")
    publish(expiring, expire_at=timezone.now() + timedelta(seconds=5))
    wait_for(lambda: not live_html(site, "/solutions/electric-buses/"), 40, "the expiry")
    assert not SolutionPage.objects.get(slug="electric-buses").live
    assert "electric-buses" not in live_html(site, "/solutions/")


def test_privacy_on_a_page_and_on_an_ancestor_takes_them_off_the_site_and_back(site, running):
    page = SolutionPage.objects.get(slug="cargo-bikes")
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="members only"
    )
    built(running)
    assert not live_html(site, "/solutions/cargo-bikes/")
    assert "cargo-bikes" not in live_html(site, "/solutions/")
    restriction.delete()
    built(running)
    assert "Cargo Bikes" in live_html(site, "/solutions/cargo-bikes/")

    solutions = SolutionIndexPage.objects.get()
    restriction = PageViewRestriction.objects.create(
        page=solutions, restriction_type=PageViewRestriction.LOGIN
    )
    built(running)
    slugs = [p.slug for p in SolutionPage.objects.live()]
    assert slugs and not any(live_html(site, f"/solutions/{slug}/") for slug in slugs)
    restriction.delete()
    built(running)
    assert all(live_html(site, f"/solutions/{slug}/") for slug in slugs)


def test_an_organisation_saved_through_the_orm_is_renamed_on_every_page(site, running):
    organisation = Organisation.objects.filter(mentions__page__live=True).distinct().first()
    pages = list(
        SolutionPage.objects.live().filter(organisation_mentions__organisation=organisation)
    )
    organisation.name = "Renamed Through The ORM"
    organisation.save()
    built(running)
    for page in pages:
        assert "Renamed Through The ORM" in live_html(site, page.get_url_parts()[2]), page


def test_a_publish_whose_build_could_not_be_queued_goes_live_without_a_restart(
    site, running, settings, monkeypatch
):
    page = SolutionPage.objects.get(slug="cargo-bikes")
    if settings.REDIS_URL:  # the queue's Redis is unreachable for this one publish
        queues = {"builds": {**settings.RQ_QUEUES["builds"], "URL": "redis://127.0.0.1:9/0"}}
        settings.RQ_QUEUES = queues
    else:  # the database queue cannot fail apart from the database: fail its enqueue

        def unreachable(*args, **kwargs):
            raise ConnectionError("the queue cannot be reached")

        monkeypatch.setattr("cms.publishing.queue.run_build", SimpleNamespace(enqueue=unreachable))
    publish(page, summary="Published while the queue was away.")  # no error for the editor
    pending = Build.objects.get(status=Build.Status.PENDING)

    build = settled(timeout=60, worker=running, after=pending.pk - 1)
    assert build.pk == pending.pk and build.status == Build.Status.LIVE, build.error
    assert "while the queue was away" in live_html(site, "/solutions/cargo-bikes/")


def test_pages_outside_the_site_make_no_change(site):
    Build.objects.all().delete()
    root = Page.objects.get(depth=1)
    root.title = "Root, renamed"
    root.save()
    assert not Build.objects.filter(status=Build.Status.PENDING).exists()
