"""An editor in the Wagtail admin, in a real browser (Debian's Chromium driven by
Playwright): live preview, adding and autosaving a page, what a solution needs before it is
published, choosers, the accessibility checker, tags and a rollback of the public site."""

import re
import threading

import pytest
from playwright.sync_api import expect

from site_builder import deploy
from tests.browser import EDITOR, PASSPHRASE, add_block, in_a_thread, log_in, open_editor
from tests.conftest import SITE_URL


@pytest.fixture
def preview_server(api_url, live_server, public, snapshot, settings):
    """The preview renderer, and the CMS pointed at it."""
    from site_builder.preview import PreviewApp, make_preview_server

    server = make_preview_server(PreviewApp(api_url, public, snapshot=snapshot), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    settings.WAGTAIL_HEADLESS_PREVIEW = {
        **settings.WAGTAIL_HEADLESS_PREVIEW,
        "CLIENT_URLS": {"default": url},
    }
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    yield url
    server.shutdown()


@pytest.fixture
def cargo_bikes_id(published_sample):
    """An editor account, and the page they will edit (set up before the browser starts:
    Playwright's sync API runs an event loop in which Django refuses database calls)."""
    from django.contrib.auth.models import User

    from cms.solutions.models import SolutionPage

    User.objects.create_superuser(EDITOR, "editor@example.org", PASSPHRASE)
    return SolutionPage.objects.get(slug="cargo-bikes").pk


def test_editor_edits_a_section_and_sees_it_in_the_live_preview(
    live_server, preview_server, cargo_bikes_id, browser_page, tmp_path
):
    page_id = cargo_bikes_id
    page = browser_page
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/pages/{page_id}/edit/")
    editor = page.locator("[data-contents]").filter(has_text="Cargo bikes, many with").first
    editor.scroll_into_view_if_needed()
    editor.get_by_text("search for parking.").click()
    page.keyboard.press("End")
    page.keyboard.type(" Added in the editor today.")
    expect(editor).to_contain_text("Added in the editor today.")
    # Draftail writes the edit into the form a moment later; the preview posts the form.
    stored = page.locator("input[name='body-1-value-content-0-value']")
    expect(stored).to_have_value(re.compile("Added in the editor today"))
    page.get_by_role("button", name="Toggle preview").click()
    inner = page.frame_locator("#w-preview-iframe")
    expect(inner.locator("#overview")).to_contain_text("Added in the editor today.", timeout=20_000)
    page.screenshot(path=str(tmp_path / "preview.png"))
    assert inner.locator("h1").inner_text() == "Cargo Bikes for Urban Deliveries"

    with page.context.expect_page() as opened:  # “Preview in new tab”
        page.get_by_role("link", name="Preview in new tab").click()
    tab = opened.value
    expect(tab.locator("#overview")).to_contain_text("Added in the editor today.", timeout=20_000)
    assert (
        inner.locator("head link[rel=stylesheet]").get_attribute("href").startswith("/assets/site.")
    )
    page.screenshot(path=str(tmp_path / "preview.png"))
    # nothing was published: the live site does not have it
    live = (
        tmp_path / "public" / "current" / "solutions" / "cargo-bikes" / "index.html"
    ).read_text()
    assert "Added in the editor today." not in live


@pytest.fixture
def sector_index_id(published_sample):
    """An editor account, and where new sector pages go (set up before the browser starts)."""
    from django.contrib.auth.models import User

    from cms.solutions.models import SectorIndexPage

    User.objects.create_superuser(EDITOR, "editor@example.org", PASSPHRASE)
    return SectorIndexPage.objects.get().pk


def count_pages_titled(title: str) -> int:
    """The ORM from another thread: Playwright's event loop runs in this one."""
    from wagtail.models import Page

    return in_a_thread(lambda: Page.objects.filter(title=title).count())


def test_an_add_page_form_left_unsaved_leaves_no_draft_and_a_saved_page_is_autosaved(
    live_server, sector_index_id, browser_page
):
    """Wagtail would autosave a new page as soon as the editor types, leaving a draft in the
    tree for each "Add page" form they leave. Nothing is stored before Save draft or
    Publish; once the page exists, its edits are autosaved."""
    from wagtail.models import Page

    page = browser_page
    page.set_default_timeout(20_000)
    log_in(page, live_server.url)
    autosaves, answered = [], []  # the editor's background saves (JSON), sent and answered

    def autosave(request) -> bool:
        return request.method == "POST" and "application/json" in (
            request.headers.get("accept") or ""
        )

    page.on("request", lambda r: autosaves.append(r.url) if autosave(r) else None)
    page.on("requestfinished", lambda r: answered.append(r.url) if autosave(r) else None)
    page.goto(f"{live_server.url}/admin/pages/add/solutions/sectorpage/{sector_index_id}/")
    page.wait_for_timeout(2500)  # Wagtail starts watching the form for edits 2 s after loading
    page.locator("#id_title").fill("Oceans")
    page.locator("#id_summary").fill("Blue carbon, offshore wind and shipping.")
    page.wait_for_timeout(2500)  # five autosave intervals
    assert autosaves == [] and count_pages_titled("Oceans") == 0

    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("“Oceans” goes live on the public site")
    assert count_pages_titled("Oceans") == 1
    created = in_a_thread(lambda: Page.objects.get(title="Oceans").pk)
    page.goto(f"{live_server.url}/admin/pages/{created}/edit/")
    page.wait_for_timeout(2500)
    page.locator("#id_summary").fill("Blue carbon and shipping.")
    for _ in range(100):  # (answered: the CMS has saved it before the test ends)
        if any(f"/pages/{created}/edit/" in url for url in answered):
            break
        page.wait_for_timeout(100)
    assert any(f"/pages/{created}/edit/" in url for url in answered), autosaves


@pytest.fixture
def solution_index_id(published_sample):
    """An editor account, and where new solutions go (set up before the browser starts)."""
    from django.contrib.auth.models import User

    from cms.solutions.models import SolutionIndexPage

    User.objects.create_superuser(EDITOR, "editor@example.org", PASSPHRASE)
    return SolutionIndexPage.objects.get().pk


def test_an_editor_is_told_what_a_solution_needs_and_publishes_it_once_fixed(
    live_server, solution_index_id, browser_page, tmp_path
):
    page = browser_page
    page.set_default_timeout(20_000)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/pages/add/solutions/solutionpage/{solution_index_id}/")
    page.locator("#id_title").fill("Seagrass Meadows")

    def publish():
        page.get_by_role("button", name="More actions").click()
        page.get_by_role("button", name="Publish").click()

    publish()
    messages = page.locator(".messages")
    expect(messages).to_contain_text("could not be created")
    form = page.locator("form[data-edit-form], main").first
    for shown in (
        "Write one or two sentences: readers see them in listings",
        "Add at least one section (for example “Overview”)",
        "add the solution's sector and tick “Main sector”",
    ):
        expect(form).to_contain_text(shown)
    page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)

    page.locator("#id_summary").fill("Underwater meadows that store carbon in their roots.")
    add_block(page, "[data-contentpath='body']", "Section")
    page.get_by_label("Heading*").fill("Overview")
    add_block(page, "[data-contentpath='content']", "Paragraph")
    section = page.locator("[data-contentpath='content']").first
    section.locator("[contenteditable=true]").first.click()
    page.keyboard.type("Seagrass stores carbon in the seabed for centuries.")
    # Draftail writes the text into the form a moment later
    stored = page.locator("input[name='body-0-value-content-0-value']")
    expect(stored).to_have_value(re.compile("seabed for centuries"))
    page.get_by_role("tab", name="Taxonomy").click()
    page.get_by_role("button", name="Add sector").click()
    page.get_by_role("button", name="Choose a page").click()
    page.locator(".modal").get_by_role("link", name="Buildings", exact=True).click()
    page.get_by_label("Main sector").check()
    page.get_by_role("tab", name="Promote").click()
    page.locator("#id_slug").fill("seagrass-meadows")  # as the editor may have left it empty
    publish()
    page.screenshot(path=str(tmp_path / "published.png"), full_page=True)
    expect(page.locator(".messages")).to_contain_text("“Seagrass Meadows” goes live")
    assert count_pages_titled("Seagrass Meadows") == 1


