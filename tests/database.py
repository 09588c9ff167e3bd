"""The test database: migrated once for every test process, and copies of it taken once and
put back in a fraction of a second.

Importing and publishing content takes seconds (the whole corpus: half a minute); tests that
start from it put back a copy taken after the first import instead. SQLite copies the file
with its backup API; PostgreSQL keeps each copy as a schema of tables in the test database
and copies the rows back in one transaction (foreign keys are checked at commit).
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from django.core.cache import cache
from django.db import connection, transaction

from content_export.files import file_lock


class DatabaseCopies:
    """Named copies of the whole test database, in this process (one per xdist worker)."""

    def __init__(self):
        self._folder = Path(tempfile.mkdtemp(prefix="test-db-copies-"))
        self._sequences: dict[str, list[tuple[str, int | None]]] = {}

    def save(self, name: str) -> None:
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            with sqlite3.connect(self._folder / f"{name}.sqlite3") as copy:
                connection.connection.backup(copy)
            copy.close()
        else:
            self._save_postgresql(name)

    def restore(self, name: str) -> None:
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            with sqlite3.connect(self._folder / f"{name}.sqlite3") as copy:
                copy.backup(connection.connection)
            copy.close()
        else:
            self._restore_postgresql(name)
        cache.clear()  # Wagtail caches site root paths and the like

    def _tables(self) -> list[str]:
        return connection.introspection.table_names(include_views=False)

    def _save_postgresql(self, name: str) -> None:
        schema = f"copy_{name}"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
            for table in self._tables():
                cursor.execute(f'CREATE TABLE {schema}."{table}" AS TABLE public."{table}"')
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            )
            self._sequences[name] = cursor.fetchall()

    def _restore_postgresql(self, name: str) -> None:
        schema, tables = f"copy_{name}", self._tables()
        statements = ["TRUNCATE " + ", ".join(f'public."{t}"' for t in tables)]
        statements += [f'INSERT INTO public."{t}" SELECT * FROM {schema}."{t}"' for t in tables]
        for sequence, value in self._sequences[name]:
            if value is None:  # never used: the next value is the first
                statements.append(f"SELECT setval('public.\"{sequence}\"', 1, false)")
            else:
                statements.append(f"SELECT setval('public.\"{sequence}\"', {value}, true)")
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


COPIES = DatabaseCopies()


# --- one migration run for every test process ----------------------------------------------


def _migrations_key() -> str:
    """A hash of every migration file the project runs: a new or changed migration makes a
    new template."""
    from django.apps import apps

    digest = hashlib.sha256()
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        folder = Path(config.path) / "migrations"
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def prepare_test_database() -> None:
    """Give this test process's database the tables and data that migrations make, copied
    from a template that the first process to get here migrates (once per set of migration
    files, kept in var/ between runs): test processes then skip migrating (17 s each)."""
    from django.conf import settings

    settings_dict = connection.settings_dict
    test_name = connection.creation._get_test_db_name()
    key = _migrations_key()
    with file_lock(Path(settings.VAR_DIR) / ".test-template.lock"):
        if connection.vendor == "sqlite":
            template = Path(settings.VAR_DIR) / f"test-template-{key}.sqlite3"
            if not template.exists():
                for old in template.parent.glob("test-template-*.sqlite3"):  # older migrations
                    old.unlink()
                building = template.with_name(template.name + ".tmp")
                building.unlink(missing_ok=True)
                _migrate(f"sqlite:///{building}")
                building.rename(template)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(test_name + suffix).unlink(missing_ok=True)
            shutil.copyfile(template, test_name)
        else:
            template = f"test_template_{key}"
            with _maintenance_cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
                if cursor.fetchone() is None:
                    cursor.execute(
                        "SELECT datname FROM pg_database WHERE datname LIKE 'test_template_%%'"
                    )
                    for (old,) in cursor.fetchall():  # made for older migrations
                        cursor.execute(f'DROP DATABASE IF EXISTS "{old}"')
                    cursor.execute(f'CREATE DATABASE "{template}"')
                    try:
                        _migrate(_postgres_url(settings_dict, template))
                    except BaseException:
                        cursor.execute(f'DROP DATABASE "{template}"')
                        raise
                cursor.execute(f'DROP DATABASE IF EXISTS "{test_name}"')
                cursor.execute(f'CREATE DATABASE "{test_name}" TEMPLATE "{template}"')


def _migrate(database_url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DATABASE_URL": database_url, "PYTEST_XDIST_WORKER": ""},
        check=True,
    )


def _postgres_url(settings_dict: dict, name: str) -> str:
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _maintenance_cursor():
    """A cursor on PostgreSQL's own database, outside any transaction (CREATE DATABASE)."""
    return connection._nodb_cursor()
