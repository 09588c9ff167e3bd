"""Export benchmark: full and incremental export times, on SQLite and PostgreSQL.

    python -m bench export                      # sample content and 1,000 pages
    python -m bench export --sizes sample --databases sqlite

It prints a table; nothing is asserted. The CMS runs under gunicorn (2 workers) on
loopback; the exporter is the real content_export over HTTP.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from content_export.export import ExportResult, export

from .sites import REPO, build_site, database_urls, django_env, results_table, serve


def _edit_one_page(env: dict) -> None:
    """Publish a change to one solution page, as an editor would."""
    code = (
        "import django; django.setup()\n"
        "from cms.solutions.models import SolutionPage\n"
        "p = SolutionPage.objects.live().order_by('pk').first()\n"
        "d = p.get_latest_revision_as_object(); d.summary = d.summary + ' (edited)'\n"
        "d.save_revision().publish()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True)


def _timed_export(api: str, out: Path) -> tuple[float, ExportResult]:
    started = time.perf_counter()
    result = export(api, out)
    return time.perf_counter() - started, result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench export")
    parser.add_argument("--sizes", default="sample,1000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    table = results_table(
        "content_export, in-process (seconds, median of runs)",
        [
            "content",
            "database",
            "pages",
            "full",
            "incremental, nothing changed",
            "incremental, one page edited",
            "requests (full / one edit)",
        ],
    )
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        workdir = Path(tmp)
        for size in args.sizes.split(","):
            for name, url in database_urls(args.databases.split(","), workdir).items():
                print(f"building {size} on {name}…", file=sys.stderr)
                build_site(url, workdir, size)
                env = django_env(url, workdir)
                with serve(url, workdir) as api:
                    full, idle, edit = [], [], []
                    for run in range(args.repeat):
                        out = workdir / f"snapshot-{size}-{name}-{run}"
                        seconds, full_result = _timed_export(api, out)
                        full.append(seconds)
                        idle.append(_timed_export(api, out)[0])
                        _edit_one_page(env)
                        seconds, edit_result = _timed_export(api, out)
                        edit.append(seconds)
                table.add_row(
                    size,
                    name,
                    str(full_result.pages),
                    f"{statistics.median(full):.3f}",
                    f"{statistics.median(idle):.3f}",
                    f"{statistics.median(edit):.3f}",
                    f"{full_result.requests} / {edit_result.requests}",
                )
    Console(width=140).print(table)
    return 0
