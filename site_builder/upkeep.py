"""What a build worker has done after a release goes live, in a process of its own, so that
the next publish does not wait for it and the worker runs no threads of its own:

- copy the live release for the next build (deploy.stage_next), then prune old releases;
- index the live release for search (search.py), which takes longer.

`python -m site_builder upkeep JOB --out PUBLIC` does one of them for the release live
when it starts, one run of each job at a time (a file lock). The worker keeps at most one
running and one waiting per job: the one waiting starts after the running one ends, so the
newest release is always seen to.
"""

import subprocess
import sys
from pathlib import Path

from content_export.files import file_lock

from . import deploy
from .search import update_search_index


def _stage_and_prune(public: Path) -> None:
    deploy.stage_next(public)
    deploy.prune(public)


JOBS = {"stage": _stage_and_prune, "search": update_search_index}


def run_upkeep(public: Path, job: str) -> None:
    public = Path(public)
    with file_lock(deploy.releases_dir(public) / f".upkeep-{job}.lock"):
        JOBS[job](public)


class Upkeep:
    """Starts upkeep processes for one public folder (one object per build worker)."""

    def __init__(self, public: Path):
        self.public = Path(public)
        self.processes: dict[str, list[subprocess.Popen]] = {job: [] for job in JOBS}

    def after_release(self) -> None:
        for job, processes in self.processes.items():
            processes[:] = [p for p in processes if p.poll() is None]
            if len(processes) < 2:  # one running, one waiting to run after it
                command = [sys.executable, "-m", "site_builder", "upkeep", job]
                command += ["--out", str(self.public)]
                processes.append(subprocess.Popen(command, stdin=subprocess.DEVNULL))
