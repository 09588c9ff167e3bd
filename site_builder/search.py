"""The search index: Pagefind over the live release, made after the release goes live.

Indexing takes about 2 s and 300 MB per 1,000 pages here, so it is not on the way from
Publish to live, and a large site is indexed in shards of about SHARD_PAGES pages (each
page in the shard its address picks): after a publish, only the shards whose pages changed
are indexed again, and the reader's browser merges the shards' results (Pagefind's
mergeIndex). A site of up to SHARD_PAGES pages has one index, as Pagefind makes it.

    public/search/shards/<key>/    a Pagefind bundle of one shard (key: its pages' contents)
    public/search/<release id>/    what /pagefind/ serves: the first shard's bundle, linked,
                                   shards.json naming the others, and shards -> ../shards
    public/search/current -> <release id>

Each release links `pagefind/` to public/search/current; until a new release is indexed,
search answers from the index of the release before. A rollback keeps the newest index.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

from content_export.files import file_lock
from content_export.snapshot import write_atomic

from . import deploy

KEEP = 2  # the index in use, and the one before for searches already under way
# Pages per shard: each is indexed in about 1.5 s and 200 MB. Shards rank each query's
# words by their own statistics, so a merged ranking can differ a little from one index's;
# a host with memory to spare sets SEARCH_SHARD_PAGES above the site's size for one index.
# A very large site has MAX_SHARDS larger shards: a reader's browser loads each one.
SHARD_PAGES = int(os.environ.get("SEARCH_SHARD_PAGES", "600"))
MAX_SHARDS = 24
SHARDS_AT_ONCE = 2  # shards indexed together (one per core here)
BODY_MARK = b"data-pagefind-body"
IGNORED_MARK = b'data-pagefind-ignore="all"'
MARKS = ".marks.json"  # what searchable_pages learnt of the files of the release indexed last


class SearchIndexError(Exception):
    pass


def search_dir(public: Path) -> Path:
    return Path(public) / "search"


def indexed_release(public: Path) -> str | None:
    """The release the current search index was built from."""
    return deploy.link_target(search_dir(public) / "current")


def update_search_index(public: Path, shard_pages: int = SHARD_PAGES) -> str | None:
    """Index the live release unless its index is there already; returns the release
    indexed, or None if there was nothing to do."""
    public = Path(public)
    folder = search_dir(public)
    (folder / "shards").mkdir(parents=True, exist_ok=True)
    with file_lock(folder / ".lock"):  # one indexer at a time, whichever worker runs it
        live = deploy.current(public)
        if live is None or indexed_release(public) == live:
            return None
        for unfinished in folder.glob(".building-*"):  # left by an indexer that was stopped
            deploy.remove_tree(unfinished)
        release = deploy.releases_dir(public) / live
        known = _read_marks(folder / MARKS)
        hashes = deploy.read_keys(public, live).get("hashes")
        pages = searchable_pages(release, known, hashes)
        shards = plan_shards(pages, shard_pages)
        missing = [(key, names) for key, names in shards if not (folder / "shards" / key).is_dir()]
        with ThreadPoolExecutor(SHARDS_AT_ONCE) as pool:
            for problem in pool.map(lambda shard: _index_shard(folder, release, *shard), missing):
                if problem:
                    raise SearchIndexError(f"Pagefind could not index release {live}: {problem}")
        _serve_index(folder, live, [key for key, _ in shards])
        write_atomic(folder / MARKS, json.dumps(known).encode())
        deploy.switch_link(folder / "current", Path(live))
        _remove_unused(folder, live)
        return live


def searchable_pages(
    release: Path, known: dict[str, str] | None = None, hashes: dict[str, str] | None = None
) -> dict[str, str]:
    """The release's pages that Pagefind indexes, by path, each with the identity of what
    Pagefind reads of it: those marked `data-pagefind-body` if any page is (as Pagefind
    itself chooses), else all.

    A file is known by its content's hash, from `hashes` (the build's record of every file
    it wrote) when given: a page written again with the same content keeps its shard.
    Without it, the release's files are listed and known by inode, size and time. A page's
    identity is that of its file, or, on a page with parts Pagefind ignores entirely
    (`indexed_identity`), that of the rest of it. A file that `known` holds is not read
    again: `known` maps a file to its page's identity ("" if the page is not marked), and
    is left holding the release's files."""
    known = {} if known is None else known
    if hashes:
        files = {name: digest for name, digest in hashes.items() if name.endswith(".html")}
    else:
        files = dict(_files_by_inode(release))
    pages, marked, seen = {}, set(), {}
    for name in sorted(files):
        if name.startswith("pagefind/"):
            continue
        file = files[name]
        identity = known.get(file)
        if not isinstance(identity, str):
            text = (release / name).read_bytes()
            identity = indexed_identity(text, file) if BODY_MARK in text else ""
        seen[file] = identity
        pages[name] = identity or file
        if identity:
            marked.add(name)
    known.clear()
    known.update(seen)
    return {name: page for name, page in pages.items() if name in marked} if marked else pages


