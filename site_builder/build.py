"""Build a release from a snapshot, check it, and make it live.

    snapshot ─ Pelican + theme, or only what changed ─> releases/.building-<id>/ ─ checks
             ─> releases/<id>/ ─ atomic switch of public/current
             ─> then: search index (search.py), old releases pruned, next copy staged

A build or a check that fails leaves public/current as it was and says why.
"""

import gc
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment
from pelican import Pelican
from pelican.settings import read_settings

from . import deploy
from .content import SiteContent, SnapshotError, load
from .release import Written, default_jobs, write_release
from .render import JINJA_ENVIRONMENT, SiteRenderer, environment
from .search import update_search_index

REPO = Path(__file__).resolve().parent.parent
THEMES = REPO / "themes"
DEFAULT_SITE_URL = os.environ.get("PUBLIC_SITE_URL", "http://127.0.0.1:8080")
SITE_SETTINGS = {
    "SITENAME": "Climate Solutions Catalogue",
    "SITE_DESCRIPTION": (
        "Climate solutions: what works, who is working on it, and what is left to do."
    ),
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


def pelican_settings(snapshot: Path, output: Path, theme: str, site_url: str) -> dict:
    theme_path = theme_dir(theme)
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
            "JINJA_ENVIRONMENT": JINJA_ENVIRONMENT,
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
    snapshot: Path,
    public: Path,
    *,
    theme: str = "default",
    site_url: str = DEFAULT_SITE_URL,
    search: bool = True,
    prune: bool = True,
    full: bool = False,
    jobs: int | None = None,
) -> BuildResult:
    """Build a release from `snapshot` and make it live.

    Incremental unless `full`: only files whose inputs changed since the live release are
    rendered. A change to the theme or the site settings changes every file's key, and then
    Pelican renders the whole site, in `jobs` processes (default: one per core).

    `search` updates the search index and `prune` removes old releases before returning.
    The build worker passes False for both and does them in the background (upkeep.py), so
    that a page is live as soon as its HTML is.
    """
    with deploy.locked(public), _collector_paused():
        result = _build(Path(snapshot), Path(public), theme, site_url, full, jobs or default_jobs())
    if prune:
        deploy.prune(public)
    if search:
        update_search_index(public)
    return result


def _build(
    snapshot: Path, public: Path, theme: str, site_url: str, full: bool, jobs: int
) -> BuildResult:
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
    previous = deploy.current(public)
    previous_keys = deploy.read_keys(public, previous) if previous else {}
    incremental = not full and previous_keys.get("site") == renderer.site_key
    try:
        if incremental:
            old = previous_keys["files"]
            if deploy.take_staged(public, previous, staging):  # a copy of the live release
                written = write_release(
                    renderer, _environment(renderer), staging, old_keys=old, strict=False
                )
            else:
                staging.mkdir()
                written = write_release(
                    renderer,
                    _environment(renderer),
                    staging,
                    old_keys=old,
                    reuse=releases / previous,
                    strict=False,
                )
        else:
            written = _render_with_pelican(content, renderer, staging, theme, site_url, jobs)
        if written.problems:
            shown = "\n  ".join(written.problems[:20])
            more = (
                f"\n  … and {len(written.problems) - 20} more" if len(written.problems) > 20 else ""
            )
            raise BuildError(f"the new release failed its checks:\n  {shown}{more}")
        keys = written.keys
        changed = _changed_urls(
            previous_keys.get("files", {}), keys, staging, releases / previous if previous else None
        )
        deploy.write_keys(public, build_id, {"site": renderer.site_key, "files": keys})
        release = releases / build_id
        staging.rename(release)
    except BaseException:
        deploy.remove_tree(staging)
        raise
    deploy.activate(public, build_id)
    return BuildResult(
        build_id,
        release,
        len(content.pages),
        time.perf_counter() - started,
        "incremental" if incremental else "full",
        written.rendered,
        changed,
        len(keys),
    )


def _render_with_pelican(
    content: SiteContent, renderer: SiteRenderer, output: Path, theme: str, site_url: str, jobs: int
) -> Written:
    """Render the whole site with Pelican and our plugin (pelican_plugin.py)."""
    settings = pelican_settings(content.root, output, theme, site_url)
    settings["SNAPSHOT_CONTENT"], settings["BUILD_JOBS"] = content, jobs  # loaded once, above
    logging.getLogger("pelican").setLevel(logging.WARNING)
    try:
        Pelican(settings).run()
    except Exception as error:
        raise BuildError(f"Pelican could not render the site: {error!r}") from error
    return settings["BUILD_WRITTEN"]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector walks every object it tracks, and a snapshot of 10,000 pages
    is millions of them: left on, it takes a third of a one-page build. Builds make little
    cyclic garbage; what they make is collected after."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# The Jinja environment of the last theme built, kept by a worker between builds: its
# compiled templates are what a one-page build would otherwise spend most time on.
_ENVIRONMENTS: dict[str, Environment] = {}


def _environment(renderer: SiteRenderer) -> Environment:
    if renderer.site_key not in _ENVIRONMENTS:
        _ENVIRONMENTS.clear()
        _ENVIRONMENTS[renderer.site_key] = environment(renderer.theme)
    return _ENVIRONMENTS[renderer.site_key]


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
