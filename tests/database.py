"""Copies of the test database, taken once and put back in a fraction of a second.

Importing and publishing content takes seconds (the whole corpus: half a minute); tests that
start from it put back a copy taken after the first import instead. SQLite copies the file
with its backup API; PostgreSQL keeps each copy as a schema of tables in the test database
and copies the rows back in one transaction (foreign keys are checked at commit).
"""

import sqlite3
import tempfile
from pathlib import Path

from django.core.cache import cache
from django.db import connection, transaction


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
