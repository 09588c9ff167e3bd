"""The public site stays equal to what is published and public, with real build workers
(`manage.py build_worker`, on the database queue or RQ) and nothing run by hand: scheduled
publishing and expiry, privacy, redirects, changes made through the ORM, and builds whose
task was lost. Each ends with the drift check (`manage.py verify_site`) finding nothing.
The workers here run their upkeep every 2 s instead of 30 s, to keep the suite fast."""

import io
import re
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, PageViewRestriction

from cms.publishing import queue
from cms.publishing.models import Build
from cms.solutions.models import Organisation, SolutionIndexPage, SolutionPage
from site_builder import deploy
from site_builder.serve import make_server
from tests.builds import live_html, publish, settled, wait_for

FAST_UPKEEP = {"BUILD_UPKEEP_SECONDS": "2", "BUILD_STALE_SECONDS": "8"}


def built(worker) -> Build:
    """The build that ran after the last change: live, or the test fails with its error."""
    build = settled(worker=worker)
    assert build.status == Build.Status.LIVE, build.error
    return build


def no_drift() -> None:
    """`manage.py verify_site` finds the live site equal to the CMS (or the test fails with
    what it found)."""
    out = io.StringIO()
    try:
        call_command("verify_site", stdout=out)
    except CommandError as error:
        raise AssertionError(f"{error}:\n{out.getvalue()}") from None


