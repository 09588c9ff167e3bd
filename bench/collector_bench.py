"""Does pausing Python's cycle collector during a build pay? One-page builds in a warm
builder, as a build worker runs them (from a staged copy of the live release), on a
snapshot of N solution pages (the corpus repeated), with the collector paused (as builds
run it) and with it left on.

    python -m bench collector [--sizes 1000,10000] [--edits 15]

Prints a table (median and worst one-page build, in seconds); asserts nothing.
"""

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

import site_builder.build
from content_export.snapshot import Snapshot
from site_builder import deploy
from site_builder.build import WarmState, build

from .build_bench import corpus_snapshot, grow_snapshot
from .sites import corpus_is_missing, results_table


def one_page_builds(snapshot: Path, public: Path, edits: int) -> list[float]:
    """Seconds of each one-page build after a first, full one."""
    warm = WarmState()
    build(snapshot, public, search=False, prune=False, state=warm)
    manifest = json.loads((snapshot / "manifest.json").read_text())
    solutions = [e for e in manifest["pages"].values() if e["type"] == "solutions.SolutionPage"]
    seconds = []
    for number in range(edits):
        deploy.stage_next(public)  # as the worker's upkeep does after each release (untimed)
        entry = solutions[number * 7919 % len(solutions)]
        document = json.loads((snapshot / entry["file"]).read_text())
        document["summary"] = f"Edited for the collector bench, edit {number}."
        entry["file"], entry["content_hash"] = Snapshot(snapshot).write_page(
            document["id"], document
        )
        Snapshot(snapshot).commit(manifest)
        started = time.perf_counter()
        build(snapshot, public, search=False, prune=False, state=warm)
        seconds.append(time.perf_counter() - started)
    return seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench collector")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--edits", type=int, default=15)
    args = parser.parse_args(argv)
    if corpus_is_missing():
        return 1
    table = results_table(
        "One-page build in a warm builder (seconds)",
        [
            "solution pages",
            "paused: median",
            "paused: worst",
            "on: median",
            "on: worst",
            "on ÷ paused",
        ],
    )
    paused = site_builder.build._collector_paused
    with tempfile.TemporaryDirectory(prefix="bench-collector-") as tmp:
        workdir = Path(tmp)
        print("importing the corpus and exporting it…", file=sys.stderr)
        base = corpus_snapshot(workdir)
        for size in [int(s) for s in args.sizes.split(",")]:
            runs = {}
            for mode, collector in (("paused", paused), ("on", contextlib.nullcontext)):
                snapshot = workdir / f"snapshot-{size}-{mode}"
                grow_snapshot(base, snapshot, size)
                site_builder.build._collector_paused = collector
                print(f"{size} pages, collector {mode}…", file=sys.stderr)
                runs[mode] = one_page_builds(
                    snapshot, workdir / f"public-{size}-{mode}", args.edits
                )
            site_builder.build._collector_paused = paused
            medians = {mode: statistics.median(s) for mode, s in runs.items()}
            table.add_row(
                f"{size:,}",
                f"{medians['paused']:.3f}",
                f"{max(runs['paused']):.3f}",
                f"{medians['on']:.3f}",
                f"{max(runs['on']):.3f}",
                f"{medians['on'] / medians['paused']:.2f}×",
            )
    Console(width=160).print(table)
    return 0
