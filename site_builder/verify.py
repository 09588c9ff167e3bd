"""Does the live release hold what it should? One report from two checks:

- its files are the ones its build wrote: none missing, none altered or added by hand;
- what it was built from equals what the CMS says is public now (`Expected`): the same
  pages, each as last published, the same redirects, the same organisations and sources.

Each build records the hash of every file it wrote (deploy.write_keys) and what it was
built from (`release_record`, deploy.write_record), beside the release. The CMS's
`verify_site` command and the build worker, after each release goes live, run `drift`.
No Django here.
"""

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import deploy
from .content import SiteContent

NOT_RECORDED = ("media", "pagefind")  # images (named by their hash) and the search index


@dataclass
class Expected:
    """What the public site must hold, as the CMS says."""

    pages: dict[int, tuple[str, str | None]]  # id -> (URL path, last published, ISO 8601)
    redirects: list[dict] = field(default_factory=list)  # as the API lists them
    shared: dict[str, dict[str, list]] = field(default_factory=dict)  # kind -> id -> fields


def release_record(content: SiteContent) -> dict:
    """What a release is built from, in the terms of `Expected`."""
    pages = {
        str(entry["id"]): [entry["url_path"], entry.get("last_published_at")]
        for entry in content.manifest["pages"].values()
    }
    sources = {}
    for page in content.pages:
        shown = [metric.get("source") for metric in page.get("metrics", ())]
        for source in [*shown, *page.get("references", ())]:
            if source:
                sources[str(source["id"])] = [
                    source["title"],
                    source["publisher"],
                    source["url"],
                    source["year"],
                ]
    organisations = {str(o.id): [o.name, o.slug] for o in content.organisations}
    return {
        "pages": pages,
        "redirects": content.manifest.get("redirects", []),
        "shared": {"organisations": organisations, "sources": sources},
    }


def drift(public: Path, expected: Expected | None = None, seen: dict | None = None) -> list[str]:
    """Every difference between the live release and what it should hold; [] if none.
    Without `expected`, only the files are checked. `seen` remembers the files hashed
    before (by inode, modification time and size), so that a checker that runs after
    every build hashes only the files that changed."""
    live = deploy.current(public)
    if live is None:
        return ["no release is live"]
    hashes = deploy.read_keys(public, live).get("hashes")
    record = deploy.read_record(public, live)
    if hashes is None or record is None:
        return [f"release {live} has no record to check against: build the site again"]
    problems = file_drift(deploy.releases_dir(public) / live, hashes, seen)
    if expected is not None:
        problems += content_drift(record, expected)
    return problems


def file_drift(release: Path, hashes: dict[str, str], seen: dict | None = None) -> list[str]:
    problems, seen, used = [], {} if seen is None else seen, {}
    for name, recorded in sorted(hashes.items()):
        path = release / name
        try:
            actual = _digest(path, seen, used)
        except FileNotFoundError:
            problems.append(f"missing file: /{name}")
            continue
        if actual != recorded:
            problems.append(f"altered file: /{name} is not what the build wrote")
    for name in sorted(_files(release) - hashes.keys()):
        problems.append(f"unknown file: /{name} was not written by the build")
    seen.clear()  # remember the files of this release only
    seen.update(used)
    return problems


def _digest(path: Path, seen: dict, used: dict) -> str:
    """The file's SHA-256, or the one found before if it is the same file, unchanged (a
    file a release shares with the one before it is the same inode: a hard link)."""
    stat = os.stat(path)
    signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    known = seen.get(signature)
    if known is None:
        with open(path, "rb") as handle:
            known = hashlib.file_digest(handle, "sha256").hexdigest()
    used[signature] = known
    return known


def _files(release: Path) -> set[str]:
    found = set()
    for folder, subfolders, files in os.walk(release):
        relative = os.path.relpath(folder, release)
        if relative == ".":  # (the search index link is a file until its index is built)
            subfolders[:] = [s for s in subfolders if s not in NOT_RECORDED]
            files = [name for name in files if name not in NOT_RECORDED]
        prefix = "" if relative == "." else relative + "/"
        found.update(prefix + name for name in files)
    return found


def content_drift(record: dict, expected: Expected) -> list[str]:
    problems = []
    built = {int(pk): tuple(value) for pk, value in record["pages"].items()}
    for pk, (url, published) in sorted(expected.pages.items(), key=lambda kv: kv[1][0]):
        if pk not in built:
            problems.append(f"missing page: {url} (page {pk}) is public but not on the site")
            continue
        built_url, built_published = built[pk]
        if built_url != url:
            problems.append(f"moved page: page {pk} is at {url}, the site has it at {built_url}")
        elif _time(built_published) != _time(published):
            problems.append(
                f"stale page: {url} was published {published}, the site has {built_published}"
            )
    for pk in sorted(built.keys() - expected.pages.keys()):
        problems.append(f"page that should not be there: {built[pk][0]} (page {pk})")
    problems += _redirect_drift(record.get("redirects", []), expected.redirects)
    for kind, wanted in sorted(expected.shared.items()):
        have = record.get("shared", {}).get(kind, {})
        for pk in sorted(wanted.keys() | have.keys(), key=int):
            if wanted.get(pk) != have.get(pk):
                problems.append(
                    f"stale {kind[:-1]} {pk}: the CMS has {wanted.get(pk)}, "
                    f"the site has {have.get(pk)}"
                )
    return problems


def _redirect_drift(built: list[dict], wanted: list[dict]) -> list[str]:
    def as_set(redirects):
        return {(r["old_path"], r["page"], r["link"], r["permanent"]) for r in redirects}

    have, want = as_set(built), as_set(wanted)
    problems = [f"missing redirect: {r[0]}" for r in sorted(want - have, key=str)]
    problems += [f"redirect that should not be there: {r[0]}" for r in sorted(have - want, key=str)]
    return problems


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
