"""Build benchmark: our full build against plain Pelican on the same pages.

    python -m bench build                 # 1,000 and 5,000 solution pages
    python -m bench build --sizes 1000

The snapshot comes from the real exporter reading a CMS that imported the Climate Tech
Handbook corpus; it is then grown to N solution pages by copying the corpus pages with new
ids and URLs. Plain Pelican builds the same N pages from the corpus Markdown files with its
default theme. Each build runs in its own process; time is wall clock, memory is the
process's peak RSS (with search, that of Pagefind when it is the larger). Prints a table;
asserts nothing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console

from content_export.export import export
from content_export.snapshot import Snapshot

from .sites import CORPUS, REPO, build_site, corpus_is_missing, database_urls, results_table, serve

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
OUR_BUILD = """
import sys
from pathlib import Path
from site_builder.build import build
build(Path(sys.argv[1]), Path(sys.argv[2]), search=sys.argv[3] == "search")
"""


def run_measured(command: list[str], **kwargs) -> tuple[float, float]:
    """Seconds and peak memory (MB) of one child process: the larger of its own peak RSS
    (or its largest descendant's) and the most that it and its descendants held together,
    sampled every 50 ms (two Pagefind processes at once, for example)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, **kwargs)
    together = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            together[0] = max(together[0], tree_rss_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if status != 0:
        raise RuntimeError(f"{command[:3]} failed with status {status}")
    return seconds, max(usage.ru_maxrss / 1024, together[0])


def tree_rss_mb(root: int) -> float:
    """Resident memory (MB) of a process and all its descendants, now (from /proc)."""
    children: dict[int, list[int]] = {}
    resident: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # from the state on
        except OSError:
            continue  # the process has ended
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        resident[pid] = int(fields[21]) * PAGE_SIZE
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += resident.get(pid, 0)
        todo += children.get(pid, [])
    return total / 2**20


def corpus_snapshot(workdir: Path) -> Path:
    url = database_urls(["sqlite"], workdir)["sqlite"]
    build_site(url, workdir, "corpus")
    out = workdir / "corpus-snapshot"
    with serve(url, workdir) as api:
        export(api, out)
    return out


def grow_snapshot(base: Path, out: Path, solutions: int) -> None:
    """Copy `base` with its solution pages repeated until there are `solutions` of them."""
    manifest = json.loads((base / "manifest.json").read_text())
    shutil.copytree(base / "images", out / "images")
    (out / "pages").mkdir(parents=True)
    pages, originals = {}, []
    for key, entry in manifest["pages"].items():
        document = json.loads((base / entry["file"]).read_text())
        if entry["type"] == "solutions.SolutionPage":
            originals.append(document)
            continue
        shutil.copy(base / entry["file"], out / entry["file"])
        pages[key] = entry
    next_id = max(int(k) for k in manifest["pages"]) + 1
    for number in range(solutions):
        document = json.loads(json.dumps(originals[number % len(originals)]))
        copy = number // len(originals)
        if copy:
            document["id"] = next_id
            next_id += 1
            document["title"] += f" ({copy + 1})"
            document["meta"]["slug"] += f"-{copy + 1}"
            document["meta"]["url_path"] = f"/solutions/{document['meta']['slug']}/"
        name, digest = Snapshot(out).write_page(document["id"], document)
        pages[str(document["id"])] = {
            "id": document["id"],
            "type": "solutions.SolutionPage",
            "title": document["title"],
            "url_path": document["meta"]["url_path"],
            "file": name,
            "content_hash": digest,
            "last_published_at": document.get("last_published_at"),
        }
    (out / "manifest.json").write_text(json.dumps({**manifest, "pages": pages}))


def markdown_sources(out: Path, solutions: int) -> None:
    """The same solution pages as Markdown for plain Pelican (corpus files, repeated)."""
    files = sorted(CORPUS.glob("solution-*.md"))
    out.mkdir(parents=True)
    for number in range(solutions):
        source = files[number % len(files)]
        copy = number // len(files)
        text = source.read_text()
        _, front, body = text.split("---", 2)
        title = front.split("title:", 1)[1].strip().splitlines()[0]
        suffix = f" ({copy + 1})" if copy else ""
        slug = source.stem.removeprefix("solution-") + (f"-{copy + 1}" if copy else "")
        (out / f"{slug}.md").write_text(
            f"Title: {title}{suffix}\nDate: 2023-05-31\nCategory: solutions\nSlug: {slug}\n\n{body}"
        )


PELICAN_SETTINGS = """
SITENAME = "Plain Pelican"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
MARKDOWN = {"extension_configs": {"markdown.extensions.admonition": {},
            "markdown.extensions.extra": {}, "markdown.extensions.meta": {}}}
FEED_ALL_ATOM = "feeds/all.atom.xml"
DEFAULT_PAGINATION = 20
STATIC_PATHS = []
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench build")
    parser.add_argument("--sizes", default="1000,5000")
    args = parser.parse_args(argv)
    if corpus_is_missing():
        return 1
    table = results_table(
        "Full build (wall clock seconds, peak RSS MB)",
        [
            "solution pages",
            "ours: render + checks (peak MB)",
            "ours: + Pagefind index (peak MB)",
            "plain Pelican from Markdown (peak MB)",
            "Pelican ÷ ours",
            "Pelican ÷ ours with search",
        ],
    )
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        workdir = Path(tmp)
        print("importing the corpus and exporting it…", file=sys.stderr)
        base = corpus_snapshot(workdir)
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"building {size} pages…", file=sys.stderr)
            snapshot = workdir / f"snapshot-{size}"
            grow_snapshot(base, snapshot, size)
            ours = [sys.executable, "-c", OUR_BUILD, str(snapshot)]
            render, render_mb = run_measured(
                [*ours, str(workdir / f"public-a-{size}"), "nosearch"], cwd=REPO
            )
            full, ours_mb = run_measured(
                [*ours, str(workdir / f"public-b-{size}"), "search"], cwd=REPO
            )
            content = workdir / f"markdown-{size}"
            markdown_sources(content, size)
            settings = workdir / "pelicanconf.py"
            settings.write_text(PELICAN_SETTINGS)
            plain, pelican_mb = run_measured(
                [
                    sys.executable,
                    "-m",
                    "pelican",
                    str(content),
                    "-o",
                    str(workdir / f"pelican-{size}"),
                    "-s",
                    str(settings),
                    "-q",
                ],
                cwd=workdir,
            )
            table.add_row(
                str(size),
                f"{render:.1f} s ({render_mb:.0f})",
                f"{full:.1f} s ({ours_mb:.0f})",
                f"{plain:.1f} s ({pelican_mb:.0f})",
                f"{plain / render:.1f}×",
                f"{plain / full:.1f}×",
            )
    Console(width=150).print(table)
    return 0
