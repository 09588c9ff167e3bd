"""The publishing-at-scale benchmark (`make bench`): for sites of 1,000 and 10,000 solution
pages, all measured in one run on this machine:

- full export of the CMS (content_export over HTTP): the first, with every page's JSON
  made, and another after the edits below (the CMS keeps each page's JSON until a change
  touches it); incremental export of one edit; and how long the build worker takes to make
  every page's JSON ahead after a release outdated it (cms/publishing/json_ahead.py);
- full build (ours, Pelican with the snapshot plugin, in processes) against plain Pelican
  building the same pages from the corpus Markdown, and the Pagefind index (in full, and
  again after a solution's new title changed its page and its cards);
- publish → live for 20 one-page edits (p50, p95), an unpublish, and an edit of the
  organisation named on the most pages: from the save returning to the static server
  serving the change (and, for the edits, until search has the live release), with
  `manage.py build_worker` (database queue) and `site_builder serve`, as `make run` runs
  them;
- the peak memory (RSS) of each.

    python -m bench scale                         # 1,000 and 10,000
    python -m bench scale --sizes 1000 --edits 5 --json var/bench/scale.json

Prints a table and writes it as JSON; asserts nothing. Sites are the Climate Tech Handbook
corpus imported into the CMS and grown with copies of its pages (bench/grow.py).
"""

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from .build_bench import PELICAN_SETTINGS, markdown_sources, run_measured
from .sites import (
    REPO,
    build_site,
    corpus_is_missing,
    database_urls,
    django_env,
    free_port,
    results_table,
    serve,
    start_build_worker,
    wait_for_a_build,
)

OUR_BUILD = """
import sys
from pathlib import Path
from site_builder.build import build
build(Path(sys.argv[1]), Path(sys.argv[2]), search=False, full=True)
"""
AFTER_A_RELEASE = """
import sys
import django
django.setup()
from cms.publishing.changes import outdate_every_serialised_page
from cms.publishing.json_ahead import make_json_ahead
outdate_every_serialised_page()  # as migrating a release does
make_json_ahead(sys.argv[1], stop=lambda: False)
"""
SEARCH_INDEX = """
import sys
from site_builder.search import update_search_index
update_search_index(sys.argv[1])
"""


