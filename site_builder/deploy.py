"""Releases on disk and the atomic switch between them.

    public/releases/<build-id>/   one complete site per build
    public/current -> releases/<build-id>

The switch makes a new symlink beside `current` and renames it over `current`: a reader
sees the old release or the new one, never a missing or half-written site.
"""

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

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
    link = Path(public) / "current"
    return Path(os.readlink(link)).name if link.is_symlink() else None


def activate(public: Path, build_id: str) -> None:
    public = Path(public)
    if not (releases_dir(public) / build_id).is_dir():
        raise DeployError(f"no release {build_id} in {releases_dir(public)}")
    temporary = public / f".current-{build_id}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(Path("releases") / build_id)
    os.replace(temporary, public / "current")


def prune(public: Path, keep: int = KEEP) -> list[str]:
    """Delete all but the newest `keep` releases (never the live one)."""
    live = current(public)
    old = [b for b in releases(public)[:-keep] if b != live]
    for build_id in old:
        shutil.rmtree(releases_dir(public) / build_id, ignore_errors=True)
        _keys_file(public, build_id).unlink(missing_ok=True)
    return old


@contextmanager
def locked(public: Path) -> Iterator[None]:
    """One build at a time writes releases into `public`."""
    Path(public).mkdir(parents=True, exist_ok=True)
    with open(Path(public) / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def remove_unfinished(public: Path) -> None:
    """Remove what a build that was killed left half-written (never a release)."""
    for path in releases_dir(public).glob(".building-*"):
        shutil.rmtree(path, ignore_errors=True)


def _keys_file(public: Path, build_id: str) -> Path:
    return releases_dir(public) / f"{build_id}.keys.json"


def write_keys(public: Path, build_id: str, keys: dict) -> None:
    """What each file of a release was rendered from (beside it, not served)."""
    _keys_file(public, build_id).write_text(json.dumps(keys, separators=(",", ":")))


def read_keys(public: Path, build_id: str) -> dict:
    try:
        return json.loads(_keys_file(public, build_id).read_text())
    except (OSError, ValueError):
        return {}


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
