"""Shared fixtures. Content is imported once per test session and put back from a copy
(tests/database.py) for each test that needs it; the sample's snapshot and built site are
made once too, and each test gets its own copy of them."""

import os
import shutil
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.builds import SECRET, Worker, database_url
from tests.database import COPIES, make_template_in_the_background, prepare_test_database

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CONTENT = REPO / "sample_content"
CORPUS_DOCS = REPO.parent / "shared" / "corpus" / "climate-tech-handbook" / "docs"
SEED = SAMPLE_CONTENT / "solution-high-efficiency-heat-pumps.md"
SITE_URL = "https://solutions.example.org"


def pytest_xdist_auto_num_workers(config) -> int:
    """How many test processes `-n auto` starts on this machine's two cores: four on SQLite,
    where many tests wait (for a build worker, a browser, a quiet period) while others run;
    three on PostgreSQL, whose server needs a share of the cores."""
    return 3 if os.environ.get("DATABASE_URL", "").startswith("postgres") else 4


_TEMPLATE_MAKER = pytest.StashKey()


def pytest_configure(config) -> None:
    """In a parallel run, the migrated template starts being made while the test processes
    start, instead of after."""
    if config.option.numprocesses and not hasattr(config, "workerinput"):
        config.stash[_TEMPLATE_MAKER] = make_template_in_the_background()


def pytest_unconfigure(config) -> None:
    if maker := config.stash.get(_TEMPLATE_MAKER, None):
        maker.wait()


# The order in which the test processes take files (--dist loadfile --no-loadscope-reorder):
# each process takes two files to begin with (with three: 1st and 4th, 2nd and 5th, 3rd and
# 6th), then the next one whenever it is nearly done. While the first process imports the
# sample that most files share, the second imports the corpus and the third runs the import
# tests (none of them needs the sample) instead of waiting; the longest files start early,
# the quick ones fill the gaps.
FILE_ORDER = [  # seconds each took in one test process of three (PostgreSQL)
    "test_production.py",  # 71, makes the sample
    "test_corpus.py",  # 66, no sample
    "test_import_seed.py",  # 6, no sample
    "test_site_equals_published.py",  # 75
    "test_browser_editor.py",  # 45 (SQLite, four processes)
    "test_import_errors.py",  # 4, no sample
    "test_browser_reader.py",  # 36 (SQLite, four processes)
    "test_export.py",  # 53
    "test_publishing.py",  # 52
    "test_site.py",  # 45
    "test_incremental.py",  # 30
    "test_admin.py",  # 16
    "test_hostile_api.py",  # 14
]


def pytest_collection_modifyitems(items) -> None:
    def slowness(item) -> int:
        name = item.path.name
        return FILE_ORDER.index(name) if name in FILE_ORDER else len(FILE_ORDER)

    items.sort(key=slowness)  # stable: each file keeps its own order


def run_import(*paths, publish=True):
    """Run the real management command; return (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    args = [str(p) for p in paths] + (["--publish"] if publish else [])
    try:
        call_command("import_markdown", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        err.write(str(error))
        code = error.returncode
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def django_db_keepdb(django_db_modify_db_settings, django_db_blocker) -> bool:
    """This process's test database, copied from one migrated once for all (see
    tests/database.py): Django then keeps it as it is instead of migrating it again."""
    with django_db_blocker.unblock():
        prepare_test_database()
    return True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, and a copy of it as the migrations left it. A transactional test
    ends by putting that copy back, instead of Django's flush (which leaves the tables empty
    until the next test reloads what migrations made): faster, and the next test, of
    whatever kind and from whichever file, finds the database as migrations left it."""
    from django.test import TransactionTestCase

    with django_db_blocker.unblock():
        COPIES.save("migrated")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", _put_back_the_migrated_database)
        yield


def _put_back_the_migrated_database(test_case) -> None:
    COPIES.restore("migrated")


def _imported_once(name: str, django_db_blocker, work) -> None:
    """Run `work` once on the migrated database and keep the result as copy `name`; the
    database is left as it was found (a test session runs tests in between)."""
    with django_db_blocker.unblock():
        COPIES.save("found")
        COPIES.restore("migrated")
        work()
        COPIES.save(name)
        COPIES.restore("found")


@pytest.fixture(scope="session")
def sample(django_db_setup, django_db_blocker, live_server, tmp_path_factory, worker_id):
    """The sample content imported and published, its snapshot and its built site: made by
    the first test process that needs them, and loaded from that one by the others."""
    from django.conf import settings

    from content_export.export import export
    from content_export.files import file_lock
    from site_builder.build import build

    run_folder = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # each test process has a folder in the run's folder
        run_folder = run_folder.parent
    made = SimpleNamespace(snapshot=run_folder / "sample" / "snapshot")
    made.public = made.snapshot.with_name("public")
    database, media = made.snapshot.with_name("database"), made.snapshot.with_name("media")

    def work():
        code, _, err = run_import(SAMPLE_CONTENT)
        assert code == 0, err
        export(f"{live_server.url}/api/v2/", made.snapshot)  # makes the image renditions
        build(made.snapshot, made.public, site_url=SITE_URL)

    with file_lock(run_folder / "sample.lock"), django_db_blocker.unblock():
        if database.is_dir():
            COPIES.load("sample", database)
            shutil.copytree(media, settings.MEDIA_ROOT, dirs_exist_ok=True)
        else:
            _imported_once("sample", django_db_blocker, work)
            shutil.copytree(settings.MEDIA_ROOT, media, dirs_exist_ok=True)
            shutil.rmtree(database.with_suffix(".tmp"), ignore_errors=True)
            COPIES.export("sample", database.with_suffix(".tmp"))
            database.with_suffix(".tmp").rename(database)  # whole, or not there
    return made


