"""The production topology, without Docker (none here): the same services as
docker-compose.yml, run as processes on this machine: gunicorn for the CMS with the
production settings, two build workers (RQ on Redis when REDIS_URL is set, else the
database queue), the preview renderer under gunicorn, and Debian's nginx with the
project's own deploy/nginx-site.conf.template, the file the compose setup uses."""

import base64
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from string import Template

import pytest
import requests
from wagtail.contrib.redirects.models import Redirect

from cms.publishing.models import Build
from cms.solutions.models import Organisation, SolutionPage
from site_builder.serve import SECURITY_HEADERS
from tests.browser import EDITOR, PASSPHRASE, add_block, log_in
from tests.builds import SECRET, database_url, settled, wait_for, webhook_headers

REPO = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(tmp_path: Path, **extra) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "0",  # plain HTTP on loopback in this test
        "SECURE_SSL_REDIRECT": "0",
        "CMS_VAR_DIR": str(tmp_path / "var"),
        **extra,
    }


def _django_starts(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; settings.SECRET_KEY",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


def test_production_settings_refuse_to_start_unsafe(tmp_path):
    good = production_env(tmp_path)
    assert _django_starts(good).returncode == 0, _django_starts(good).stderr
    for change, message in [
        ({"DJANGO_SECRET_KEY": ""}, "Set DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "dev-only-insecure-key-change-me"}, "long random value"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG must be off"),
        ({"ALLOWED_HOSTS": ""}, "Set ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "*"}, "must name the CMS's hosts"),
        ({"ALLOWED_HOSTS": "cms.example.org,*.example.org"}, "must name the CMS's hosts"),
        ({"DJANGO_SECRET_KEY": "ab" * 40}, "long random value"),
        ({"DJANGO_SECRET_KEY": secrets.token_urlsafe(30)}, "long random value"),
    ]:
        ran = _django_starts({**good, **change})
        assert ran.returncode != 0 and message in ran.stderr, (change, ran.stderr[-500:])


def test_the_documented_production_environment_passes_the_deploy_checks(tmp_path):
    documented = dict(
        line.split("=", 1)
        for line in (REPO / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    documented = {name: value for name, value in documented.items() if value}
    env = production_env(tmp_path, **documented)
    del env["SECURE_COOKIES"], env["SECURE_SSL_REDIRECT"]  # behind TLS, as documented
    env["BUILD_WEBHOOK_SECRET"] = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    (tmp_path / "var").mkdir()
    ran = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0 and "no issues" in ran.stdout, ran.stdout + ran.stderr


@pytest.mark.django_db
def test_setup_site_makes_no_default_admin_in_production(settings):
    from io import StringIO

    from django.contrib.auth.models import User
    from django.core.management import call_command

    settings.CREATE_LOCAL_ADMIN = False  # as cms.settings.production sets it (checked below)
    out = StringIO()
    call_command("setup_site", stdout=out)
    assert not User.objects.exists() and "createsuperuser" in out.getvalue()
    code = (
        "import django; django.setup(); from django.conf import settings;"
        " print(settings.CREATE_LOCAL_ADMIN)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=production_env(Path(settings.MEDIA_ROOT)),
        capture_output=True,
        text=True,
    )
    assert ran.stdout.strip() == "False", ran.stderr


def test_compose_file_is_valid_as_a_user_would_run_it(tmp_path):
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip(
            "docker-compose is not installed (apt-get install docker-compose; .ci/run does this)"
        )
    shutil.copy(REPO / "docker-compose.yml", tmp_path)
    shutil.copytree(REPO / "deploy", tmp_path / "deploy")
    env_file = (REPO / ".env.example").read_text()
    (tmp_path / ".env").write_text(
        env_file.replace("POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=x\n")
    )
    ran = subprocess.run(
        [compose, "-f", "docker-compose.yml", "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    for service in ("db:", "redis:", "cms:", "worker:", "preview:", "web:"):
        assert f"\n  {service}" in ran.stdout, service
    assert "nginx-site.conf.template" in ran.stdout and "replicas: 2" in ran.stdout


def nginx_config(tmp_path: Path, port: int, site_root: Path) -> Path:
    """Debian's nginx around the project's site file, filled in as the nginx image does."""
    site = Template((REPO / "deploy" / "nginx-site.conf.template").read_text())
    (tmp_path / "site.conf").write_text(
        site.safe_substitute(NGINX_PORT=str(port), SITE_ROOT=str(site_root))
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = tmp_path / "nginx.conf"
    temp_paths = "".join(
        f"  {kind}_temp_path {tmp_path}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"{user}worker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\nhttp {\n  include /etc/nginx/mime.types;\n"
        "  default_type application/octet-stream;\n  access_log off;\n"
        f"{temp_paths}  include {tmp_path}/site.conf;\n}}\n"
    )
    return main


class Services:
    def __init__(self, tmp_path: Path):
        self.tmp, self.processes = tmp_path, []

    def start(self, name: str, command: list[str], env: dict | None = None) -> None:
        log = (self.tmp / f"{name}.log").open("w")
        self.processes.append(
            (
                name,
                subprocess.Popen(
                    command,
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                ),
            )
        )

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in self.tmp.glob("*.log"))

    def stop(self) -> None:
        for _, process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for _, process in self.processes:
            process.wait(20)


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """The static files, collected once for every topology test, as a deploy does."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=REPO,
        env=production_env(root, STATIC_ROOT=str(root)),
        check=True,
    )
    return root


def start_topology(tmp_path: Path, media_root, static_root: Path, settings, builds: bool):
    """The CMS (gunicorn) and nginx on free ports; with `builds`, also two build workers,
    the preview (gunicorn) and the release follower, as docker-compose.yml runs them."""
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run does this)")
    cms_port, web_port, preview_port = free_port(), free_port(), free_port()
    cms, web = f"http://127.0.0.1:{cms_port}", f"http://127.0.0.1:{web_port}"
    public = tmp_path / "public"
    env = production_env(
        tmp_path,
        DATABASE_URL=database_url(),
        MEDIA_ROOT=str(media_root),
        PUBLIC_SITE_URL=web,
        BUILD_API_URL=f"{cms}/api/v2/",
        SITE_PUBLIC_DIR=str(public),
        PREVIEW_URL=f"http://127.0.0.1:{preview_port}/",
        BUILD_WEBHOOK_SECRET=SECRET,
        STATIC_ROOT=str(static_root),
    )
    settings.SITE_PUBLIC_DIR, settings.PUBLIC_SITE_URL = public, web
    services = Services(tmp_path)
    services.start(
        "cms",
        [sys.executable, "-m", "gunicorn", "cms.wsgi", "-b", f"127.0.0.1:{cms_port}", "-w", "2"],
        env,
    )
    web_config = nginx_config(tmp_path, web_port, public / "current")
    services.start("web", [NGINX, "-c", str(web_config), "-g", "daemon off;"])
    if builds:
        for number in (1, 2):
            services.start(f"worker{number}", [sys.executable, "manage.py", "build_worker"], env)
        preview_env = {**env, "PREVIEW_API_URL": f"{cms}/api/v2/", "PUBLIC_DIR": str(public)}
        services.start(
            "preview",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "site_builder.preview:application()",
                "-b",
                f"127.0.0.1:{preview_port}",
            ],
            preview_env,
        )
        services.start(  # reloads nginx when a release goes live, as in the compose setup
            "follow-releases",
            ["sh", str(REPO / "deploy" / "follow-releases.sh"), "--foreground"],
            {
                **os.environ,
                "SITE_ROOT": str(public / "current"),
                "NGINX_CONF": str(web_config),
                "PATH": f"{Path(NGINX).parent}:{os.environ['PATH']}",
            },
        )
    try:
        wait_for(lambda: _answers(f"{cms}/healthz/"), 60, "the CMS")
        yield {
            "cms": cms,
            "web": web,
            "preview": f"http://127.0.0.1:{preview_port}",
            "public": public,
            "services": services,
        }
    finally:
        services.stop()


@pytest.fixture
def topology(live_server, published_sample, collected_static, settings, tmp_path):
    """Everything production runs: CMS, two build workers, preview and nginx."""
    yield from start_topology(tmp_path, settings.MEDIA_ROOT, collected_static, settings, True)


@pytest.fixture
def cms_behind_nginx(published_sample, collected_static, settings, tmp_path):
    """Only the CMS (gunicorn, production settings) and nginx: for what builds do not touch."""
    yield from start_topology(tmp_path, settings.MEDIA_ROOT, collected_static, settings, False)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code < 500
    except requests.RequestException:  # not listening yet, or still starting
        return False


def test_the_topology_serves_builds_and_caches_like_production(topology):
    cms, web = topology["cms"], topology["web"]
    health = requests.get(f"{cms}/healthz/", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    build = settled(timeout=180)
    assert build.status == Build.Status.LIVE, build.error + topology["services"].logs()

    page = requests.get(
        f"{web}/solutions/cargo-bikes/", headers={"Accept-Encoding": "gzip"}, timeout=5
    )
    assert page.status_code == 200 and "Cargo Bikes" in page.text
    assert page.headers["Cache-Control"] == "no-cache" and page.headers.get("ETag")
    assert page.headers.get("Content-Encoding") == "gzip"
    for name, value in SECURITY_HEADERS.items():
        assert page.headers.get(name) == value, name
    # one address per page: the others answer 301 to it
    for other in ("/solutions/cargo-bikes", "/solutions/cargo-bikes/index.html"):
        assert _location(web + other) == (301, "/solutions/cargo-bikes/"), other
    assert _location(f"{web}/index.html?x=1") == (301, "/?x=1")
    again = requests.get(
        f"{web}/solutions/cargo-bikes/", headers={"If-None-Match": page.headers["ETag"]}, timeout=5
    )
    assert again.status_code == 304
    css = next(
        line.split('href="')[1].split('"')[0]
        for line in page.text.splitlines()
        if "stylesheet" in line
    )
    asset = requests.get(web + css, timeout=5)
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    missing = requests.get(f"{web}/no/such/page/", timeout=5)
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert requests.get(f"{web}/assets/", timeout=5).status_code in (403, 404)  # no listing
    assert requests.get(f"{web}/feed.xml", timeout=5).headers["Cache-Control"] == "no-cache"

    # an edit published in the CMS reaches nginx through the queue and a worker
    draft = SolutionPage.objects.get(slug="cargo-bikes").get_latest_revision_as_object()
    draft.summary = "Published through the production topology."
    draft.save_revision().publish()
    wait_for(
        lambda: (
            "through the production topology"
            in requests.get(f"{web}/solutions/cargo-bikes/", timeout=5).text
        ),
        120,
        "the edit on nginx",
    )
    # the build webhook, through gunicorn on this database: bad input is refused with a
    # clear answer before anything is stored; a build's status is only for signed requests
    hook = f"{cms}/hooks/build/"
    nul = b'{"reason": "a\\u0000b"}'
    answer = requests.post(hook, data=nul, headers=webhook_headers(nul), timeout=5)
    assert answer.status_code == 400 and "control character" in answer.json()["error"]
    body = b'{"reason": "theme updated"}'
    malformed = {**webhook_headers(body), "webhook-signature": "v1,%%%"}
    answer = requests.post(hook, data=body, headers=malformed, timeout=5)
    assert answer.status_code == 401 and "malformed" in answer.json()["error"]
    answer = requests.post(hook, data=body, headers=webhook_headers(body), timeout=5)
    assert answer.status_code == 202, answer.text
    status_url = answer.json()["status_url"]
    assert requests.get(status_url, timeout=5).status_code == 401
    signed = requests.get(status_url, headers=webhook_headers(b""), timeout=5)
    assert signed.status_code == 200 and signed.json()["build"] == answer.json()["build"]

    # the admin's login locks a user out from an address after five wrong passwords
    browser = requests.Session()
    answers = [_log_in(browser, cms, "nobody-here", "wrong") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert "Too many attempts" in answers[-1].text

    workers = {b.worker.rpartition(":")[2] for b in Build.objects.filter(status="live")}
    assert workers  # builds ran in the worker processes, not here
    assert str(os.getpid()) not in workers

    # a redirect made by an editor, and the old address of a renamed organisation, answer
    # 301 through nginx as soon as their release is live, with nothing reloaded by hand
    Redirect.objects.create(
        old_path="/bikes", redirect_page=SolutionPage.objects.get(slug="cargo-bikes")
    )
    organisation = Organisation.objects.filter(mentions__page__live=True).distinct().first()
    old_url = organisation.site_path
    organisation.name += " Renamed"
    organisation.save()
    # (during a reload, nginx's old workers may answer a moment longer with the old maps:
    # the meta-refresh page of the new release, which leads to the same place)
    wanted = {
        f"{web}/bikes": (301, "/solutions/cargo-bikes/"),
        f"{web}/bikes/": (301, "/solutions/cargo-bikes/"),
        web + old_url: (301, organisation.site_path),
    }
    wait_for(
        lambda: all(_location(url) == answer for url, answer in wanted.items()),
        120,
        "the redirects on nginx",
    )
    assert requests.get(web + organisation.site_path, timeout=5).status_code == 200


def _log_in(session: requests.Session, cms: str, username: str, password: str):
    form = session.get(f"{cms}/admin/login/", timeout=5)
    token = form.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    return session.post(
        f"{cms}/admin/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password},
        headers={"Referer": f"{cms}/admin/login/"},
        allow_redirects=False,
        timeout=5,
    )


def _location(url: str) -> tuple[int, str]:
    got = requests.get(url, allow_redirects=False, timeout=5)
    return got.status_code, got.headers.get("Location", "")


@pytest.fixture
def editor(published_sample, settings):
    """An editor account, set up before the browser starts (Playwright's sync API runs an
    event loop in which Django refuses database calls)."""
    from django.contrib.auth.models import User

    from cms.solutions.models import SolutionIndexPage

    # hashed as production checks it (the test settings' fast hasher is not in production)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    User.objects.create_superuser(EDITOR, "editor@example.org", PASSPHRASE)
    return {"solutions_index": SolutionIndexPage.objects.get().pk}


# The admin's error messages, each with the path of the field it is about ("body.0.items").
FIELD_ERRORS = """() => [...document.querySelectorAll('.error-message, .help-critical')].map(e => {
    const path = [];
    const field = '[data-contentpath]';
    for (let f = e.closest(field); f; f = f.parentElement.closest(field))
        path.unshift(f.dataset.contentpath);
    return `${path.join('.') || 'page'}: ${e.innerText.trim()}`;
})"""


def test_editor_to_reader_in_a_real_browser(topology, editor, browser_page, tmp_path):
    """An editor creates, previews and publishes a page in the admin (gunicorn), follows the
    build, reads the page through nginx, and unpublishes it again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    cms, web, page = topology["cms"], topology["web"], browser_page
    page.set_default_timeout(20_000)
    try:
        log_in(page, cms)

        # a new solution: title, summary, cover image, a section holding a list
        page.goto(f"{cms}/admin/pages/add/solutions/solutionpage/{editor['solutions_index']}/")
        page.locator("#id_title").fill("Solar Water Heaters")
        page.locator("#id_summary").fill("Rooftop collectors that heat water with sunlight.")
        page.locator("[data-contentpath='cover_image']").get_by_role(
            "button", name="Choose an image"
        ).click()
        page.locator("a.image-choice[title='Solar panels on a terraced roof']").click()
        page.locator("#id_cover_alt").fill("Solar collectors on a roof")
        add_block(page, "[data-contentpath='body']", "Section")
        page.locator("#body-0-value-key").select_option("overview")
        page.locator("#body-0-value-heading").fill("Overview")
        add_block(page, "[data-contentpath='content']", "List")
        item = page.locator("[data-contentpath='items'] [contenteditable='true']")
        expect(item).to_have_count(1)  # a list starts with one item
        item.click()
        page.keyboard.type("Heat water for free once installed")
        expect(item).to_contain_text("for free")

        page.get_by_role("tab", name="Taxonomy").click()
        page.get_by_role("button", name="Add sector").click()
        page.locator("[data-contentpath='sector']").get_by_role("button").first.click()
        page.locator(".modal").get_by_role("link", name="Buildings").first.click()
        expect(page.locator("[data-contentpath='sector']")).to_contain_text("Buildings")
        page.locator("[data-contentpath='is_primary'] input[type=checkbox]").first.check()
        page.get_by_role("tab", name="Content").click()

        # preview in the real theme, then publish
        page.get_by_role("button", name="Toggle preview").click()
        inner = page.frame_locator("#w-preview-iframe")
        expect(inner.locator("h1")).to_have_text("Solar Water Heaters", timeout=30_000)
        page.get_by_role("button", name="More actions").click()
        page.get_by_role("button", name="Publish").click()
        try:
            expect(page.locator(".messages")).to_contain_text("goes live on the public site")
        except AssertionError:  # say which field the admin refused
            errors = page.evaluate(FIELD_ERRORS)
            raise AssertionError(f"the admin refused the page: {errors}") from None

        # the build finishes in the admin; “View live” leads to nginx
        page.goto(f"{cms}/admin/site-builds/")
        trigger = page.locator("li", has_text="Published “Solar Water Heaters”")
        view_live = trigger.get_by_role("link", name="View live").first  # any build that has it
        expect(view_live).to_be_visible(timeout=120_000)
        with page.context.expect_page() as opened:
            view_live.click()
        reader = opened.value
        reader.wait_for_load_state()
        assert reader.url == f"{web}/solutions/solar-water-heaters/"
        expect(reader.locator("h1")).to_have_text("Solar Water Heaters")
        expect(reader.locator("#overview li")).to_have_text("Heat water for free once installed")
        assert (
            reader.locator("figure.cover img").evaluate("img => img.complete && img.naturalWidth")
            > 0
        )
        reader.goto(f"{web}/sectors/buildings/")
        expect(reader.get_by_role("link", name="Solar Water Heaters")).to_be_visible()
        # the search index follows a few seconds after the page (a new site has none until
        # its first is made): search again until it has it
        for attempt in range(30):
            reader.goto(f"{web}/search/")
            found = reader.locator(".pagefind-ui__result-link").filter(
                has_text="Solar Water Heaters"
            )
            try:
                reader.locator("#search input").fill("collectors", timeout=2_000)
                expect(found).to_be_visible(timeout=2_000)
                break
            except (AssertionError, PlaywrightTimeout):
                if attempt == 29:
                    raise
        wait_for(  # nginx may answer from the release before for a moment after a reload
            lambda: "Solar Water Heaters" in requests.get(f"{web}/feed.xml", timeout=5).text,
            10,
            "the feed through nginx",
        )

        # unpublish: gone from the site. In the reader's tab (the same browser session): the
        # builds page left open reloads itself every 3 s while a build waits or runs, which
        # would cut short a navigation started there.
        page = reader
        page.goto(f"{cms}/admin/pages/{editor['solutions_index']}/")
        page.get_by_role("link", name="Solar Water Heaters").first.click()
        page_id = page.url.split("/admin/pages/")[1].split("/")[0]
        page.goto(f"{cms}/admin/pages/{page_id}/unpublish/")
        page.get_by_role("button", name="Yes, unpublish it").click()
        page.goto(f"{cms}/admin/site-builds/")
        gone = page.locator("tr[data-status='live']", has_text="Unpublished “Solar Water Heaters”")
        expect(gone).to_be_visible(timeout=120_000)
        assert requests.get(f"{web}/solutions/solar-water-heaters/", timeout=5).status_code == 404
        assert "Solar Water Heaters" not in requests.get(f"{web}/feed.xml", timeout=5).text
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print(topology["services"].logs())
        raise


def test_private_files_are_refused_at_their_media_urls_and_served_to_who_may_see_them(
    cms_behind_nginx, editor
):
    """A document and an image in a collection restricted to signed-in people: refused at
    /media/ by the CMS (production settings, gunicorn) and by nginx; the document through
    Wagtail's view, and the image's original, to a signed-in editor only."""
    from django.core.files.base import ContentFile
    from django.core.files.images import ImageFile
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Collection, CollectionViewRestriction

    cms, web = cms_behind_nginx["cms"], cms_behind_nginx["web"]
    members = Collection.get_first_root_node().add_child(name="Members only")
    CollectionViewRestriction.objects.create(
        collection=members, restriction_type=CollectionViewRestriction.LOGIN
    )
    document = get_document_model().objects.create(
        title="Board minutes",
        collection=members,
        file=ContentFile(b"secret minutes", "minutes.txt"),
    )
    photo = REPO / "sample_content" / "img" / "insulation-retrofit.jpg"
    image = get_image_model()(title="Private photo", collection=members)
    image.file = ImageFile(photo.open("rb"), name="private-photo.jpg")
    image.save()
    public_image = get_image_model().objects.exclude(pk=image.pk).first()

    anonymous = requests.Session()
    for url in (f"{cms}/media/{document.file.name}", f"{cms}/media/{image.file.name}"):
        refused = anonymous.get(url, timeout=5)
        assert refused.status_code == 404 and b"secret" not in refused.content, url
    for url in (f"{web}/media/{document.file.name}", f"{web}/media/{image.file.name}"):
        assert anonymous.get(url, timeout=5).status_code == 404, url
    assert document.url.startswith("/documents/")  # Wagtail's view, never /media/
    asked = anonymous.get(cms + document.url, timeout=5, allow_redirects=False)
    assert asked.status_code == 302 and "/login" in asked.headers["Location"]
    assert anonymous.get(f"{cms}/media/{public_image.file.name}", timeout=5).status_code == 200

    signed_in = requests.Session()
    login = signed_in.get(f"{cms}/admin/login/", timeout=5)
    token = login.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    signed_in.post(
        f"{cms}/admin/login/",
        data={"username": EDITOR, "password": PASSPHRASE, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{cms}/admin/login/"},
        timeout=5,
    )
    assert signed_in.get(cms + document.url, timeout=5).content == b"secret minutes"
    original = signed_in.get(f"{cms}/media/{image.file.name}", timeout=5)
    assert original.status_code == 200 and original.content == photo.read_bytes()
