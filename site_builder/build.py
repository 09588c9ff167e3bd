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
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment
from pelican import Pelican
from pelican.settings import read_settings

from . import deploy
from .content import SiteContent, SnapshotError, load
from .release import ForkGuard, Written, default_jobs, write_release
from .render import JINJA_ENVIRONMENT, SiteRenderer, environment
from .search import update_search_index
from .verify import release_record

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
class WarmState:
    """What a builder that builds again keeps between builds: the page documents it parsed,
    the cards it rendered, the keys of the release it wrote last, and the compiled templates
    of its last theme and settings. A build worker keeps one for its whole life, so that a
    one-page publish parses one page and renders with compiled templates. It changes how
    fast a build is, never what it writes."""

    documents: dict[str, dict] = field(default_factory=dict)
    cards: dict[tuple, object] = field(default_factory=dict)
    keys: dict[str, dict] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)

    def environment(self, renderer: SiteRenderer) -> Environment:
        if renderer.site_key not in self.environments:
            self.environments.clear()
            self.environments[renderer.site_key] = environment(renderer.theme)
        return self.environments[renderer.site_key]


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
    snapshot: Path, output: Path, theme: str, site_url: str, content_path: Path
) -> dict:
    """Pelican's settings for a build; `content_path` is an empty folder (the snapshot is
    read by our generator, not by Pelican's readers)."""
    theme_path = theme_dir(theme)
    return read_settings(
        override={
            "PATH": str(content_path),
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
    state: WarmState | None = None,
    fork_guard: ForkGuard = nullcontext,
) -> BuildResult:
    """Build a release from `snapshot` and make it live.

    Incremental unless `full`: only files whose inputs changed since the live release are
    rendered. A change to the theme or the site settings changes every file's key, and then
    Pelican renders the whole site, in `jobs` processes (default: one per core).

    `search` updates the search index and `prune` removes old releases before returning.
    The build worker passes False for both and does them in the background (upkeep.py), so
    that a page is live as soon as its HTML is. It also passes its WarmState, and a
    `fork_guard` that stops its own threads while render processes are forked.
    """
    options = _Options(
        theme, site_url, full, jobs or default_jobs(), state or WarmState(), fork_guard
    )
    with deploy.locked(public), _collector_paused():
        result = _build(Path(snapshot), Path(public), options)
    if prune:
        deploy.prune(public)
    if search:
        update_search_index(public)
    return result


@dataclass(frozen=True)
class _Options:
    theme: str
    site_url: str
    full: bool
    jobs: int
    state: WarmState
    fork_guard: ForkGuard


def _build(snapshot: Path, public: Path, options: _Options) -> BuildResult:
    started = time.perf_counter()
    state, theme, site_url = options.state, options.theme, options.site_url
    try:
        content = load(snapshot, documents=state.documents)
    except SnapshotError as error:
        raise BuildError(str(error)) from None
    build_id = deploy.new_build_id()
    releases = deploy.releases_dir(public)
    releases.mkdir(parents=True, exist_ok=True)
    deploy.remove_unfinished(public)  # left by a build that was killed
    staging = releases / f".building-{build_id}"
    settings = {**SITE_SETTINGS, "SITEURL": site_url.rstrip("/")}
    renderer = SiteRenderer(content, settings, theme_dir(theme), cards=state.cards)
    previous = deploy.current(public)
    previous_keys = deploy.read_keys(public, previous, state.keys) if previous else {}
    incremental = not options.full and previous_keys.get("site") == renderer.site_key
    try:
        if incremental:
            staged = deploy.take_staged(public, previous, staging)  # a copy of the live one
            if not staged:
                staging.mkdir()
            written = write_release(
                renderer,
                state.environment(renderer),
                staging,
                old_keys=previous_keys["files"],
                old_hashes=previous_keys.get("hashes", {}),
                reuse=None if staged else releases / previous,
                strict=False,
            )
        else:
            written = _render_with_pelican(content, staging, options)
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
        deploy.write_keys(
            public,
            build_id,
            {"site": renderer.site_key, "files": keys, "hashes": written.hashes},
            state.keys,
        )
        release = releases / build_id
        staging.rename(release)
    except BaseException:
        deploy.remove_tree(staging)
        raise
    deploy.activate(public, build_id)
    deploy.write_record(public, build_id, release_record(content))  # for the drift check
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


def _render_with_pelican(content: SiteContent, output: Path, options: _Options) -> Written:
    """Render the whole site with Pelican and our plugin (pelican_plugin.py)."""
    with tempfile.TemporaryDirectory(prefix="pelican-content-") as empty:
        settings = pelican_settings(
            content.root, output, options.theme, options.site_url, Path(empty)
        )
        settings["SNAPSHOT_CONTENT"] = content  # loaded once, above
        settings["BUILD_JOBS"], settings["BUILD_FORK_GUARD"] = options.jobs, options.fork_guard
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