@pytest.fixture
def two_live_builds(site):
    """Two builds whose releases are on the site, the second live; and an admin account."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from cms.publishing.models import Build
    from site_builder.build import build

    User.objects.create_superuser(EDITOR, "editor@example.org", PASSPHRASE)
    first = deploy.current(site)
    second = build(site / "snapshot", site, site_url=SITE_URL, full=True, search=False).build_id
    now = timezone.now()
    return [
        Build.objects.create(status="live", release=release, not_before=now, finished_at=now)
        for release in (first, second)
    ]


def test_a_rollback_says_what_it_changes_and_asks_why_first(
    live_server, site, two_live_builds, browser_page
):

    first, second = two_live_builds
    page = browser_page
    page.set_default_timeout(20_000)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/site-builds/")
    page.get_by_role("link", name=re.compile("Roll back to this")).first.click()
    main = page.locator("main")
    expect(main).to_contain_text(f"will show again what build #{first.pk} published")
    expect(main).to_contain_text(f"instead of build #{second.pk}")
    expect(main).to_contain_text("Readers see the change at once")
    assert deploy.current(site) == second.release  # asking changed nothing

    page.get_by_role("button", name=f"Roll back to build #{first.pk}").click()
    expect(main).to_contain_text("This field is required")
    assert deploy.current(site) == second.release

    page.get_by_label("Why roll back?").fill("The new release shows a wrong figure.")
    page.get_by_role("button", name=f"Roll back to build #{first.pk}").click()
    expect(page.locator(".messages")).to_contain_text(
        f"The public site now shows the release of build #{first.pk}"
    )
    assert deploy.current(site) == first.release
    page.goto(f"{live_server.url}/admin/reports/site-history/")
    expect(page.locator("main")).to_contain_text("The new release shows a wrong figure.")


def _references_of(page_id: int) -> list[str]:
    """The sources the page's latest draft cites."""
    from cms.solutions.models import SolutionPage

    def titles():
        draft = SolutionPage.objects.get(pk=page_id).get_latest_revision_as_object()
        return [reference.source.title for reference in draft.references.all()]

    return in_a_thread(titles)