def _probe(env: dict, *args: str) -> dict:
    ran = subprocess.run(
        [sys.executable, "-m", "bench.scale_probe", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if ran.returncode != 0:
        raise RuntimeError(f"the probe failed:\n{ran.stderr[-3000:]}")
    return json.loads(ran.stdout.strip().splitlines()[-1])


def _edit_release(public: Path) -> None:
    """Make live a copy of the live release (its files linked) in which one solution has a
    new title: its page changes, and its card on its sector pages, as a build writes them
    (with the build's record of the files it wrote, which search reads)."""
    from site_builder import deploy

    live = deploy.current(public)
    releases = deploy.releases_dir(public)
    edited = releases / deploy.new_build_id()
    shutil.copytree(releases / live, edited, symlinks=True, copy_function=os.link)
    keys = deploy.read_keys(public, live)
    solutions = sorted((edited / "solutions").glob("*/index.html"))
    solution = solutions[len(solutions) // 2]
    card = f'href="/{solution.parent.relative_to(edited).as_posix()}/">'
    changes = {solution: ("</h1>", " (edited)</h1>")}
    for sector in sorted((edited / "sectors").glob("*/index.html")):
        if card in sector.read_text():
            changes[sector] = (card, card + "Edited: ")
    for path, (old, new) in changes.items():
        text = path.read_text().replace(old, new)
        path.unlink()  # not the linked file of the release before
        path.write_text(text)
        name = path.relative_to(edited).as_posix()
        keys["hashes"][name] = hashlib.sha256(text.encode()).hexdigest()
    deploy.write_keys(public, edited.name, keys)
    deploy.activate(public, edited.name)


_LIVE = re.compile(r"\(incremental, .* live after [\d.]+ s: (?P<phases>[^)]*)\)")


def _build_phases(log: str) -> dict[str, float]:
    """The median of each phase (load, pages, plugins, finish) of the worker's incremental
    builds, from its log: where a publish's time goes before the page is live."""
    seen: dict[str, list[float]] = {}
    for match in _LIVE.finditer(log):
        for part in match["phases"].split(", "):
            name, seconds, _ = part.split()
            seen.setdefault(name, []).append(float(seconds))
    return {name: statistics.median(values) for name, values in seen.items()}


def _vm_hwm(pid: int) -> float:
    """Peak RSS (MB) of a running process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _plain_pelican(workdir: Path, size: int, ours_s: float) -> dict:
    """Plain Pelican building the same pages from Markdown, against our full build."""
    markdown = workdir / f"markdown-{size}"
    markdown_sources(markdown, size)
    (workdir / "pelicanconf.py").write_text(PELICAN_SETTINGS)
    seconds, mb = run_measured(
        [sys.executable, "-m", "pelican", str(markdown)]
        + ["-o", str(workdir / f"pelican-{size}"), "-s", str(workdir / "pelicanconf.py"), "-q"],
        cwd=workdir,
    )
    return {"pelican_s": seconds, "pelican_mb": mb, "pelican_over_ours": seconds / ours_s}


def measure(
    size: int, workdir: Path, edits: int, log_dir: Path, *, plain_pelican: bool = True
) -> dict:
    url = database_urls(["sqlite"], workdir)["sqlite"]
    print(f"[{size}] making the site in the CMS…", file=sys.stderr)
    started = time.perf_counter()
    build_site(url, workdir, str(size))
    row: dict = {"solution_pages": size, "make_site_s": time.perf_counter() - started}
    snapshot, public, port = workdir / f"snapshot-{size}", workdir / f"public-{size}", free_port()
    with serve(url, workdir) as api:
        env = {
            **django_env(url, workdir),
            "SITE_PUBLIC_DIR": str(public),
            "BUILD_API_URL": api,
            "PUBLIC_SITE_URL": f"http://127.0.0.1:{port}",
        }
        print(f"[{size}] full export…", file=sys.stderr)
        export_command = [
            *(sys.executable, "-m", "content_export", "--api", api),
            *("--out", str(snapshot), "--full"),
        ]
        row["full_export_s"], row["full_export_mb"] = run_measured(export_command, cwd=REPO)
        row.update(_probe(env, "export", api, str(snapshot), "5"))

        print(f"[{size}] full builds…", file=sys.stderr)
        row["full_build_s"], row["full_build_mb"] = run_measured(
            [sys.executable, "-c", OUR_BUILD, str(snapshot), str(workdir / f"full-{size}")],
            cwd=REPO,
        )
        row["search_index_s"], row["search_index_mb"] = run_measured(
            [sys.executable, "-c", SEARCH_INDEX, str(workdir / f"full-{size}")], cwd=REPO
        )
        _edit_release(workdir / f"full-{size}")
        row["search_edit_s"], row["search_edit_mb"] = run_measured(
            [sys.executable, "-c", SEARCH_INDEX, str(workdir / f"full-{size}")], cwd=REPO
        )
        if plain_pelican:
            row.update(_plain_pelican(workdir, size, row["full_build_s"]))

        print(f"[{size}] publish → live…", file=sys.stderr)
        shutil.copytree(snapshot, public / "snapshot")  # the worker starts from the full export
        # the worker's log stays beside the results, whatever happens to the run
        log_path = log_dir / f"worker-{size}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        worker_log = open(log_path, "w")  # noqa: SIM115 (closed below)
        worker = start_build_worker(env, worker_log)
        static = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "site_builder",
                "serve",
                "--out",
                str(public),
                "--port",
                str(port),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for_a_build(env)
            row.update(_probe(env, "publish", f"http://127.0.0.1:{port}", str(public), str(edits)))
            row["worker_mb"] = _vm_hwm(worker.pid)
            worker_log.flush()
            row["publish_phases_s"] = _build_phases(log_path.read_text())
        except BaseException:
            worker_log.flush()
            tail = log_path.read_text()[-4000:]
            print(f"[{size}] the build worker's last output ({log_path}):\n{tail}", file=sys.stderr)
            raise
        finally:
            worker_log.close()
            os.killpg(worker.pid, signal.SIGTERM)  # with its search indexer, if one is running
            static.terminate()
            worker.wait(30)
            static.wait(30)
        # A full export again, after the edits: the CMS made most pages' JSON for the first
        # and makes again only that of the pages the edits touched.
        print(f"[{size}] full export again…", file=sys.stderr)
        row["full_export_again_s"], row["full_export_again_mb"] = run_measured(
            export_command, cwd=REPO
        )
        print(f"[{size}] every page's JSON made ahead after a release…", file=sys.stderr)
        row["json_ahead_s"], _ = run_measured(
            [sys.executable, "-c", AFTER_A_RELEASE, api], cwd=REPO, env=env
        )
    return row


COLUMNS = [
    ("solution pages", lambda r: f"{r['solution_pages']:,}"),
    (
        "full export, every page's JSON made",
        lambda r: f"{r['full_export_s']:.1f} s ({r['full_export_mb']:.0f} MB)",
    ),
    (
        "full export, JSON kept",
        lambda r: f"{r['full_export_again_s']:.1f} s ({r['full_export_again_mb']:.0f} MB)",
    ),
    (
        "JSON made ahead after a release (worker, in the background)",
        lambda r: f"{r['json_ahead_s']:.1f} s" if "json_ahead_s" in r else "–",
    ),
    ("incremental export, one edit", lambda r: f"{r['incremental_export_ms']:.0f} ms"),
    ("full build, ours", lambda r: f"{r['full_build_s']:.1f} s ({r['full_build_mb']:.0f} MB)"),
    (
        "plain Pelican",
        lambda r: f"{r['pelican_s']:.1f} s ({r['pelican_mb']:.0f} MB)" if "pelican_s" in r else "–",
    ),
    ("Pelican ÷ ours", lambda r: f"{r['pelican_over_ours']:.1f}×" if "pelican_s" in r else "–"),
    ("search index", lambda r: f"{r['search_index_s']:.1f} s ({r['search_index_mb']:.0f} MB)"),
    (
        "search index after a publish",
        lambda r: f"{r['search_edit_s']:.1f} s ({r['search_edit_mb']:.0f} MB)",
    ),
    (
        "publish → live p50 / p95",
        lambda r: f"{r['publish_p50_s']:.2f} / {r['publish_p95_s']:.2f} s",
    ),
    (
        "live → in search p50 / p95",
        lambda r: f"{r['searchable_p50_s']:.1f} / {r['searchable_p95_s']:.1f} s",
    ),
    (
        "publish build: load / pages / plugins / finish (median)",
        lambda r: " / ".join(f"{v:.2f}" for v in r.get("publish_phases_s", {}).values()) + " s",
    ),
    ("unpublish → gone", lambda r: f"{r['unpublish_s']:.2f} s"),
    (
        "organisation edit → live",
        lambda r: f"{r['organisation_s']:.2f} s ({r['organisation_pages']} pages)",
    ),
    ("worker peak", lambda r: f"{r['worker_mb']:.0f} MB"),
]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "scale.json")
    parser.add_argument(
        "--no-plain-pelican",
        action="store_true",
        help="skip plain Pelican from Markdown (about 7 minutes at 100,000 pages)",
    )
    args = parser.parse_args(argv)
    if corpus_is_missing():
        return 1
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(
            prefix=f"bench-scale-{size}-", ignore_cleanup_errors=True
        ) as tmp:
            rows.append(
                measure(
                    size,
                    Path(tmp),
                    args.edits,
                    args.json.parent,
                    plain_pelican=not args.no_plain_pelican,
                )
            )
        _save(args.json, argv, rows)  # after each size: a long run keeps what it measured
    table = results_table(
        f"Publishing at scale ({os.cpu_count()} cores; SQLite, database queue)",
        [name for name, _ in COLUMNS],
    )
    for row in rows:
        table.add_row(*(show(row) for _, show in COLUMNS))
    Console(width=220).print(table)
    print(f"written to {args.json}", file=sys.stderr)
    return 0


def _save(path: Path, argv: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "command": "python -m bench scale " + " ".join(argv),
                "rows": rows,
            },
            indent=2,
        )
    )
