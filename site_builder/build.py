"""Build a release from a snapshot, check it, and make it live.

    snapshot ─ Pelican + theme, or only what changed ─> releases/.building-<id>/ ─ checks
             ─> releases/<id>/ ─ atomic switch of public/current
             ─> then: search index (search.py), old releases pruned, next copy staged

A build or a check that fails leaves public/current as it was and says why.
"""

import copy
import ctypes
import gc
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment

from . import deploy, engine
from .content import SiteContent, SnapshotError, load
from .contents import forget_rendered
from .engine import PluginError, SitePelican, has_plugins
from .release import ForkGuard, Written, default_jobs, finish, write_release
from .render import Output, SiteRenderer, environment
from .search import update_search_index
from .site_settings import SettingsError, site_settings
from .sitemaps import sitemap_parts
from .verify import release_record


class BuildError(Exception):
    pass


@dataclass
class WarmState:
    """What a builder that builds again keeps between builds: the page documents it parsed
    and the content it made of them (patched by the next load when it can be), the Pelican
    objects it made of those (as much of each as the sitemap reads), the cards it rendered,
    the keys of the release it wrote last, and the compiled templates of its last theme and
    settings. A build worker keeps one for its whole life, so that a one-page publish
    parses one page and renders with compiled templates. It changes how fast a build is,
    never what it writes."""

    documents: dict[str, dict] = field(default_factory=dict)
    content: SiteContent | None = None
    page_outputs: dict[int, Output] = field(default_factory=dict)
    cards: dict[tuple, object] = field(default_factory=dict)
    objects: dict[str, tuple] = field(default_factory=dict)
    keys: dict[str, dict] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)

    def environment(self, renderer: SiteRenderer) -> Environment:
        if renderer.site_key not in self.environments:
            self.environments.clear()
            self.environments[renderer.site_key] = environment(renderer.settings)
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
    # seconds spent reading the snapshot ("load"), rendering and checking pages ("pages"),
    # in plugins that run once a build has written its pages ("plugins": pelican-sitemap
    # writes every page's URL), and completing the release ("finish"), before it went live
    phases: dict[str, float] = field(default_factory=dict)
    live_after: float = 0.0  # seconds from the build's start until its release was live

    def timings(self) -> str:
        """Where the build's time went, for a log: "load 0.24 s, pages 0.37 s, …"."""
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.phases.items())


def build(
    snapshot: Path,
    public: Path,
    *,
    settings_file: Path | None = None,
    theme: str | None = None,
    site_url: str | None = None,
    search: bool = True,
    prune: bool = True,
    full: bool = False,
    jobs: int | None = None,
    state: WarmState | None = None,
    fork_guard: ForkGuard = nullcontext,
) -> BuildResult:
    """Build a release from `snapshot` and make it live, with the Pelican settings in
    `settings_file` (default: pelicanconf.py); `theme` and `site_url` override its THEME
    and SITEURL.

    Incremental unless `full`: only files whose inputs changed since the live release are
    rendered. A change to the theme or the site settings changes every file's key, and then
    Pelican renders the whole site, in `jobs` processes (default: one per core).

    `search` updates the search index and `prune` removes old releases before returning.
    The build worker passes False for both and does them in the background (upkeep.py), so
    that a page is live as soon as its HTML is. It also passes its WarmState, and a
    `fork_guard` that stops its own threads while render processes are forked.
    """
    try:
        settings = site_settings(settings_file, theme=theme, site_url=site_url)
    except SettingsError as error:
        raise BuildError(str(error)) from None
    options = _Options(settings, full, jobs or default_jobs(), state or WarmState(), fork_guard)
    with deploy.locked(public), _collector_paused():
        try:
            result = _build(Path(snapshot), Path(public), options)
        except PluginError as error:
            raise BuildError(str(error)) from None
    if prune:
        deploy.prune(public)
    if search:
        update_search_index(public)
    return result


@dataclass(frozen=True)
class _Options:
    settings: dict
    full: bool
    jobs: int
    state: WarmState
    fork_guard: ForkGuard


