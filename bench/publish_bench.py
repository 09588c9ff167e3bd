"""Publish-to-live benchmark: from the publish call returning to the new HTML being served
by the static server, for one page edit, beside the full build time of the same site.

    python -m bench publish                     # 1,000 and 5,000 solution pages
    python -m bench publish --sizes 1000 --edits 5

Everything is real and runs as in `make run`: the CMS under gunicorn, `manage.py
build_worker` (database queue), `site_builder serve`, SQLite. It prints a table; nothing
is asserted.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .sites import REPO, build_site, database_urls, django_env, free_port, serve


def _manage(env: dict, *args: str) -> str:
    ran = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return ran.stdout


def _build_seconds(env: dict, full: bool) -> float:
    """Queue a build and wait for it; its own duration (export + render + search + checks)."""
    _manage(env, "build_site", "--wait", *(["--full"] if full else []))
    code = "import django; django.setup()\nfrom cms.publishing.models import Build\nprint(Build.objects.first().seconds)"  # fmt: skip
    return float(subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                                capture_output=True, text=True, check=True).stdout)  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench publish")
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--quiet-seconds", default="1.0", help="the build queue's quiet period")
    args = parser.parse_args(argv)

    table = Table(title="Publish to live (seconds; SQLite, database queue, 2 cores)")
    for column in ("solution pages", "full rebuild (export + build)", "publish → live, median",
                   "publish → live, max", "of which the build", "pages rendered", "full ÷ publish"):  # fmt: skip
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        workdir = Path(tmp)
        url = database_urls(["sqlite"], workdir)["sqlite"]
        for size in args.sizes.split(","):
            print(f"making a site of {size} solution pages…", file=sys.stderr)
            build_site(url, workdir, size)
            public, port = workdir / f"public-{size}", free_port()
            with serve(url, workdir) as api:
                env = {**django_env(url, workdir), "SITE_PUBLIC_DIR": str(public),
                       "BUILD_API_URL": api, "BUILD_QUIET_SECONDS": args.quiet_seconds,
                       "PUBLIC_SITE_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
                worker = subprocess.Popen([sys.executable, "manage.py", "build_worker"], cwd=REPO,
                                          env=env, stdout=subprocess.DEVNULL)  # fmt: skip
                static = subprocess.Popen([sys.executable, "-m", "site_builder", "serve", "--out",
                                           str(public), "--port", str(port)], cwd=REPO,
                                          stdout=subprocess.DEVNULL)  # fmt: skip
                try:
                    _build_seconds(env, full=False)  # the site as grown
                    full = _build_seconds(env, full=True)
                    time.sleep(1)
                    probe = subprocess.run(
                        [sys.executable, "-m", "bench.publish_probe", f"http://127.0.0.1:{port}", str(args.edits)],
                        cwd=REPO, env=env, capture_output=True, text=True, check=True,
                    )  # fmt: skip
                    result = json.loads(probe.stdout.strip().splitlines()[-1])
                finally:
                    worker.terminate()
                    static.terminate()
                    worker.wait(30)
                    static.wait(30)
            live = result["publish_to_live"]
            table.add_row(
                size, f"{full:.1f}", f"{statistics.median(live):.2f}", f"{max(live):.2f}",
                f"{statistics.median(result['build']):.2f}", str(result["rendered"]),
                f"{full / statistics.median(live):.1f}×",
            )  # fmt: skip
    Console(width=160).print(table)
    print(f"quiet period {args.quiet_seconds} s is part of publish → live", file=sys.stderr)
    return 0