def indexed_identity(html: bytes, identity: str) -> str:
    """The identity of what Pagefind indexes of a page whose file is known as `identity`.
    Parts marked `data-pagefind-ignore="all"` are left out of it (a sector page's cards of
    its solutions: a solution's new summary changes the sector page's file, and not its
    shard). A page without such parts, or one that cannot be read as HTML, keeps the
    identity of its file."""
    if IGNORED_MARK not in html:
        return identity
    reader = _IndexedText()
    try:
        reader.feed(html.decode())
        reader.close()
    except (UnicodeDecodeError, AssertionError):  # (AssertionError: html.parser gave up)
        return identity
    return identity if reader.ignoring else "indexed-" + reader.digest.hexdigest()


class _IndexedText(HTMLParser):
    """Hashes a page's markup, leaving out each element marked data-pagefind-ignore="all"
    (counted to its end by its own tag's nesting, as the theme's valid HTML allows)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}  # fmt: skip

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.digest = hashlib.sha256()
        self.ignoring: str | None = None  # the tag of the element left out
        self.depth = 0

    def _take(self, markup: str | None) -> None:
        if self.ignoring is None and markup:
            self.digest.update(markup.encode())

    def handle_starttag(self, tag, attrs):
        if self.ignoring is None:
            if ("data-pagefind-ignore", "all") in attrs and tag not in self.VOID:
                self.ignoring, self.depth = tag, 1
                return
            self._take(self.get_starttag_text())
        elif tag == self.ignoring:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.ignoring is None:
            self._take(f"</{tag}>")
        elif tag == self.ignoring:
            self.depth -= 1
            if self.depth == 0:
                self.ignoring = None

    def handle_data(self, data):
        self._take(data)

    def handle_entityref(self, name):
        self._take(f"&{name};")

    def handle_charref(self, name):
        self._take(f"&#{name};")

    def handle_comment(self, data):
        self._take(f"<!--{data}-->")

    def handle_decl(self, decl):
        self._take(f"<!{decl}>")

    def handle_pi(self, data):
        self._take(f"<?{data}>")

    def unknown_decl(self, data):
        self._take(f"<![{data}]>")


def _files_by_inode(release: Path) -> Iterator[tuple[str, str]]:
    """The release's HTML files, each with its inode, size and time (a file the release
    shares with the one before, as a hard link, has the same)."""
    for path in release.rglob("*.html"):
        stat = path.stat()
        yield (
            path.relative_to(release).as_posix(),
            f"{stat.st_ino}-{stat.st_size}-{stat.st_mtime_ns}",
        )


def plan_shards(pages: dict[str, str], shard_pages: int) -> list[tuple[str, list[str]]]:
    """Pages in shards of about `shard_pages`, keyed by the shards' contents. Each page is
    in the shard its path picks (so it stays there while the site keeps its size): every
    shard holds a like mix of solutions, sectors and organisations, so that each ranks a
    query's words by much the same statistics as one index would."""
    count = max(1, min(MAX_SHARDS, -(-len(pages) // shard_pages)))
    members: list[list[str]] = [[] for _ in range(count)]
    for name in pages:  # in path order: the key must not depend on the process
        members[zlib.crc32(name.encode()) % count].append(name)
    shards = []
    for shard in members:
        if shard or count == 1:  # (a site without pages still gets an empty index)
            listed = "\n".join(f"{name} {pages[name]}" for name in shard)
            shards.append((hashlib.sha256(listed.encode()).hexdigest()[:24], shard))
    return shards


def _read_marks(path: Path) -> dict[str, str]:
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _index_shard(folder: Path, release: Path, key: str, pages: list[str]) -> str | None:
    """Index one shard's pages into shards/<key>; the error Pagefind gave, or None."""
    site, building = folder / f".building-{key}-site", folder / f".building-{key}"
    for name in pages:  # the shard's pages at their addresses, linked, not copied
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        os.link(release / name, site / name)
    site.mkdir(exist_ok=True)
    ran = subprocess.run(
        ["nice", "-n", "19", sys.executable, "-m", "pagefind"]
        + ["--site", str(site), "--output-path", str(building)],
        capture_output=True,
        text=True,
    )
    deploy.remove_tree(site)
    if ran.returncode != 0:
        deploy.remove_tree(building)
        return ran.stderr.strip()[-500:]
    os.rename(building, folder / "shards" / key)
    return None


def _serve_index(folder: Path, live: str, keys: list[str]) -> None:
    """search/<live>/: the first shard's bundle (its files linked), the others named in
    shards.json for the search page to merge, under shards/."""
    served = folder / live
    deploy.remove_tree(served)
    shutil.copytree(folder / "shards" / keys[0], served, copy_function=os.link)
    (served / "shards.json").write_text(json.dumps({"primary": keys[0], "merge": keys[1:]}))
    (served / "shards").symlink_to(Path("..") / "shards")


def _remove_unused(folder: Path, live: str) -> None:
    """Keep the newest KEEP indexes and the shards they use; remove the rest."""
    indexes = sorted(
        p.name
        for p in folder.iterdir()
        if p.is_dir() and not p.is_symlink() and p.name != "shards" and not p.name.startswith(".")
    )
    kept = {*indexes[-KEEP:], live}
    for old in indexes:
        if old not in kept:
            deploy.remove_tree(folder / old)
    used = set()
    for name in kept:
        try:
            listed = json.loads((folder / name / "shards.json").read_text())
        except (OSError, ValueError):
            continue
        used |= {listed["primary"], *listed["merge"]}
    for shard in (folder / "shards").iterdir():
        if shard.name not in used:
            deploy.remove_tree(shard)
