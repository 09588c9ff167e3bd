"""Releases on disk and the atomic switch between them.

    public/releases/<build-id>/   one complete site per build
    public/current -> releases/<build-id>

The switch makes a new symlink beside `current` and renames it over `current`: a reader
sees the old release or the new one, never a missing or half-written site.

Making a release folder costs a file-system entry per file (about 2 s for 10,000 pages
here), so it is done ahead of time: after a release goes live, `stage_next` makes a
hard-linked copy of it, releases/.next-<live id>, and the next build takes that copy and
changes only the files that changed. Old releases are removed the same way, off the
publish path, at low priority.
"""

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from content_export.files import file_lock

KEEP = 10


class DeployError(Exception):
    pass


def new_build_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def releases_dir(public: Path) -> Path:
    return Path(public) / "releases"


def releases(public: Path) -> list[str]:
    """Build ids, oldest first."""
    folder = releases_dir(public)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def current(public: Path) -> str | None:
    return link_target(Path(public) / "current")


def link_target(link: Path) -> str | None:
    """The name a `current` link points to, or None."""
    return Path(os.readlink(link)).name if link.is_symlink() else None


def activate(public: Path, build_id: str) -> None:
    public = Path(public)
    if not (releases_dir(public) / build_id).is_dir():
        raise DeployError(f"no release {build_id} in {releases_dir(public)}")
    switch_link(public / "current", Path("releases") / build_id)


def switch_link(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically: a new link beside it, renamed over it."""
    temporary = link.with_name(f".{link.name}-{Path(target).name}")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target)
    os.replace(temporary, link)


def prune(public: Path, keep: int = KEEP) -> list[str]:
    """Delete all but the newest `keep` releases (never the live one), then what a deletion
    that was stopped left (`.trash-*`)."""
    live = current(public)
    old = [b for b in releases(public)[:-keep] if b != live]
    for build_id in old:
        _keys_file(public, build_id).unlink(missing_ok=True)
        _record_file(public, build_id).unlink(missing_ok=True)
        remove_tree(releases_dir(public) / build_id)
    for trash in releases_dir(public).glob(".trash-*"):
        remove_tree(trash)
    return old


def remove_tree(path: Path) -> None:
    """Delete a folder of many files at low priority: first renamed away (so that it is gone
    at once for everyone else), then removed by `rm`, which is faster than Python for
    tens of thousands of files."""
    trash = path.with_name(f".trash-{path.name}")
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        return
    subprocess.run(["nice", "-n", "19", "rm", "-rf", "--", str(trash)], check=False)


@contextmanager
def locked(public: Path) -> Iterator[None]:
    """One build at a time writes releases into `public`."""
    with file_lock(Path(public) / ".build.lock"):
        yield


def remove_unfinished(public: Path) -> None:
    """Remove what a build or a copy that was killed left half-written (never a release).
    Call with the build lock held. Folders being deleted (`.trash-*`, invisible to readers)
    are left to prune: a background prune may be deleting one now, and waiting for it would
    put seconds of disk work on the publish path."""
    for path in releases_dir(public).glob(".building-*"):
        remove_tree(path)
    with _staging_lock(public, wait=False) as free:
        if free:  # nobody is copying: a copy in progress would hold the lock
            for path in releases_dir(public).glob(".copying-*"):
                remove_tree(path)


# --- the copy of the live release that the next build starts from --------------------------


def _staging_lock(public: Path, *, wait: bool = True):
    """Held while a copy is made; yields False if not `wait` and someone holds it."""
    return file_lock(releases_dir(public) / ".staging.lock", wait=wait)


def stage_next(public: Path) -> bool:
    """Make releases/.next-<live id>, a hard-linked copy of the live release, unless there is
    one already. Slow (every file); called after a release goes live, off the publish path.
    Returns whether a copy was made."""
    with _staging_lock(public):
        live = current(public)
        if live is None or (releases_dir(public) / f".next-{live}").is_dir():
            return False
        for stale in releases_dir(public).glob(".next-*"):  # copies of older releases
            remove_tree(stale)
        copying = releases_dir(public) / f".copying-{live}"
        remove_tree(copying)
        copied = subprocess.run(
            ["nice", "-n", "19", "cp", "-al", "--", str(releases_dir(public) / live), str(copying)],
            capture_output=True,
            text=True,
        )
        if copied.returncode != 0:
            remove_tree(copying)
            raise DeployError(f"could not copy release {live}: {copied.stderr.strip()}")
        os.rename(copying, releases_dir(public) / f".next-{live}")
        return True


def take_staged(public: Path, build_id: str, into: Path) -> bool:
    """Move the copy of release `build_id` to `into`, waiting if it is being made. False if
    there is none: the caller starts from an empty folder."""
    with _staging_lock(public):
        try:
            os.rename(releases_dir(public) / f".next-{build_id}", into)
        except FileNotFoundError:
            return False
        return True


def _keys_file(public: Path, build_id: str) -> Path:
    return releases_dir(public) / f"{build_id}.keys.json"


def write_keys(public: Path, build_id: str, keys: dict, remembered: dict | None = None) -> None:
    """What each file of a release was rendered from (beside it, not served). A builder
    that builds again keeps them in `remembered`, and need not read them back."""
    _keys_file(public, build_id).write_text(json.dumps(keys, separators=(",", ":")))
    if remembered is not None:
        remembered.clear()
        remembered[str(_keys_file(public, build_id))] = keys


def read_keys(public: Path, build_id: str, remembered: dict | None = None) -> dict:
    path = _keys_file(public, build_id)
    if remembered and str(path) in remembered:  # this builder wrote them
        return remembered[str(path)]
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _record_file(public: Path, build_id: str) -> Path:
    return releases_dir(public) / f"{build_id}.record.json"


def write_record(public: Path, build_id: str, record: dict) -> None:
    """What a release was built from (see verify.py), beside it, not served."""
    _record_file(public, build_id).write_text(json.dumps(record, separators=(",", ":")))


def read_record(public: Path, build_id: str) -> dict | None:
    try:
        return json.loads(_record_file(public, build_id).read_text())
    except (OSError, ValueError):
        return None


def rollback(public: Path, build_id: str | None = None) -> str:
    """Switch to `build_id`, or to the release before the live one."""
    available = releases(public)
    if build_id is None:
        live = current(public)
        if live not in available or available.index(live) == 0:
            raise DeployError("there is no earlier release to roll back to")
        build_id = available[available.index(live) - 1]
    activate(public, build_id)
    return build_id
