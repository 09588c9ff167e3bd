"""Helpers for tests that run real build workers: start one as an operator does, wait for
the builds to settle, read the live site."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection
from standardwebhooks.webhooks import Webhook

from cms.publishing.models import Build

REPO = Path(__file__).resolve().parent.parent
SECRET = "whsec_" + "c2VjcmV0LWZvci10ZXN0cy1vbmx5LTEyMzQ1Njc4"  # base64 of a test secret


def webhook_headers(body: bytes, secret=SECRET, message_id=None, when=None) -> dict[str, str]:
    """Standard Webhooks headers that sign `body` with `secret`, as a sender makes them."""
    message_id = message_id or f"msg_{time.monotonic_ns()}"
    when = when or datetime.now(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, when, body.decode()),
    }


def wait_for(check, timeout=90, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


class Worker:
    """`manage.py build_worker` in its own process group, as an operator runs it."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.process = env, log, None

    def start(self, **overrides) -> "Worker":
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "build_worker"],
            cwd=REPO,
            env={**self.env, **overrides},
            start_new_session=True,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self) -> None:
        """SIGKILL, as when a machine dies: nothing gets to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process:
            self.process.wait()

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""  # "" if never started


def settled(timeout=120, worker: "Worker | None" = None, after: int = 0) -> Build:
    """Wait until no build is waiting or running; return the latest build (one newer than
    build #`after`: a build that is run again is queued just after the old one fails)."""

    waiting = [Build.Status.PENDING, Build.Status.RUNNING]

    def idle():
        if Build.objects.filter(status__in=waiting).exists():
            return None
        latest = Build.objects.first()  # read after: a build that was running has finished
        # … and a failed one may have been queued again between the two reads
        if latest is None or latest.pk <= after or latest.status in waiting:
            return None
        return latest

    try:
        return wait_for(idle, timeout, "the builds to finish")
    except AssertionError:
        raise AssertionError(
            f"builds did not finish; worker said:\n{worker and worker.output()[-3000:]}"
        ) from None


def live_html(public: Path, url: str) -> str:
    path = public / "current" / url.lstrip("/") / "index.html"
    return path.read_text() if path.is_file() else ""


def publish(page, **fields) -> None:
    draft = page.get_latest_revision_as_object()
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.save_revision().publish()