def _build(snapshot: Path, public: Path, options: _Options) -> BuildResult:
    started, phases = time.perf_counter(), {}
    state = options.state
    previous, state.content = state.content, None  # nothing half-patched is kept
    try:
        with _timed(phases, "load"):
            content = state.content = load(snapshot, documents=state.documents, previous=previous)
    except SnapshotError as error:
        raise BuildError(str(error)) from None
    if content is not previous:  # loaded afresh: every page is a new one
        state.page_outputs.clear()
    build_id = deploy.new_build_id()
    releases = deploy.releases_dir(public)
    releases.mkdir(parents=True, exist_ok=True)
    deploy.remove_unfinished(public)  # left by a build that was killed
    staging = releases / f".building-{build_id}"
    renderer = SiteRenderer(
        content,
        options.settings,
        cards=state.cards,
        objects=state.objects,
        page_outputs=state.page_outputs,
    )
    site_key = renderer.site_key  # from the settings as read, before Pelican runs with them
    previous = deploy.current(public)
    previous_keys = deploy.read_keys(public, previous, state.keys) if previous else {}
    incremental = not options.full and previous_keys.get("site") == site_key
    plugins = has_plugins(options.settings)
    # Plugins change files where they were rendered, never a file shared with a release:
    # an incremental build renders beside its copy of the live release.
    fresh = staging.with_name(staging.name + "-new") if plugins and incremental else staging
    try:
        if incremental:
            staged = deploy.take_staged(public, previous, staging)  # a copy of the live one
            if not staged:
                staging.mkdir()
            run = engine.begin(engine.start(options.settings, fresh), fresh)
            with _timed(phases, "pages"):
                written = write_release(
                    renderer,
                    state.environment(renderer),
                    staging,
                    fresh=fresh,
                    old_keys=previous_keys["files"],
                    old_hashes=previous_keys.get("hashes", {}),
                    reuse=None if staged else releases / previous,
                    strict=False,
                    run=run,
                    jobs=options.jobs,  # a wide edit (an organisation on 800 pages) forks too
                    fork_guard=options.fork_guard,
                )
            with _timed(phases, "plugins"):
                engine.finalized(run)
        else:  # Pelican's run, its plugins' work included
            with _timed(phases, "pages"):
                written = _render_with_pelican(renderer, staging, fresh, options)
        with _timed(phases, "finish"):
            finish(written, renderer, fresh, staging, plugins=plugins)
        for gone in state.objects.keys() - written.keys.keys():
            del state.objects[gone]
        if written.problems:
            shown = "\n  ".join(written.problems[:20])
            more = (
                f"\n  … and {len(written.problems) - 20} more" if len(written.problems) > 20 else ""
            )
            raise BuildError(f"the new release failed its checks:\n  {shown}{more}")
        release = releases / build_id
        staging.rename(release)
    except BaseException:
        deploy.remove_tree(staging)
        deploy.remove_tree(fresh)
        raise
    finally:
        forget_rendered()
    deploy.activate(public, build_id)
    live_after = time.perf_counter() - started
    # What the next build and the drift check need, written once the page is live: a
    # release without them is built again in full, and the check says it has no record.
    keys = written.keys
    deploy.write_keys(
        public, build_id, {"site": site_key, "files": keys, "hashes": written.hashes}, state.keys
    )
    deploy.write_record(public, build_id, release_record(content))
    renderer.keep_for_sitemap()
    changed = _changed_urls(
        previous_keys.get("files", {}), keys, release, releases / previous if previous else None
    )
    return BuildResult(
        build_id,
        release,
        len(content.pages),
        time.perf_counter() - started,
        "incremental" if incremental else "full",
        written.rendered,
        changed,
        len(keys),
        phases,
        live_after,
    )


def _render_with_pelican(
    renderer: SiteRenderer, release: Path, fresh: Path, options: _Options
) -> Written:
    """Render the whole site with Pelican, the site's plugins and ours (pelican_plugin.py),
    into `fresh`."""
    release.mkdir(exist_ok=True)
    # Pelican reads content from PATH: an empty folder, removed with unfinished builds
    with tempfile.TemporaryDirectory(
        prefix=f"{release.name}-content-", dir=release.parent
    ) as empty:
        settings = {
            **copy.deepcopy(options.settings),  # Pelican's readers add to MARKDOWN, in place
            "PATH": empty,  # Pelican's own readers find nothing: the content is the snapshot
            "OUTPUT_PATH": str(fresh),
            "RELEASE_PATH": str(release),
            "SNAPSHOT_PATH": str(renderer.content.root),
            "SNAPSHOT_RENDERER": renderer,  # the snapshot, loaded once, above
            "BUILD_JOBS": options.jobs,
            "BUILD_FORK_GUARD": options.fork_guard,
        }
        logging.getLogger("pelican").setLevel(logging.WARNING)
        pelican = SitePelican(settings)
        try:
            pelican.run()
        except Exception as error:
            raise BuildError(f"Pelican could not render the site: {error!r}") from error
    return settings["BUILD_WRITTEN"]


@contextmanager
def _timed(phases: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - started


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


def give_back_freed_memory() -> None:
    """Return to the system the memory that builds freed. glibc keeps it otherwise, scattered
    among what is still used, and a worker that keeps a large site between builds holds
    about a gigabyte more at 100,000 pages. It takes milliseconds; a C library without
    malloc_trim is left alone."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


def _changed_urls(old: dict, new: dict, release: Path, previous: Path | None) -> list[str]:
    """URLs whose file is new, different or gone: what a CDN must purge."""
    changed = {url for name, (url, key) in new.items() if old.get(name, [None, None])[1] != key}
    changed |= {url for name, (url, _) in old.items() if name not in new}
    files = {"feed.xml", "sitemap.xml", "robots.txt", *sitemap_parts(release)}
    if previous:
        files |= set(sitemap_parts(previous))
    for name in sorted(files):  # a settings file may drop one
        before, now = (previous / name if previous else None), release / name
        old_data = before.read_bytes() if before and before.is_file() else None
        if old_data != (now.read_bytes() if now.is_file() else None):
            changed.add("/" + name)
    return sorted(changed)
