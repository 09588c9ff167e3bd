"""Editors at once (`python -m bench editors`): simulated editors, each signed in to the
Wagtail admin over HTTP, saving a draft of their own solution page, publishing it and
previewing it, over and over for a bounded time, while the build worker builds what they
publish. The CMS runs as in production (gunicorn, 3 workers of 4 threads) on PostgreSQL
with the Climate Tech Handbook corpus, beside the preview renderer (gunicorn, 2 workers, as
docker-compose runs it); all on loopback.

    python -m bench editors                                  # 20 editors, 60 s
    python -m bench editors --editors 5 --seconds 20 --database sqlite
    python -m bench editors --think 0                        # as fast as they can click

An editor takes `--think` seconds (on average) between two actions, reading and typing.

Prints p50 / p95 / max of each action and every error, and writes them as JSON with the
build worker's log beside it; asserts nothing.
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import requests
from rich.console import Console

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

ACTIONS = ("save draft", "publish", "preview")
PASSWORD = "a bench editor's password"
PRODUCTION_WORKERS = ("--workers", "3", "--threads", "4")  # as the Dockerfile runs it


def make_editors(count: int) -> tuple[list[str], int, int]:
    """`count` editors in Wagtail's Moderators group (who may publish), and the ids of the
    solutions index and a sector their pages go in. Needs Django set up."""
    from django.contrib.auth.models import Group, User

    from cms.solutions.models import SectorPage, SolutionIndexPage

    moderators = Group.objects.get(name="Moderators")
    names = []
    for number in range(1, count + 1):
        user, _ = User.objects.get_or_create(username=f"editor-{number:02d}")
        user.set_password(PASSWORD)
        user.save()
        user.groups.add(moderators)
        names.append(user.username)
    return names, SolutionIndexPage.objects.get().pk, SectorPage.objects.first().pk


class Editor:
    """One editor's browser: signs in, makes a page, then saves, publishes and previews it
    until `deadline`, noting how long each action took, or what went wrong."""

    def __init__(self, cms: str, name: str, index: int, sector: int, deadline: float, think: float):
        from tests.admin_forms import new_solution_form

        self.cms, self.name, self.deadline, self.think = cms, name, deadline, think
        self.random = random.Random(name)
        self.index = index
        self.form = new_solution_form(SimpleNamespace(pk=sector), f"Bench solution of {name}")
        self.session = requests.Session()
        self.seconds: dict[str, list[float]] = {action: [] for action in ACTIONS}
        self.errors: list[str] = []
        self.page_id: int | None = None

    def run(self) -> None:
        try:
            self._sign_in()
            self._create()
        except Exception as error:  # noqa: BLE001 (reported, the bench goes on)
            self.errors.append(f"{self.name} could not start: {error}")
            return
        round_number = 0
        while time.monotonic() < self.deadline:
            round_number += 1
            summary = f"Edited by {self.name}, round {round_number}."
            self._timed("save draft", self._save, summary, publish=False)
            self._timed("publish", self._save, summary, publish=True)
            self._timed("preview", self._preview, summary)

    def _timed(self, action: str, work, *args, **kwargs) -> None:
        # the editor reads and types between two actions: `think` seconds on average
        time.sleep(self.random.uniform(0.5, 1.5) * self.think)
        started = time.perf_counter()
        try:
            work(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 (reported, the bench goes on)
            self.errors.append(f"{self.name} {action}: {error}")
            return
        self.seconds[action].append(time.perf_counter() - started)

    def _post(self, path: str, data: dict) -> requests.Response:
        token = self.session.cookies.get("csrftoken", "")
        return self.session.post(
            self.cms + path,
            data={**data, "csrfmiddlewaretoken": token},
            headers={"Referer": self.cms + path},
            allow_redirects=False,
            timeout=60,
        )

    def _sign_in(self) -> None:
        self.session.get(f"{self.cms}/admin/login/", timeout=60).raise_for_status()
        answer = self._post("/admin/login/", {"username": self.name, "password": PASSWORD})
        _expect(answer, 302)

    def _create(self) -> None:
        answer = self._post(f"/admin/pages/add/solutions/solutionpage/{self.index}/", self.form)
        _expect(answer, 302)
        self.page_id = int(answer.headers["Location"].rstrip("/").split("/")[-2])

    def _save(self, summary: str, *, publish: bool) -> None:
        data = {**self.form, "summary": summary, **({"action-publish": "1"} if publish else {})}
        _expect(self._post(f"/admin/pages/{self.page_id}/edit/", data), 302)

    def _preview(self, summary: str) -> None:
        path = f"/admin/pages/{self.page_id}/edit/preview/"
        answer = self._post(path, {**self.form, "summary": f"{summary} (preview)"})
        _expect(answer, 200)
        if not answer.json().get("is_valid"):
            raise RuntimeError(f"the preview form was refused: {answer.text[:200]}")
        shown = self.session.get(self.cms + path, timeout=60)
        _expect(shown, 200)
        if f"{summary} (preview)" not in shown.text:
            raise RuntimeError("the preview does not show the draft")


def _expect(answer: requests.Response, status: int) -> None:
    if answer.status_code != status:
        raise RuntimeError(
            f"{answer.request.method} {answer.url} answered {answer.status_code}, "
            f"not {status}: {answer.text[:200]!r}"
        )


def measure(
    editors: int, seconds: float, think: float, database: str, workdir: Path, log_dir: Path
) -> dict:
    url = database_urls([database], workdir)[database]
    print(f"making the CMS with the corpus ({database})…", file=sys.stderr)
    build_site(url, workdir, "corpus")
    public, preview_port = workdir / "public", free_port()
    os.environ.update(django_env(url, workdir))
    import django

    django.setup()
    names, index, sector = make_editors(editors)
    preview_url = f"http://127.0.0.1:{preview_port}/"
    with serve(url, workdir, PRODUCTION_WORKERS, PREVIEW_URL=preview_url) as api:
        env = {
            **django_env(url, workdir),
            "SITE_PUBLIC_DIR": str(public),
            "BUILD_API_URL": api,
            "PREVIEW_URL": preview_url,
        }
        log_path = log_dir / f"editors-worker-{database}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "w") as log:
            worker = start_build_worker(env, log)
            renderer = subprocess.Popen(  # as docker-compose runs it
                [sys.executable, "-m", "gunicorn", "site_builder.preview:application()"]
                + ["--bind", f"127.0.0.1:{preview_port}", "--workers", "2"],
                cwd=REPO,
                env={**env, "PREVIEW_API_URL": api, "PUBLIC_DIR": str(public)},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            try:
                wait_for_a_build(env)
                print(f"{editors} editors for {seconds:.0f} s…", file=sys.stderr)
                cms = api.removesuffix("/api/v2/")
                result = _run_editors(cms, names, index, sector, seconds, think)
                result["builds"] = _builds_since_start()
            finally:
                os.killpg(worker.pid, signal.SIGTERM)
                renderer.terminate()
                worker.wait(60)
                renderer.wait(30)
    result.update(editors=editors, seconds=seconds, think_s=think, database=database)
    return result


def _run_editors(
    cms: str, names: list[str], index: int, sector: int, seconds: float, think: float
) -> dict:
    deadline = time.monotonic() + seconds
    editors = [Editor(cms, name, index, sector, deadline, think) for name in names]
    threads = [threading.Thread(target=editor.run) for editor in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result: dict = {"errors": [error for editor in editors for error in editor.errors]}
    for action in ACTIONS:
        times = sorted(t for editor in editors for t in editor.seconds[action])
        result[action] = {
            "count": len(times),
            "p50_s": statistics.median(times) if times else None,
            "p95_s": statistics.quantiles(times, n=20, method="inclusive")[18]
            if len(times) > 1
            else None,
            "max_s": max(times, default=None),
        }
    return result


def _builds_since_start() -> dict:
    """How the builds the editors' publishes asked for went (waiting for the last one)."""
    from cms.publishing.models import Build

    for _ in range(600):  # at most a minute for the last build to finish
        if not Build.objects.filter(status__in=["pending", "running"]).exists():
            break
        time.sleep(0.1)
    counts = {
        status: Build.objects.filter(status=status).count() for status, _ in Build.Status.choices
    }
    return counts


def _show(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.2f} s"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench editors")
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--think", type=float, default=3.0, help="seconds an editor takes between actions"
    )
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "editors.json")
    args = parser.parse_args(argv)
    if corpus_is_missing():
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-editors-", ignore_cleanup_errors=True) as tmp:
        result = measure(
            args.editors, args.seconds, args.think, args.database, Path(tmp), args.json.parent
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "command": "python -m bench editors " + " ".join(argv),
                "result": result,
            },
            indent=2,
        )
    )
    table = results_table(
        f"{args.editors} editors at once for {args.seconds:.0f} s, {args.think:g} s between "
        f"actions ({args.database}, {os.cpu_count()} cores)",
        ["action", "times", "p50", "p95", "max"],
    )
    for action in ACTIONS:
        row = result[action]
        table.add_row(
            action, str(row["count"]), _show(row["p50_s"]), _show(row["p95_s"]), _show(row["max_s"])
        )
    Console(width=160).print(table)
    builds = ", ".join(f"{count} {status}" for status, count in result["builds"].items() if count)
    print(f"builds: {builds}")
    print(f"errors: {len(result['errors'])}")
    for error in result["errors"][:20]:
        print(f"  {error}")
    print(f"written to {args.json}", file=sys.stderr)
    return 0
