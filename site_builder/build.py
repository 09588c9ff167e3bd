"""Build a release from a snapshot, check it, and make it live.

    snapshot ─ Pelican + theme ─> releases/.building-<id>/ ─ images, search index, checks
             ─> releases/<id>/ ─ atomic switch of public/current ─> prune old releases

A build or a check that fails leaves public/current as it was and says why.
"""

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

from . import deploy
from .checks import check_release
from .content import SnapshotError, load

REPO = Path(__file__).resolve().parent.parent
THEMES = REPO / "themes"
DEFAULT_SITE_URL = os.environ.get("PUBLIC_SITE_URL", "http://127.0.0.1:8080")
SITE_SETTINGS = {
    "SITENAME": "Climate Solutions Catalogue",
    "SITE_DESCRIPTION": "Climate solutions: what works, who is working on it, and what is left to do.",  # fmt: skip
}


class BuildError(Exception):
    pass


@dataclass
class BuildResult:
    build_id: str
    release: Path
    pages: int
    seconds: float


def pelican_settings(snapshot: Path, output: Path, theme: str, site_url: str) -> dict:
    theme_path = THEMES / theme
    if not (theme_path / "templates").is_dir():
        raise BuildError(f"no theme “{theme}” in {THEMES}")
    empty = Path(tempfile.mkdtemp(prefix="pelican-content-"))
    return read_settings(
        override={
            "PATH": str(empty),
            "OUTPUT_PATH": str(output),
            "THEME": str(theme_path),
            "PLUGINS": ["site_builder.pelican_plugin"],
            "SNAPSHOT_PATH": str(snapshot),
            **SITE_SETTINGS,
            "SITEURL": site_url.rstrip("/"),
            "TIMEZONE": "UTC",
            "DEFAULT_LANG": "en",
            "DIRECT_TEMPLATES": [],
            "PAGINATED_TEMPLATES": {},
            "ARTICLE_PATHS": [],
            "PAGE_PATHS": [],
            "STATIC_PATHS": [],
            "THEME_STATIC_PATHS": [],
            "FEED_ALL_ATOM": None,
            "CATEGORY_FEED_ATOM": None,
            "TRANSLATION_FEED_ATOM": None,
            "AUTHOR_FEED_ATOM": None,
            "AUTHOR_FEED_RSS": None,
            "CACHE_CONTENT": False,
            "LOAD_CONTENT_CACHE": False,
            "DELETE_OUTPUT_DIRECTORY": False,
        }
    )


def build(
    snapshot: Path, public: Path, *, theme: str = "default", site_url: str = DEFAULT_SITE_URL,
    search: bool = True,
) -> BuildResult:  # fmt: skip
    started = time.perf_counter()
    snapshot, public = Path(snapshot), Path(public)
    try:
        content = load(snapshot)
    except SnapshotError as error:
        raise BuildError(str(error)) from None
    build_id = deploy.new_build_id()
    releases = deploy.releases_dir(public)
    releases.mkdir(parents=True, exist_ok=True)
    staging = releases / f".building-{build_id}"
    try:
        _render(snapshot, staging, theme, site_url)
        _copy_images(snapshot, staging, content.image_files())
        if search:
            _index_for_search(staging)
        problems = check_release(
            staging, [page["url"] for page in content.pages], skip=() if search else ("/pagefind/",)
        )
        if problems:
            shown = "\n  ".join(problems[:20])
            more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise BuildError(f"the new release failed its checks:\n  {shown}{more}")
        release = releases / build_id
        staging.rename(release)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    deploy.activate(public, build_id)
    deploy.prune(public)
    return BuildResult(build_id, release, len(content.pages), time.perf_counter() - started)


def _render(snapshot: Path, output: Path, theme: str, site_url: str) -> None:
    settings = pelican_settings(snapshot, output, theme, site_url)
    logging.getLogger("pelican").setLevel(logging.WARNING)
    try:
        Pelican(settings).run()
    except Exception as error:
        raise BuildError(f"Pelican could not render the site: {error!r}") from error


def _copy_images(snapshot: Path, output: Path, files: set[str]) -> None:
    media = output / "media"
    media.mkdir(parents=True, exist_ok=True)
    for name in files:
        source = snapshot / name
        target = media / Path(name).name
        try:
            os.link(source, target)  # same file system: no copy needed
        except OSError:
            shutil.copy2(source, target)


def _index_for_search(output: Path) -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(output), "--output-subdir", "pagefind"],
        capture_output=True, text=True,
    )  # fmt: skip
    if ran.returncode != 0:
        raise BuildError(f"Pagefind could not index the site: {ran.stderr.strip()[-500:]}")
