"""Write the files of one release: render the pages whose inputs changed, keep the rest, and
check every page written. Full builds (inside Pelican, see pelican_plugin.py) and
incremental builds (build.py) both come through `write_release`, so they write the same
bytes.

A release folder starts either empty, with the files that did not change hard-linked from
the previous release (`reuse`), or as a hard-linked copy of the previous release made ahead
of time (deploy.stage_next). In both cases a file is written to a temporary name and renamed
over its place: a file shared with the live release is never written to.

Many pages are rendered in forked processes (`jobs`): the snapshot is loaded once, before
the fork, and each process renders and checks its share and writes it straight to disk, so
no page's HTML is held in memory longer than it takes to write it.
"""

import gc
import hashlib
import multiprocessing
import os
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment

from . import engine
from .checks import check_page, kind_of
from .render import Output, SiteRenderer, extra_files, media_url
from .sitemaps import sitemap_parts, split_sitemap

# Below this many pages to render, forking costs more than it saves (an environment
# setting, so that tests can make a small site fork too).
PARALLEL_FROM = int(os.environ.get("BUILD_PARALLEL_FROM", 200))
# A context manager factory: held while render processes are forked (see _render_all).
ForkGuard = Callable[[], AbstractContextManager]
SEARCH_LINK = Path("../../search/current")  # releases/<id>/pagefind -> public/search/current


@dataclass
class Written:
    keys: dict  # save_as -> [url, key] for every page of the release
    rendered: int  # pages rendered (the others were reused)
    problems: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)  # save_as -> SHA-256, every file


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0))


def write_release(
    renderer: SiteRenderer,
    env: Environment,
    folder: Path,
    *,
    fresh: Path | None = None,
    old_keys: dict | None = None,
    old_hashes: dict | None = None,
    reuse: Path | None = None,
    strict: bool = True,
    jobs: int = 1,
    fork_guard: ForkGuard = nullcontext,
    run: engine.SitePelican | None = None,
) -> Written:
    """Bring `folder` to the release for `renderer`'s snapshot.

    `old_keys` are the keys of the release that `folder` is a copy of (or that `reuse`
    names), and `old_hashes` its files' hashes: files whose key is unchanged are not
    rendered again. `strict` also parses one page of each kind as strict HTML (needed when
    the templates may have changed).

    The pages rendered and the files beside them are written to `fresh` (default: `folder`),
    where Pelican plugins may change them; `finish` then moves them into `folder`. The
    Pelican objects of the pages to render are made first (renderer.content_objects), and
    sent to plugins in `all_generators_finalized` when there is a `run` (Pelican.run sends
    it itself in a full build).
    """
    folder, old_keys, old_hashes = Path(folder), old_keys or {}, old_hashes or {}
    fresh = Path(fresh or folder)
    site_key = renderer.site_key
    keys, hashes, to_render, kept = {}, {}, [], []
    for item in renderer.outputs():
        key, name = item.key(site_key), item.save_as
        keys[name] = [item.url, key]
        if old_keys.get(name, (None, None))[1] != key:
            to_render.append(item)
            continue
        kept.append(item)
        if reuse is not None:
            _link(reuse / name, folder / name)
        hashes[name] = old_hashes.get(name) or _file_digest(folder / name)
    for name in old_keys.keys() - keys.keys():  # pages gone since the previous release
        _remove(folder, name)
    made = renderer.content_objects(to_render)
    if made and run is not None:
        engine.generators_finalized(run, made)
    if kept and engine.lists_every_page(renderer.settings):
        renderer.content_objects(kept, for_sitemap=True)  # none made if a build before did
        engine.kept(fresh, [(item.save_as, renderer.content_object(item)) for item in kept])
    extras = extra_files(renderer)
    for name, data in extras.items():
        _write(fresh / name, data)
        hashes[name] = digest(data)
    known = set(keys) | set(extras) | {f"media/{name}" for name in _media_files(renderer)}
    parsed = _one_of_each_kind(to_render) if strict else set()
    problems, rendered = _render_all(
        renderer, env, fresh, to_render, known, parsed, jobs, fork_guard
    )
    hashes.update(rendered)
    engine.written(fresh, to_render, lambda item: renderer.context(env, item))
    return Written(keys, len(to_render), problems, hashes)


def finish(
    written: Written, renderer: SiteRenderer, fresh: Path, folder: Path, *, plugins: bool
) -> None:
    """Complete the release `folder` once plugins have run: what was rendered in `fresh`
    (as plugins left it, with any file they added) is moved in, each file renamed over its
    place, or, when `fresh` is the folder itself and `plugins` ran on it, every file is
    hashed again. A sitemap too long for one file is split (sitemaps.py) and parts left
    from the release this one is a copy of are removed. The images and the search link are
    added last, out of plugins' reach."""
    fresh, folder = Path(fresh), Path(folder)
    parts = split_sitemap(fresh, renderer.settings) if plugins else []
    for stale in set(sitemap_parts(folder)) - set(parts):
        (folder / stale).unlink()
    if fresh != folder and fresh.exists():
        for name in _files_in(fresh):
            written.hashes[name] = _file_digest(fresh / name)
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(fresh / name, target)
        shutil.rmtree(fresh)
    elif fresh == folder and plugins:
        for name in _files_in(folder):
            written.hashes[name] = _file_digest(folder / name)
    _media(renderer, folder)
    _link_search_index(folder)


