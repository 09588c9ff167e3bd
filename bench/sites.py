"""Make a CMS with real content for a benchmark: a fresh database, the sample content or
the corpus, and as many solution pages as asked (copies of the corpus pages), served by
gunicorn on a free loopback port."""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "climate-tech-handbook" / "docs"


def database_urls(names: list[str], workdir: Path) -> dict[str, str]:
    urls = {}
    for name in names:
        if name == "sqlite":
            urls[name] = f"sqlite:///{workdir / 'bench.sqlite3'}"
        elif name == "postgres":
            base = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
            urls[name] = f"{base}/bench_solutions"
    return urls


def reset_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    server, name = url.rsplit("/", 1)
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", f"{server}/postgres", "-qc", sql], check=True)


def django_env(url: str, workdir: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "CMS_VAR_DIR": str(workdir),
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
    }


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def build_site(url: str, workdir: Path, size: str) -> None:
    """Sample content, or the corpus grown to `size` solution pages."""
    reset_database(url)
    env = django_env(url, workdir)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "setup_site")
    if size == "sample":
        manage(env, "import_markdown", str(REPO / "sample_content"), "--publish")
        return
    manage(env, "import_markdown", str(CORPUS), "--publish")
    if size == "corpus":
        return
    subprocess.run([sys.executable, "-m", "bench.grow", size], cwd=REPO, env=env, check=True)


def start_build_worker(env: dict, log) -> subprocess.Popen:
    """`manage.py build_worker`, writing to `log`, in a session of its own: stop it with
    os.killpg, which stops its helper processes too."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "build_worker"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_a_build(env: dict) -> None:
    """Ask the worker for a build and wait until it is live."""
    subprocess.run(
        [sys.executable, "manage.py", "build_site", "--wait"],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(url: str, workdir: Path, workers: tuple[str, ...] = ("-w", "2"), **env_extra: str):
    """gunicorn with the dev settings (media served by Django) on a free port."""
    port = free_port()
    env = {**django_env(url, workdir), **env_extra}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cms.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            *workers,
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    api = f"http://127.0.0.1:{port}/api/v2/"
    try:
        for _ in range(100):
            try:
                requests.get(api + "pages/?limit=1", timeout=10)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield api
    finally:
        server.terminate()
        server.wait(10)


@contextmanager
def public_site(content: str) -> Iterator[str]:
    """A CMS with `content` ("sample", "corpus" or a number of pages) in a temporary
    folder, exported, built and served on loopback as the public site: its address."""
    from content_export.export import export
    from site_builder.build import build
    from site_builder.serve import make_server

    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        workdir = Path(tmp)
        url = database_urls(["sqlite"], workdir)["sqlite"]
        build_site(url, workdir, content)
        with serve(url, workdir) as api:
            export(api, workdir / "snapshot")
        server = make_server(workdir / "public", port=0)
        site = f"http://127.0.0.1:{server.server_port}"
        build(workdir / "snapshot", workdir / "public", site_url=site)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield site
        finally:
            server.shutdown()


def results_table(title: str, columns: list[str]) -> Table:
    """A rich table with right-aligned columns, as every bench prints its figures."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    return table


def corpus_is_missing() -> bool:
    """True, after saying so, when ../shared/corpus is not beside the clone."""
    if CORPUS.is_dir():
        return False
    print(f"The corpus is needed: {CORPUS} is missing.", file=sys.stderr)
    return True
