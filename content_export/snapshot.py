"""The content snapshot on disk: one JSON file per page, downloaded images, and a manifest.

Page files and images are content-addressed, and the manifest is replaced atomically as
the last step, so a reader always sees one whole snapshot: an export that dies part-way
leaves the previous manifest, and every file it names, untouched. Files no manifest names
any more are removed only after the new manifest is in place.

    DIR/manifest.json               schema version, API, change cursor, pages, images
    DIR/pages/<id>-<hash>.json      one page as the API gave it (meta normalised)
    DIR/images/<sha256>.<ext>       renditions named by their content
"""

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pydantic_core

from .files import file_lock
from .schema import SCHEMA_VERSION

MANIFEST = "manifest.json"


def canonical_json(data: Any) -> bytes:
    """A page's bytes: sorted keys, so that equal content has an equal hash."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def read_json(path: Path) -> Any:
    """Parse a JSON file; pydantic-core parses a 10,000-page manifest twice as fast as json."""
    return pydantic_core.from_json(Path(path).read_bytes())


def read_manifest_json(path: Path) -> Any:
    """A manifest, parsed once for as long as its file is the same one (the same inode,
    size and time: a manifest is only ever replaced, never written in place). A build
    worker exports, then builds from, the manifest it wrote itself: at 100,000 pages,
    parsing it takes a tenth of a second each time. What it returns is shared: read it, do
    not change it."""
    path = Path(path)
    found = os.stat(path)
    known = _MANIFESTS.get(path)
    if known is not None and known[0] == _file_identity(found):
        return known[1]
    manifest = read_json(path)
    _MANIFESTS[path] = (_file_identity(found), manifest)
    return manifest


_MANIFESTS: dict[Path, tuple[tuple, Any]] = {}  # path -> (file identity, the manifest in it)


def _file_identity(found: os.stat_result) -> tuple:
    return found.st_ino, found.st_size, found.st_mtime_ns


def write_atomic(path: Path, data: bytes, *, durable: bool = False) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(tmp, path)


class Snapshot:
    """Read and write one snapshot folder."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def read_manifest(self) -> dict | None:
        """The current manifest, or None if there is none this exporter can build on."""
        try:
            manifest = read_manifest_json(self.manifest_path)
        except FileNotFoundError:
            return None
        except ValueError:
            return None
        if manifest.get("schema_version") != SCHEMA_VERSION:
            return None
        return manifest

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One export at a time per snapshot folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "pages").mkdir(exist_ok=True)
        (self.root / "images").mkdir(exist_ok=True)
        with file_lock(self.root / ".lock"):
            yield

    def write_page(self, page_id: int, document: dict) -> tuple[str, str]:
        """Write one page document; return (relative file name, content hash)."""
        data = canonical_json(document)
        digest = hashlib.sha256(data).hexdigest()
        name = f"pages/{page_id}-{digest[:16]}.json"
        path = self.root / name
        if not path.exists():
            write_atomic(path, data)
        return name, digest

    def write_image(self, data: bytes, extension: str) -> str:
        name = f"images/{hashlib.sha256(data).hexdigest()[:32]}{extension}"
        path = self.root / name
        if not path.exists():
            write_atomic(path, data)
        return name

    def has_file(self, name: str) -> bool:
        return (self.root / name).is_file()

    def commit(self, manifest: dict, previous: dict | None = None, *, shared: bool = False) -> None:
        """Make `manifest` the snapshot, atomically, then drop files it no longer names: those
        `previous` named, or, without it, any in the folders (a full export tidies up what an
        interrupted one left). `shared`: this process's readers of the manifest (see
        read_manifest_json) get `manifest` itself, which the caller must not change after."""
        # The manifest is written in the order it was built (pages by URL), not re-sorted.
        write_atomic(self.manifest_path, pydantic_core.to_json(manifest), durable=True)
        if shared:
            identity = _file_identity(os.stat(self.manifest_path))
            _MANIFESTS[self.manifest_path] = (identity, manifest)
        wanted = _files(manifest)
        if previous is not None:
            for name in _files(previous) - wanted:
                (self.root / name).unlink(missing_ok=True)
            return
        for folder in ("pages", "images"):
            for path in (self.root / folder).iterdir():
                if f"{folder}/{path.name}" not in wanted and not path.name.startswith("."):
                    path.unlink(missing_ok=True)


def _files(manifest: dict) -> set[str]:
    pages = {entry["file"] for entry in manifest["pages"].values()}
    return pages | set(manifest["images"].values())
