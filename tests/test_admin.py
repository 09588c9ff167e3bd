"""Editors can open and understand a solution page in the Wagtail admin."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, rich_text, streamfield

from cms.publishing.models import BuildTrigger, SiteChange
from cms.solutions.models import SectorPage, SolutionIndexPage, SolutionPage
from tests.admin_forms import OVERVIEW, new_solution_form
from tests.conftest import REPO, SEED, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    editor = User.objects.create_user("editor", password="correct horse battery")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    return client


def test_solution_edit_page_loads_with_tabs_for_an_editor(editor_client):
    assert run_import(SEED)[0] == 0
    page = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    response = editor_client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    for tab in ("Content", "Taxonomy", "Evidence", "Editorial"):
        assert f">{tab}<" in html or f"{tab}\n" in html, tab
    assert "Original Markdown" in html and "Provenance" in html  # an imported page
    assert "International Renewable Energy Agency" in html

    from cms.solutions.models import SolutionMetric

    SolutionMetric.objects.create(page=page, label="Savings", value=50, value_max=72.5, unit="%")
    html = editor_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert 'value="50"' in html and 'value="72.5"' in html  # numbers as typed, not 50.000
    assert "Which part of a solution page this is" in html  # a section, in plain words


def test_admin_lists_the_imported_pages(editor_client):
    assert run_import(SEED)[0] == 0
    solutions = SolutionPage.objects.get(slug="high-efficiency-heat-pumps").get_parent()
    response = editor_client.get(f"/admin/pages/{solutions.pk}/")
    assert response.status_code == 200
    assert "High-Efficiency Heat Pumps" in response.content.decode()


def test_editors_manage_organisations_and_see_how_many_pages_use_each(editor_client):
    assert run_import(SEED)[0] == 0
    from cms.solutions.models import Organisation

    irena = Organisation.objects.get(abbreviation="IRENA")
    response = editor_client.get("/admin/snippets/solutions/organisation/")
    assert response.status_code == 200, response
    listing = response.content.decode()
    assert f'href="{irena.usage_url}"' in listing and "Used 1 time" in listing
    usage = editor_client.get(irena.usage_url).content.decode()
    assert "High-Efficiency Heat Pumps" in usage
    sources = editor_client.get("/admin/snippets/solutions/source/?ordering=-usage_count")
    assert sources.status_code == 200  # sorted by use


def test_a_publish_keeps_the_usage_counts_exact(db):
    """A page is indexed once per save (not again for each of its rows): what it names is
    counted with the rows' own ids, and a mention taken out is no longer counted."""
    from wagtail.models import ReferenceIndex

    from cms.solutions.models import Organisation, OrganisationMention
    from tests.builds import publish

    assert run_import(SEED)[0] == 0
    page = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    ember = Organisation.objects.create(name="Ember")
    mentions = [*page.organisation_mentions.all(), OrganisationMention(organisation=ember)]
    publish(page, organisation_mentions=mentions)
    mention = OrganisationMention.objects.get(page=page, organisation=ember)
    references = ReferenceIndex.get_references_to(ember)
    assert [(r.object_id, r.content_path) for r in references] == [
        (str(page.pk), f"organisation_mentions.{mention.pk}.organisation")
    ]
    publish(page, organisation_mentions=mentions[:-1])
    assert not ReferenceIndex.get_references_to(ember).exists()
    assert ReferenceIndex.get_references_to(mentions[0].organisation).count() == 1


def test_every_live_link_an_editor_sees_opens_the_public_site(
    published_sample, admin_client, settings
):
    site = settings.PUBLIC_SITE_URL
    seed = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    public_url = f"{site}/solutions/high-efficiency-heat-pumps/"
    listing = admin_client.get(f"/admin/pages/{seed.get_parent().pk}/").content.decode()
    assert f'href="{public_url}"' in listing
    editor = admin_client.get(f"/admin/pages/{seed.pk}/edit/").content.decode()
    assert f'href="{public_url}"' in editor and 'href="/solutions/' not in editor

    index, sector = SolutionIndexPage.objects.get(), SectorPage.objects.first()
    form = new_solution_form(sector, "Solar Water Heaters")
    added = f"/admin/pages/add/solutions/solutionpage/{index.pk}/"
    published = admin_client.post(added, {**form, "action-publish": "1"}, follow=True)
    html = published.content.decode()
    assert "goes live on the public site with the next build" in html
    assert f'href="{site}/solutions/solar-water-heaters/"' in html  # Wagtail's “View live”
    # Wagtail saves a new page twice as it publishes it; the editor reads one reason
    builds = admin_client.get("/admin/site-builds/").content.decode()
    assert builds.count("Published “Solar Water Heaters”") == 1, builds

    later = timezone.now() + timedelta(days=2)
    form = new_solution_form(sector, "Solar Cookers", go_live_at=later.strftime("%Y-%m-%d %H:%M"))
    scheduled = admin_client.post(added, {**form, "action-publish": "1"}, follow=True)
    when = timezone.localtime(later).strftime("%-d %B %Y, %H:%M")
    assert f"is scheduled: it goes live on the public site at {when}" in scheduled.content.decode()
    assert not SolutionPage.objects.get(slug="solar-cookers").live


