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
from dataclasses import dataclass, field
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

from . import deploy
from .checks import check_release
from .content import SnapshotError, load
from .render import SiteRenderer, environment, extra_files

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
    mode: str = "full"  # "full" (Pelican renders everything) or "incremental"
    rendered: int = 0  # HTML files rendered in this build; the others were reused
    changed_urls: list[str] = field(default_factory=list)  # new, changed or removed
    files: int = 0


def pelican_settings(
    snapshot: Path, output: Path, theme: str, site_url: str, keys: dict | None = None
) -> dict:
    theme_path = theme_dir(theme)
    empty = Path(tempfile.mkdtemp(prefix="pelican-content-"))
    return read_settings(
        override={
            "PATH": str(empty),
            "OUTPUT_PATH": str(output),
            "THEME": str(theme_path),
            "PLUGINS": ["site_builder.pelican_plugin"],
            "SNAPSHOT_PATH": str(snapshot),
            "BUILD_KEYS": keys if keys is not None else {},
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


def theme_dir(theme: str) -> Path:
    path = THEMES / theme
    if not (path / "templates").is_dir():
        raise BuildError(f"no theme “{theme}” in {THEMES}")
    return path


def build(
    snapshot: Path, public: Path, *, theme: str = "default", site_url: str = DEFAULT_SITE_URL,
    search: bool = True, full: bool = False,
) -> BuildResult:  # fmt: skip
    """Build a release from `snapshot` and make it live.

    Incremental unless `full`: files whose inputs did not change since the live release are
    linked from it, and only the rest is rendered. A change to the theme or the site settings
    changes every file's key, and then Pelican renders the whole site.
    """
    with deploy.locked(public):
        return _build(Path(snapshot), Path(public), theme, site_url, search, full)


def _build(snapshot: Path, public: Path, theme: str, site_url: str, search: bool, full: bool) -> BuildResult:  # fmt: skip
    started = time.perf_counter()
    try:
        content = load(snapshot)
    except SnapshotError as error:
        raise BuildError(str(error)) from None
    build_id = deploy.new_build_id()
    releases = deploy.releases_dir(public)
    releases.mkdir(parents=True, exist_ok=True)
    deploy.remove_unfinished(public)  # left by a build that was killed
    staging = releases / f".building-{build_id}"
    settings = {**SITE_SETTINGS, "SITEURL": site_url.rstrip("/")}
    renderer = SiteRenderer(content, settings, theme_dir(theme))
    site_key = renderer.site_key
    previous = deploy.current(public)
    previous_keys = deploy.read_keys(public, previous) if previous else {}
    incremental = not full and previous_keys.get("site") == site_key
    try:
        if incremental:
            keys, rendered = _render_changed(renderer, staging, releases / previous, previous_keys)
        else:
            keys = _render(snapshot, staging, theme, site_url)
            rendered = len(keys)
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
        changed = _changed_urls(previous_keys.get("files", {}), keys, staging, releases / previous if previous else None)  # fmt: skip
        deploy.write_keys(public, build_id, {"site": site_key, "files": keys})
        release = releases / build_id
        staging.rename(release)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    deploy.activate(public, build_id)
    deploy.prune(public)
    return BuildResult(
        build_id, release, len(content.pages), time.perf_counter() - started,
        "incremental" if incremental else "full", rendered, changed, len(keys),
    )  # fmt: skip


def _render(snapshot: Path, output: Path, theme: str, site_url: str) -> dict:
    """Render the whole site with Pelican; return the key of each file written."""
    keys: dict = {}
    settings = pelican_settings(snapshot, output, theme, site_url, keys)
    logging.getLogger("pelican").setLevel(logging.WARNING)
    try:
        Pelican(settings).run()
    except Exception as error:
        raise BuildError(f"Pelican could not render the site: {error!r}") from error
    return keys


def _render_changed(
    renderer: SiteRenderer, output: Path, previous: Path, previous_keys: dict
) -> tuple[dict, int]:
    """Render the files whose key changed; link the others from the previous release.

    Files are written into a new folder, never into the previous release: the live site
    is not touched until the switch.
    """
    old = previous_keys["files"]
    env = environment(renderer.theme)
    site_key, keys, sitemap_urls, rendered = renderer.site_key, {}, [], 0
    for item in renderer.outputs():
        key = item.key(site_key)
        target = output / item.save_as
        target.parent.mkdir(parents=True, exist_ok=True)
        if old.get(item.save_as, [None, None])[1] == key:
            os.link(previous / item.save_as, target)
        else:
            target.write_text(renderer.render(env, item))
            rendered += 1
        keys[item.save_as] = [item.url, key]
        if item.in_sitemap:
            sitemap_urls.append(item.url)
    for name, data in extra_files(renderer, sitemap_urls).items():
        (output / name).parent.mkdir(parents=True, exist_ok=True)
        (output / name).write_bytes(data)
    return keys, rendered


def _changed_urls(old: dict, new: dict, release: Path, previous: Path | None) -> list[str]:
    """URLs whose file is new, different or gone: what a CDN must purge."""
    changed = {url for name, (url, key) in new.items() if old.get(name, [None, None])[1] != key}
    changed |= {url for name, (url, _) in old.items() if name not in new}
    for name in ("feed.xml", "sitemap.xml", "robots.txt"):
        before = previous / name if previous else None
        if (
            before is None
            or not before.is_file()
            or before.read_bytes() != (release / name).read_bytes()
        ):
            changed.add("/" + name)
    return sorted(changed)


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
