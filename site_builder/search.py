"""The search index: Pagefind over the live release, made after the release goes live.

Indexing every page takes seconds to minutes (about 1 s per 1,000 pages here), so it is
not on the way from Publish to live: each release links `pagefind/` to public/search/current,
and when a release is live, its index is built beside the others and that link is switched:

    public/search/<release id>/   the Pagefind bundle built from that release's pages
    public/search/current -> <release id>

Until then, search answers from the index of the release before. A rollback keeps the
newest index.
"""

import os
import subprocess
import sys
from pathlib import Path

from content_export.files import file_lock

from . import deploy

KEEP = 2  # the index in use, and the one before for searches already under way


class SearchIndexError(Exception):
    pass


def search_dir(public: Path) -> Path:
    return Path(public) / "search"


def indexed_release(public: Path) -> str | None:
    """The release the current search index was built from."""
    return deploy.link_target(search_dir(public) / "current")


def update_search_index(public: Path) -> str | None:
    """Index the live release unless its index is there already; returns the release
    indexed, or None if there was nothing to do."""
    public = Path(public)
    folder = search_dir(public)
    folder.mkdir(parents=True, exist_ok=True)
    with file_lock(folder / ".lock"):  # one indexer at a time, whichever worker runs it
        live = deploy.current(public)
        if live is None or indexed_release(public) == live:
            return None
        for unfinished in folder.glob(".building-*"):  # left by an indexer that was stopped
            deploy.remove_tree(unfinished)
        building = folder / f".building-{live}"
        ran = subprocess.run(
            [
                "nice",
                "-n",
                "19",
                sys.executable,
                "-m",
                "pagefind",
                "--site",
                str(deploy.releases_dir(public) / live),
                "--output-path",
                str(building),
            ],
            capture_output=True,
            text=True,
        )
        if ran.returncode != 0:
            deploy.remove_tree(building)
            raise SearchIndexError(
                f"Pagefind could not index release {live}: {ran.stderr.strip()[-500:]}"
            )
        deploy.remove_tree(folder / live)
        os.rename(building, folder / live)
        deploy.switch_link(folder / "current", Path(live))
        for old in sorted(
            p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
        )[:-KEEP]:
            if old != live:
                deploy.remove_tree(folder / old)
        return live