def test_a_solution_is_published_only_with_what_readers_need(published_sample, admin_client):
    """A draft may be incomplete; publishing asks for a summary, a section and exactly one
    main sector, each with a message that says how to fix it; a cover image must be
    described (the model's own check)."""
    index, sectors = SolutionIndexPage.objects.get(), list(SectorPage.objects.all()[:2])
    assert len(sectors) == 2
    added = f"/admin/pages/add/solutions/solutionpage/{index.pk}/"
    bare = new_solution_form(
        sectors[0],
        "Solar Water Heaters",
        summary="",
        body=streamfield([]),
        sector_links=inline_formset([]),
    )
    draft = admin_client.post(added, bare, follow=True)
    assert draft.status_code == 200
    page = SolutionPage.objects.get(slug="solar-water-heaters")
    assert not page.live  # saved as a draft, as it is

    edit = f"/admin/pages/{page.pk}/edit/"
    refused = admin_client.post(edit, {**bare, "action-publish": "1"}).content.decode()
    assert "Write one or two sentences: readers see them in listings" in refused
    assert "Add at least one section (for example “Overview”)" in refused
    assert "add the solution&#x27;s sector and tick “Main sector”" in refused
    page.refresh_from_db()
    assert not page.live

    two_main = inline_formset(
        [{"id": "", "sector": sector.pk, "is_primary": "on"} for sector in sectors]
    )
    form = new_solution_form(sectors[0], "Solar Water Heaters", sector_links=two_main)
    refused = admin_client.post(edit, form).content.decode()  # a draft too: the site shows one
    assert "tick “Main sector” for one sector only" in refused

    from wagtail.images import get_image_model

    cover = get_image_model().objects.first()
    no_alt = new_solution_form(sectors[0], "Solar Water Heaters", cover_image=cover.pk)
    refused = admin_client.post(edit, {**no_alt, "action-publish": "1"}).content.decode()
    assert "Describe the cover image for people who cannot see it" in refused

    fixed = new_solution_form(sectors[0], "Solar Water Heaters")
    published = admin_client.post(edit, {**fixed, "action-publish": "1"})
    assert published.status_code == 302, published.content.decode()[:2000]
    page.refresh_from_db()
    assert page.live and page.summary and page.sector_links.get().is_primary

    # a page made in the CMS shows nothing of what an import keeps
    html = admin_client.get(edit).content.decode()
    assert "Provenance" not in html and "Remote cover image" not in html


def test_validation_messages_speak_to_editors(admin_client):
    assert run_import(SEED)[0] == 0
    page = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    page.cover_alt = ""
    with pytest.raises(Exception) as raised:
        page.full_clean()
    assert "Describe the cover image for people who cannot see it." in str(raised.value)

    from cms.solutions.models import SolutionMetric

    metric = SolutionMetric(page=page, label="Savings", value=10, value_max=5, unit="%")
    with pytest.raises(Exception) as raised:
        metric.full_clean(exclude=["page"])
    assert "upper value must be larger" in str(raised.value)


def test_publishing_a_form_that_autosave_got_ahead_of_keeps_one_link_per_sector(
    published_sample, admin_client
):
    """Autosave can store a new page's sector link without giving the open form its id
    (wagtail#14568). Publishing that form must neither fail nor list the sector twice."""
    index, sector = SolutionIndexPage.objects.get(), SectorPage.objects.first()
    form = new_solution_form(sector, "Solar Water Heaters")
    autosave = admin_client.post(
        f"/admin/pages/add/solutions/solutionpage/{index.pk}/", form, HTTP_ACCEPT="application/json"
    )
    assert autosave.status_code == 200 and autosave.json()["success"], autosave.content[:500]
    page = SolutionPage.objects.get(slug="solar-water-heaters")
    assert page.sector_links.count() == 1

    # the open form still holds the link without its id, and the editor presses Publish
    published = admin_client.post(f"/admin/pages/{page.pk}/edit/", {**form, "action-publish": "1"})
    assert published.status_code == 302, published.content[:500]
    page.refresh_from_db()
    assert page.live
    assert list(page.sector_links.values_list("sector_id", flat=True)) == [sector.pk]

    # the export finds changes in the change log: the build is asked for only once the
    # change it is for is recorded
    change = SiteChange.objects.get(page_id=page.pk, kind=SiteChange.Kind.PUBLISHED)
    trigger = BuildTrigger.objects.get(description="Published “Solar Water Heaters”")
    assert trigger.created_at >= change.created_at


