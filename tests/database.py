"""The test database: migrated once for every test process, and copies of it taken once and
put back in a fraction of a second.

Importing and publishing content takes seconds (the whole corpus: half a minute); tests that
start from it put back a copy taken after the first import instead. SQLite copies the file
with its backup API; PostgreSQL keeps each copy as a schema of tables in the test database
and copies the rows back in one transaction (foreign keys are checked at commit).
"""

import hashlib
import json
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
        self._fingerprints: dict[str, dict[str, str]] = {}
        self._current = ""  # the copy the database equals, apart from the tables noted since

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

    def export(self, name: str, folder: Path) -> None:
        """Write copy `name` to `folder`, for another test process to `load`."""
        folder.mkdir(parents=True)
        if connection.vendor == "sqlite":
            shutil.copyfile(self._folder / f"{name}.sqlite3", folder / "database.sqlite3")
            return
        with connection.cursor() as cursor:
            for table in self._tables():
                sql = f'COPY copy_{name}."{table}" TO STDOUT (FORMAT binary)'
                with cursor.copy(sql) as copy, open(folder / f"{table}.rows", "wb") as rows:
                    for data in copy:
                        rows.write(data)
        (folder / "sequences.json").write_text(json.dumps(self._sequences[name]))

    def load(self, name: str, folder: Path) -> None:
        """Keep as copy `name` what another test process's `export` wrote to `folder`."""
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            shutil.copyfile(folder / "database.sqlite3", self._folder / f"{name}.sqlite3")
            return
        schema = f"copy_{name}"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
            for table in self._tables():
                cursor.execute(f'CREATE TABLE {schema}."{table}" (LIKE public."{table}")')
                sql = f'COPY {schema}."{table}" FROM STDIN (FORMAT binary)'
                with cursor.copy(sql) as copy:
                    copy.write((folder / f"{table}.rows").read_bytes())
            sequences = json.loads((folder / "sequences.json").read_text())
            self._sequences[name] = [tuple(sequence) for sequence in sequences]
            self._fingerprints[name] = self._fingerprint(cursor, schema)

    # PostgreSQL: each table has a trigger that notes it in CHANGED_TABLES when a statement
    # writes to it, whichever process writes; putting a copy back rewrites only the tables
    # noted, and those that differ between that copy and the one the database was.

    def _tables(self) -> list[str]:
        tables = connection.introspection.table_names(include_views=False)
        return [table for table in tables if table != CHANGED_TABLES]

    def _note_changes(self, cursor) -> None:
        cursor.execute(
            f"CREATE UNLOGGED TABLE IF NOT EXISTS public.{CHANGED_TABLES} (name text);"
            "CREATE OR REPLACE FUNCTION note_changed_table() RETURNS trigger LANGUAGE plpgsql"
            f" AS $$ BEGIN INSERT INTO public.{CHANGED_TABLES} VALUES (TG_TABLE_NAME);"
            " RETURN NULL; END $$"
        )
        cursor.execute(
            ";".join(
                f"CREATE OR REPLACE TRIGGER note_changed_table AFTER INSERT OR UPDATE OR DELETE"
                f' OR TRUNCATE ON public."{table}" FOR EACH STATEMENT'
                " EXECUTE FUNCTION note_changed_table()"
                for table in self._tables()
            )
        )

    def _fingerprint(self, cursor, schema: str) -> dict[str, str]:
        """A hash of each table's rows in `schema`."""
        fingerprints = {}
        for table in self._tables():
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(r::text, chr(10) ORDER BY r::text), ''))"
                f' FROM {schema}."{table}" r'
            )
            fingerprints[table] = cursor.fetchone()[0]
        return fingerprints

    def _save_postgresql(self, name: str) -> None:
        schema = f"copy_{name}"
        with transaction.atomic(), connection.cursor() as cursor:
            if not self._current:
                self._note_changes(cursor)
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
            for table in self._tables():
                cursor.execute(f'CREATE TABLE {schema}."{table}" AS TABLE public."{table}"')
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            )
            self._sequences[name] = cursor.fetchall()
            self._fingerprints[name] = self._fingerprint(cursor, schema)
            cursor.execute(f"DELETE FROM public.{CHANGED_TABLES}")
        self._current = name

    def _restore_postgresql(self, name: str) -> None:
        schema, wanted = f"copy_{name}", self._fingerprints[name]
        was = self._fingerprints.get(self._current, {})
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT name FROM public.{CHANGED_TABLES}")
            tables = {changed for (changed,) in cursor.fetchall()}
            tables |= {table for table in wanted if was.get(table) != wanted[table]}
            statements = [f'DELETE FROM public."{table}"' for table in tables]
            statements += [
                f'INSERT INTO public."{table}" SELECT * FROM {schema}."{table}"' for table in tables
            ]
            statements += [
                # a sequence never used gives its first value next
                f"SELECT setval('public.\"{sequence}\"', {value or 1}, {value is not None})"
                for sequence, value in self._sequences[name]
            ]
            statements.append(f"DELETE FROM public.{CHANGED_TABLES}")
            cursor.execute(";".join(statements))
        self._current = name


CHANGED_TABLES = "test_changed_tables"
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
    from the template (see `make_template`): test processes then skip migrating (17 s each)."""
    template = make_template()
    test_name = connection.creation._get_test_db_name()
    if connection.vendor == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(test_name + suffix).unlink(missing_ok=True)
        shutil.copyfile(template, test_name)
    else:
        with _maintenance_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{test_name}"')
            cursor.execute(f'CREATE DATABASE "{test_name}" TEMPLATE "{template}"')


def make_template() -> str:
    """The migrated template database (a file for SQLite, a database name for PostgreSQL):
    migrated by the first process to get here, once per set of migration files, and kept in
    var/ (SQLite) or on the server (PostgreSQL) between runs."""
    from django.conf import settings

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
            return str(template)
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
                    _migrate(_postgres_url(connection.settings_dict, template))
                except BaseException:
                    cursor.execute(f'DROP DATABASE "{template}"')
                    raise
        return template


def make_template_in_the_background() -> subprocess.Popen:
    """Start making the template in a process of its own, while the test processes start:
    they wait for it (the lock) instead of one of them making it after they have started."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.database"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTEST_XDIST_WORKER": ""},
    )


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


if __name__ == "__main__":  # make_template_in_the_background
    import django

    django.setup()
    make_template()