@pytest.fixture
def served(site):
    """`site_builder serve` on the site, as a reader or a static host would see it."""
    server = make_server(site, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def answer(base: str, path: str) -> tuple[int, str]:
    got = requests.get(base + path, allow_redirects=False, timeout=5)
    return got.status_code, got.headers.get("Location", "")


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
    expiring = SolutionPage.objects.get(slug="electric-buses")
    publish(expiring, expire_at=timezone.now() + timedelta(seconds=5))
    assert "five seconds from now" not in live_html(site, "/solutions/cargo-bikes/")
    assert live_html(site, "/solutions/electric-buses/")

    wait_for(
        lambda: "five seconds from now" in live_html(site, "/solutions/cargo-bikes/"),
        40,
        "the scheduled page on the site",
    )
    wait_for(lambda: not live_html(site, "/solutions/electric-buses/"), 40, "the expiry")
    assert not SolutionPage.objects.get(slug="electric-buses").live
    assert "electric-buses" not in live_html(site, "/solutions/")
    settled(worker=running)
    no_drift()


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
    no_drift()


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
    no_drift()


def test_redirects_answer_301_and_302_and_a_renamed_organisation_keeps_its_old_url(
    site, running, served
):
    page = SolutionPage.objects.get(slug="cargo-bikes")
    Redirect.objects.create(old_path="/bikes", redirect_page=page, is_permanent=True)
    Redirect.objects.create(
        old_path="/news", redirect_link="https://example.org/news", is_permanent=False
    )
    built(running)
    for path in ("/bikes", "/bikes/", "/bikes/index.html"):
        assert answer(served, path) == (301, "/solutions/cargo-bikes/"), path
    assert answer(served, "/news/") == (302, "https://example.org/news")
    no_drift()

    organisation = Organisation.objects.filter(mentions__page__live=True).distinct().first()
    old_url = organisation.site_path
    assert answer(served, old_url)[0] == 200
    organisation.name = f"{organisation.name} Renamed"
    organisation.save()
    assert organisation.site_path != old_url
    built(running)
    assert answer(served, old_url) == (301, organisation.site_path)
    assert "Renamed" in requests.get(served + organisation.site_path, timeout=5).text
    no_drift()

    Redirect.objects.filter(old_path="/bikes").delete()
    built(running)
    assert answer(served, "/bikes/")[0] == 404
    no_drift()


def test_the_drift_check_finds_files_changed_by_hand_and_changes_not_yet_built(
    site, running, admin_client
):
    live = deploy.current(site)
    checked = wait_for(
        lambda: Build.objects.filter(release=live, verified_at__isnull=False).first(),
        60,
        "the worker's check of the live release",
    )
    assert checked.drift == []
    assert "the site matches the CMS" in admin_client.get("/admin/site-builds/").text
    no_drift()

    release = site / "current"
    (release / "solutions" / "cargo-bikes" / "index.html").unlink()
    altered = release / "solutions" / "electric-buses" / "index.html"
    altered.write_text(altered.read_text().replace("Electric Buses", "Edited By Hand"))
    (release / "surprise.html").write_text("<p>not from a build</p>")
    with pytest.raises(CommandError, match="differs from the CMS in 3 ways"):
        call_command("verify_site", stdout=(out := io.StringIO()))
    assert "missing file: /solutions/cargo-bikes/index.html" in out.getvalue()
    assert "altered file: /solutions/electric-buses/index.html" in out.getvalue()
    assert "unknown file: /surprise.html" in out.getvalue()

    running.kill()  # a publish that no worker builds: the site is behind the CMS
    publish(SolutionPage.objects.get(slug="cover-crops"), summary="Not built yet.")
    with pytest.raises(CommandError):
        call_command("verify_site", stdout=(out := io.StringIO()))
    assert "stale page: /solutions/cover-crops/" in out.getvalue()
    assert "A build is waiting or running" in out.getvalue()


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
    no_drift()


def test_pages_outside_the_site_make_no_change(site):
    Build.objects.all().delete()
    root = Page.objects.get(depth=1)
    root.title = "Root, renamed"
    root.save()
    assert not Build.objects.filter(status=Build.Status.PENDING).exists()


def test_one_edit_that_changes_several_things_is_one_build_that_starts_at_once(
    site, settings, monkeypatch
):
    """Renaming an organisation also writes redirects from its old address: one edit, so
    one build with all of its triggers, even for a worker that takes a build the moment it
    is queued; it starts at once. A second edit soon after is a burst, and waits."""
    settings.BUILD_QUIET_SECONDS, settings.BUILD_START_SECONDS = 30, 0
    taken = []
    monkeypatch.setattr(queue, "_enqueue", lambda build_id: taken.append(queue.claim(build_id)))
    Build.objects.all().delete()
    organisation = Organisation.objects.filter(mentions__page__live=True).distinct().first()
    organisation.name = "Renamed In One Go"
    with transaction.atomic():
        organisation.save()
    build = Build.objects.get()
    assert taken == [build] and build.status == Build.Status.RUNNING
    kinds = set(build.triggers.values_list("kind", flat=True))
    assert kinds == {"snippet", "redirect"}, kinds
    organisation.name = "Renamed Again"
    organisation.save()
    pending = Build.objects.get(status=Build.Status.PENDING)
    assert pending.not_before - timezone.now() > timedelta(seconds=20)


@pytest.fixture
def duplicates(site):
    """Two organisations named on live pages, the pages naming the first, and a moderator
    (moderators may delete organisations, and so merge them)."""
    from django.contrib.auth.models import Group, User

    from tests.browser import EDITOR, PASSPHRASE

    moderator = User.objects.create_user(EDITOR, "moderator@example.org", PASSPHRASE)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    named = Organisation.objects.filter(mentions__page__live=True).distinct().order_by("name")
    merged, into = named[0], named[1]
    naming = SolutionPage.objects.live().filter(organisation_mentions__organisation=merged)
    return merged, into, list(naming.distinct())


def test_a_moderator_merges_two_organisations_in_the_browser_and_the_site_follows(
    site, running, served, duplicates, live_server, browser_page
):
    """“U.S. Department of Energy” and “US Department of Energy”: one is merged into the
    other from the organisations listing; its mentions move (drafts too), it is gone, and
    the old address of its page leads to the other's on the built site."""
    from tests.browser import in_a_thread, log_in

    merged, into, pages = duplicates
    old_path, merged_name = merged.site_path, merged.name
    assert answer(served, old_path)[0] == 200

    page = browser_page
    page.set_default_timeout(20_000)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/snippets/solutions/organisation/")
    more = page.get_by_role("button", name=f"More options for '{merged}'")
    more.click()
    page.get_by_role("link", name="Merge into…").click()
    main = page.locator("main")
    expect(main).to_contain_text(f"Every page that names “{merged_name}”")
    expect(main).to_contain_text(pages[0].title)
    main.get_by_role("button", name=re.compile("Choose")).click()
    modal = page.locator(".modal")
    modal.get_by_role("textbox", name="Search").fill(into.name)
    modal.get_by_role("link", name=str(into)).click()
    expect(modal).to_be_hidden()
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"“{merged_name}” is merged into")

    def on_the_site():
        assert not Organisation.objects.filter(pk=merged.pk).exists()
        for solution in pages:
            draft = solution.get_latest_revision_as_object()
            assert into in [m.organisation for m in draft.organisation_mentions.all()]
        built(running)
        assert answer(served, old_path) == (301, into.site_path)
        shown = live_html(site, pages[0].get_url_parts()[2])
        assert into.site_path in shown and old_path not in shown
        no_drift()

    in_a_thread(on_the_site)