def _log_in(client, username: str, password: str):
    return client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
    )


def test_wrong_passwords_lock_the_login_and_administrators_can_lift_it(client, admin_client):
    from axes.models import AccessAttempt

    User.objects.create_user("writer", password="correct horse battery", is_staff=True)
    for _ in range(4):
        assert _log_in(client, "writer", "wrong").status_code == 200  # the form again
    locked = _log_in(client, "writer", "wrong")
    assert locked.status_code == 429 and "Too many attempts" in locked.content.decode()
    # now even the right password is refused, for this user from this address
    assert _log_in(client, "writer", "correct horse battery").status_code == 429

    listing = admin_client.get("/admin/login_lockouts/")
    assert listing.status_code == 200 and "writer" in listing.content.decode()
    AccessAttempt.objects.filter(username="writer").delete()  # what Delete there does
    assert _log_in(client, "writer", "correct horse battery").status_code == 302


def test_wrong_page_passwords_are_throttled_too(client):
    from wagtail.models import PageViewRestriction

    assert run_import(SEED)[0] == 0
    page = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type="password", password="open sesame"
    )
    url = f"/_util/authenticate_with_password/{restriction.pk}/{page.pk}/"
    for _ in range(4):
        answer = client.post(url, {"password": "guess", "return_url": "/"})
        assert answer.status_code == 200  # the form again
    assert client.post(url, {"password": "guess", "return_url": "/"}).status_code == 429
    refused = client.post(url, {"password": "open sesame", "return_url": "/"})
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()


def test_a_page_sent_for_moderation_is_mailed_to_the_moderators(
    published_sample, editor_client, mailoutbox
):
    moderator = User.objects.create_user("moderator", email="mod@example.org", password="x y z")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    index, sector = SolutionIndexPage.objects.get(), SectorPage.objects.first()
    added = f"/admin/pages/add/solutions/solutionpage/{index.pk}/"
    form = new_solution_form(sector, "Solar Water Heaters")
    response = editor_client.post(added, {**form, "action-submit": "1"}, follow=True)
    assert response.status_code == 200
    assert not SolutionPage.objects.get(slug="solar-water-heaters").live
    mailed = [m for m in mailoutbox if "mod@example.org" in m.to]
    assert mailed and "Solar Water Heaters" in mailed[0].subject, [m.subject for m in mailoutbox]
    # and the moderator's admin home lists it, waiting for them
    moderator_client = Client()
    moderator_client.force_login(moderator)
    home = BeautifulSoup(moderator_client.get("/admin/").content, "html.parser")
    waiting = home.find(id="awaiting-review-section")
    assert waiting is not None and "Solar Water Heaters" in waiting.get_text()


def test_mail_is_printed_in_development_where_there_is_no_mail_server():
    """`make run` has no mail server: Wagtail's mail (a moderation request, …) is printed
    where it runs, instead of failing with a connection error."""
    done = subprocess.run(
        [sys.executable, "manage.py", "sendtestemail", "editor@example.org"],
        cwd=REPO,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.dev"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "To: editor@example.org" in done.stdout and "Subject: Test email" in done.stdout


def test_links_that_would_lead_readers_nowhere_are_flagged_before_publishing(
    published_sample, admin_client
):
    index, sector = SolutionIndexPage.objects.get(), SectorPage.objects.first()
    hidden = SolutionPage.objects.get(slug="cargo-bikes")
    hidden.unpublish()
    links = (
        f'<p>See <a linktype="page" id="{hidden.pk}">the bikes</a>,'
        ' <a href="/solutions/no-such-page/">a typo</a>,'
        ' <a href="/organisations/">the organisations</a>'
        ' and <a href="/solutions/electric-buses/">the buses</a>'
        ' (<a href="/solutions/electric-buses">the buses, without the slash</a>).</p>'
    )
    section = {**OVERVIEW, "content": streamfield([("paragraph", rich_text(links))])}
    form = new_solution_form(
        sector, "Solar Water Heaters", body=streamfield([("section", section)])
    )
    added = f"/admin/pages/add/solutions/solutionpage/{index.pk}/"
    refused = admin_client.post(added, {**form, "action-publish": "1"})
    (message,) = [str(error) for error in refused.context["form"].errors["body"]]
    assert message.startswith("Some links would lead readers nowhere")
    assert "“the bikes” links to “Cargo Bikes for Urban Deliveries”, which is not published" in (
        message
    )
    assert "“a typo” links to /solutions/no-such-page/, where the site has no page" in message
    assert "the organisations" not in message and "the buses" not in message
    assert not SolutionPage.objects.filter(slug="solar-water-heaters", live=True).exists()

    saved = admin_client.post(added, form)  # a draft may keep them while the editor fixes them
    assert saved.status_code == 302