def _files_in(folder: Path) -> list[str]:
    """The regular files under `folder`, as paths relative to it."""
    found = []
    for parent, _, files in os.walk(folder):
        relative = os.path.relpath(parent, folder)
        for file in files:
            if not os.path.islink(os.path.join(parent, file)):
                found.append(file if relative == "." else f"{relative}/{file}")
    return found


# --- rendering, in this process or in several ----------------------------------------------


def _one_of_each_kind(items: list[Output]) -> set[str]:
    """The files parsed as strict HTML: one page of each kind (see checks.py), whichever
    render process it falls to."""
    first: dict[tuple, str] = {}
    for item in items:
        first.setdefault(kind_of(item.save_as), item.save_as)
    return set(first.values())


def _render_all(
    renderer: SiteRenderer,
    env: Environment,
    folder: Path,
    items: list[Output],
    known: set[str],
    parsed: set[str],
    jobs: int,
    fork_guard: ForkGuard,
) -> tuple[list[str], dict[str, str]]:
    """Render `items`, in `jobs` forked processes when there are many: the problems found,
    and the hash of each file written. The children inherit the loaded snapshot and
    compiled templates (nothing is pickled); `fork_guard` lets the caller stop its own
    threads while the children are forked."""
    if jobs <= 1 or len(items) < PARALLEL_FROM:
        return _render(renderer, env, folder, items, known, parsed)
    for name in env.list_templates():  # compiled before the fork, not once in each child
        env.get_template(name)
    context = multiprocessing.get_context("fork")
    children = []
    gc.freeze()  # the snapshot stays shared with the children, not copied page by page
    try:
        with fork_guard():
            for number in range(jobs):
                receiver, sender = context.Pipe(duplex=False)
                share = (renderer, env, folder, items[number::jobs], known, parsed)
                child = context.Process(target=_render_share, args=(sender, share), daemon=True)
                child.start()
                sender.close()
                children.append((child, receiver))
        problems, hashes = [], {}
        for child, receiver in children:
            child_problems, child_hashes = _result(child, receiver)
            problems += child_problems
            hashes.update(child_hashes)
        return problems, hashes
    finally:
        for child, _ in children:
            child.join()
        gc.unfreeze()


def _render_share(sender, share: tuple) -> None:
    """In a child: render one share, send back its problems (or the error that stopped it)."""
    try:
        sender.send(("ok", _render(*share)))
    except BaseException as error:
        sender.send(("error", repr(error)))
        raise


def _result(child, receiver) -> tuple[list[str], dict[str, str]]:
    try:
        status, value = receiver.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"a render process stopped (exit code {child.exitcode})") from None
    if status == "error":
        raise RuntimeError(f"a render process failed: {value}")
    return value


def _render(
    renderer: SiteRenderer,
    env: Environment,
    folder: Path,
    items: list[Output],
    known: set[str],
    parsed: set[str],
) -> tuple[list[str], dict[str, str]]:
    problems, hashes = [], {}
    for item in items:
        name, context = item.save_as, renderer.context(env, item)
        text = renderer.render(env, item, context)
        problems += check_page("/" + name, text, known, parse=name in parsed)
        data = text.encode()
        _write(folder / name, data)
        hashes[name] = digest(data)
    return problems, hashes


# --- files ----------------------------------------------------------------------------------


def _write(path: Path, data: bytes) -> None:
    """Write beside, then rename over: a hard link shared with another release is replaced,
    never written through."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(source, target)


def _remove(folder: Path, name: str) -> None:
    """Remove a page's file, and its folder when nothing else is left in it."""
    path = folder / name
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != folder:
        try:
            parent.rmdir()
        except OSError:  # not empty
            break
        parent = parent.parent


def _media_files(renderer: SiteRenderer) -> dict[str, str]:
    """The images the pages show: their names under media/, and their snapshot files."""
    return {media_url(name).rsplit("/", 1)[1]: name for name in renderer.content.image_files()}


def _media(renderer: SiteRenderer, folder: Path) -> None:
    """Images the pages show, linked from the snapshot; images no page shows are removed."""
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    wanted = _media_files(renderer)
    for present in os.listdir(media):
        if present not in wanted:
            (media / present).unlink()
    for name, file in wanted.items():
        if not (media / name).exists():
            source = renderer.content.root / file
            try:
                os.link(source, media / name)  # the same file system: no copy needed
            except OSError:
                shutil.copy2(source, media / name)


def _link_search_index(folder: Path) -> None:
    """The search index is built after the release goes live (see search.py); every release
    reaches the newest one through this link."""
    link = folder / "pagefind"
    if not link.is_symlink():
        link.symlink_to(SEARCH_LINK)
