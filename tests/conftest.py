import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CONTENT = REPO / "sample_content"
CORPUS_DOCS = REPO.parent / "shared" / "corpus" / "climate-tech-handbook" / "docs"
SEED = SAMPLE_CONTENT / "solution-high-efficiency-heat-pumps.md"


@pytest.fixture
def corpus_docs() -> Path:
    if not CORPUS_DOCS.is_dir():
        pytest.skip(f"the real corpus is not beside this clone ({CORPUS_DOCS} is missing)")
    return CORPUS_DOCS


@pytest.fixture
def workdir(tmp_path) -> Path:
    """A folder of handbook files for one test, with the sample images beside them."""
    shutil.copytree(SAMPLE_CONTENT / "img", tmp_path / "img")
    return tmp_path


def run_import(*paths, publish=True):
    """Run the real management command; return (exit code, stdout, stderr)."""
    from io import StringIO

    from django.core.management.base import CommandError

    out, err = StringIO(), StringIO()
    args = [str(p) for p in paths] + (["--publish"] if publish else [])
    try:
        call_command("import_markdown", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        err.write(str(error))
        code = error.returncode
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def published_sample(transactional_db, django_db_serialized_rollback):
    """The sample content, imported and published."""
    code, _, err = run_import(SAMPLE_CONTENT)
    assert code == 0, err


@pytest.fixture
def api_url(live_server, published_sample) -> str:
    """The headless API of a real CMS served over HTTP on a free loopback port."""
    return f"{live_server.url}/api/v2/"


@pytest.fixture
def snapshot(api_url, tmp_path) -> Path:
    """A snapshot of the sample content made by the real exporter from the real CMS."""
    from content_export.export import export

    out = tmp_path / "snapshot"
    export(api_url, out)
    return out


@pytest.fixture
def public(snapshot, tmp_path) -> Path:
    """The sample site built and made live in a fresh public/ folder."""
    from site_builder.build import build

    out = tmp_path / "public"
    build(snapshot, out, site_url="https://solutions.example.org")
    return out


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