def test_an_editor_adds_a_new_source_from_inside_the_chooser(
    live_server, cargo_bikes_id, browser_page
):
    page = browser_page
    open_editor(page, live_server.url, cargo_bikes_id)
    page.get_by_role("tab", name="Evidence").click()
    page.get_by_role("button", name="Add reference").click()
    page.locator("[id$='references-FORMS'] [data-chooser-action-choose]").last.click()
    modal = page.locator(".modal")
    modal.get_by_role("tab", name="Add a source").click()
    modal.locator("input[name=title]").fill("Cargo bike trials in Berlin, 2025")
    modal.locator("input[name=publisher]").fill("City of Berlin")
    modal.get_by_role("button", name="Add a source").click()
    expect(modal).to_be_hidden()
    expect(page.locator("[id$='references-FORMS']")).to_contain_text(
        "Cargo bike trials in Berlin, 2025"
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("has been updated")
    assert "Cargo bike trials in Berlin, 2025" in _references_of(cargo_bikes_id)


@pytest.fixture
def cover_crops_id(published_sample):
    """An editor account, and a page with a cover image (set up before the browser starts)."""
    from django.contrib.auth.models import User

    from cms.solutions.models import SolutionPage

    User.objects.create_superuser(EDITOR, "editor@example.org", PASSPHRASE)
    return SolutionPage.objects.get(slug="cover-crops").pk


def test_the_accessibility_checker_reads_the_preview_and_flags_a_poor_alt_text(
    live_server, preview_server, cover_crops_id, browser_page
):
    """Wagtail's checks (accessibility, words, readability) look at the page as the theme
    draws it: a cover image described by its file name is reported before publishing."""
    page = browser_page
    open_editor(page, live_server.url, cover_crops_id, timeout=30_000)
    page.get_by_label("Cover image alternative text").fill("cover_crops_2024.jpg")
    page.get_by_role("button", name="Toggle checks").click()
    checks = page.locator("[data-side-panel='checks']")
    expect(checks.locator("[data-checks-panel]")).to_contain_text(
        "Image alt text has inappropriate pattern", timeout=30_000
    )
    expect(checks.locator("[data-content-checker-count]")).not_to_have_text("0")
    expect(checks.locator("[data-content-word-count]")).not_to_have_text("-")


def test_a_title_shows_its_length_limit_and_a_cut_paste_is_told(
    live_server, cargo_bikes_id, browser_page
):
    page = browser_page
    open_editor(page, live_server.url, cargo_bikes_id)
    title = page.locator("#id_title")
    counter = page.locator("#id_title-character-count")
    expect(counter).to_have_text("32 of 255 characters.")  # “Cargo Bikes for Urban Deliveries”
    title.fill("A" * 250)
    expect(counter).to_have_text("250 of 255 characters.")
    title.evaluate(
        """(input) => {
            const pasted = new DataTransfer();
            pasted.setData("text/plain", "B".repeat(66));
            const paste = new ClipboardEvent("paste", {clipboardData: pasted, bubbles: true});
            input.dispatchEvent(paste);
        }"""
    )
    expect(counter).to_contain_text("The text you pasted was 66 characters; only 5 fit")


def test_enter_in_the_tags_field_adds_the_tag_and_does_not_submit(
    live_server, cargo_bikes_id, browser_page
):
    page = browser_page
    open_editor(page, live_server.url, cargo_bikes_id)
    page.get_by_role("tab", name="Taxonomy").click()
    tags = page.locator("[data-contentpath='tags'] .tagit input[type=text]")
    tags.click()
    tags.type("last mile")
    left = []  # a submit would load the page again
    page.on(
        "framenavigated", lambda frame: left.append(frame.url) if frame == page.main_frame else 0
    )
    tags.press("Enter")
    expect(page.locator("[data-contentpath='tags'] .tagit-choice")).to_contain_text(["last mile"])
    page.wait_for_timeout(1000)
    assert not left, left
    expect(page.locator(".messages")).not_to_contain_text("has been updated")