@pytest.fixture(scope="session")
def corpus(django_db_setup, django_db_blocker):
    """The real Climate Tech Handbook imported once: the import's (code, stdout, stderr)."""
    if not CORPUS_DOCS.is_dir():
        pytest.skip(f"the real corpus is not beside this clone ({CORPUS_DOCS} is missing)")
    result = []
    _imported_once("corpus", django_db_blocker, lambda: result.extend(run_import(CORPUS_DOCS)))
    return tuple(result)


@pytest.fixture
def imported_corpus(transactional_db, corpus):
    """The corpus imported and published, for this test to change as it likes."""
    COPIES.restore("corpus")
    return corpus


def write_site_settings(folder: Path, plugins: list[str], more: str = "") -> Path:
    """A Pelican settings file, as a site owner would write one, with `plugins`."""
    path = folder / "siteconf.py"
    path.write_text(
        f'SITENAME = "Heat Atlas"\nSITEURL = "{SITE_URL}"\n'
        f'THEME = "{REPO / "themes" / "default"}"\n'
        f'PLUGINS = {plugins!r}\nNOTES_FILE = "{folder / "notes.txt"}"\n{more}'
    )
    return path


@pytest.fixture
def plugin_settings(tmp_path) -> Path:
    """Settings that add the tests' plugin (noting_plugin.py: it notes the signals it
    receives in tmp_path/notes.txt) to the site's sitemap and reading-time plugins."""
    plugins = ["pelican.plugins.sitemap", "pelican.plugins.readtime", "tests.noting_plugin"]
    return write_site_settings(tmp_path, plugins)


@pytest.fixture
def minify_settings(tmp_path) -> Path:
    """Settings with pelican-minify, which rewrites every HTML, CSS and JS file written, and
    two solutions a page on the index, at Pelican's own page addresses (index2.html)."""
    plugins = ["pelican.plugins.sitemap", "pelican.plugins.minify"]
    return write_site_settings(tmp_path, plugins, "DEFAULT_PAGINATION = 2\n")


@pytest.fixture
def workdir(tmp_path) -> Path:
    """A folder of handbook files for one test, with the sample images beside them."""
    shutil.copytree(SAMPLE_CONTENT / "img", tmp_path / "img")
    return tmp_path


@pytest.fixture
def published_sample(transactional_db, sample):
    """The sample content, imported and published (committed: other processes see it)."""
    COPIES.restore("sample")


@pytest.fixture
def api_url(live_server, published_sample) -> str:
    """The headless API of a real CMS served over HTTP on a free loopback port."""
    return f"{live_server.url}/api/v2/"


@pytest.fixture
def snapshot(api_url, sample, tmp_path) -> Path:
    """A snapshot of the sample content made by the real exporter from the real CMS."""
    out = tmp_path / "snapshot"
    shutil.copytree(sample.snapshot, out)
    return out


@pytest.fixture
def public(snapshot, sample, tmp_path) -> Path:
    """The sample site built and made live in a fresh public/ folder."""
    out = tmp_path / "public"
    shutil.copytree(sample.public, out, symlinks=True)
    return out


@pytest.fixture
def site(live_server, published_sample, sample, settings, tmp_path):
    """The sample content published, with its site (built once per session) and snapshot
    under tmp_path/public, where a build worker finds them: its first build only checks
    that nothing changed since."""
    public = tmp_path / "public"
    shutil.copytree(sample.public, public, symlinks=True)
    shutil.copytree(sample.snapshot, public / "snapshot")
    settings.SITE_PUBLIC_DIR, settings.PUBLIC_SITE_URL = public, SITE_URL
    settings.BUILD_API_URL = f"{live_server.url}/api/v2/"
    settings.BUILD_WEBHOOK_SECRET = SECRET
    return public


@pytest.fixture
def worker_env(site, settings, tmp_path) -> dict:
    if settings.REDIS_URL:
        import django_rq

        django_rq.get_queue("builds").empty()  # jobs other tests queued for their databases
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "DATABASE_URL": database_url(),
        "SITE_PUBLIC_DIR": str(site),
        "BUILD_API_URL": settings.BUILD_API_URL,
        "PUBLIC_SITE_URL": SITE_URL,
        "PYTHONUNBUFFERED": "1",
        # A worker forks (its upkeep helper, its render processes) only while it runs no
        # other thread: Python warns if it does, and `worker` fails the test on that.
        "PYTHONWARNINGS": "always:This process:DeprecationWarning",
        "BUILD_PARALLEL_FROM": "1",
        "BUILD_VERIFY_DELAY_SECONDS": "0.5",  # the sample's full builds fork their render processes
    }


@pytest.fixture
def worker(worker_env, tmp_path):
    running = Worker(worker_env, tmp_path / "worker.log")
    yield running
    running.kill()
    assert "is multi-threaded, use of fork()" not in running.output(), running.output()[-2000:]


@pytest.fixture
def browser_page():
    """A page in Debian's Chromium, driven by Playwright."""
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        yield page
        browser.close()
