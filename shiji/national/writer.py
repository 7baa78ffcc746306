"""Bulk rows straight into the tables: ``COPY`` on PostgreSQL, ``executemany``
on SQLite. Model instances and ``bulk_create`` cost about 30 µs a row, which
for the two million rows of the national data set is a minute on its own.

Rows carry explicit primary keys (``IdRange``), so every foreign key is known
before anything is written and the same seed gives the same ids. Columns a
caller leaves out get their field's default (``auto_now`` fields: the
generator's clock), exactly what a model's ``save`` would have written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max


class IdRange:
    """The next free primary keys of one table."""

    def __init__(self, model: type[models.Model]) -> None:
        self.next = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


class Writer:
    def __init__(self, *, clock: dt.datetime) -> None:
        self.clock = clock
        self.vendor = connection.vendor
        self.written: dict[str, int] = {}
        self.models: list[type[models.Model]] = []

    def _convert(self, field: models.Field) -> Any:
        """The function that makes a Python value storable in this column,
        or None when the database driver takes it as it is."""
        if isinstance(field, models.JSONField):
            return lambda v: None if v is None else json.dumps(v, ensure_ascii=False)
        if self.vendor != "sqlite":
            return None
        if isinstance(field, models.DateTimeField):
            # As Django stores them: naive UTC text ("+00:00" cut off).
            return lambda v: (
                None
                if v is None
                else v.isoformat(" ")[:-6]
                if v.tzinfo is dt.UTC
                else str(v.astimezone(dt.UTC).replace(tzinfo=None))
            )
        if isinstance(field, models.DateField):
            return lambda v: None if v is None else v.isoformat()
        if isinstance(field, models.DecimalField):
            return lambda v: None if v is None else str(v)
        return None

    def insert(
        self, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]
    ) -> int:
        """Write ``rows`` (tuples in the order of ``fields``; a ``ForeignKey``
        is given by its id under the field's name) into ``model``'s table."""
        meta = model._meta
        given = [cast(models.Field, meta.get_field(name)) for name in fields]
        rest = [
            f
            for f in meta.concrete_fields
            if f not in given and not (f.primary_key and isinstance(f, models.AutoField))
        ]
        extra = tuple(self._default(f) for f in rest)
        columns = [str(f.column) for f in given + rest]
        converters = [(i, c) for i, f in enumerate(given + rest) if (c := self._convert(f))]

        def prepared(batch: Iterable[tuple]):
            for row in batch:
                full: Any = row + extra if extra else row
                if converters:
                    full = list(full)
                    for i, conv in converters:
                        full[i] = conv(full[i])
                yield full

        quote = connection.ops.quote_name
        table = quote(str(meta.db_table))
        names = ", ".join(quote(c) for c in columns)
        count = 0
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in prepared(rows):
                        copy.write_row(row)
                        count += 1
            else:
                marks = ", ".join(["%s"] * len(columns))
                # Names from the model, quoted: no outside text reaches the SQL.
                sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
                batch: list = []
                for row in prepared(rows):
                    batch.append(row)
                    if len(batch) >= 20_000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.written[meta.label] = self.written.get(meta.label, 0) + count
        if model not in self.models:
            self.models.append(model)
        return count

    def _default(self, field: models.Field) -> Any:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return self.clock
        if field.has_default():
            return field.get_default()
        if field.null:
            return None
        if isinstance(field, (models.CharField, models.TextField, models.FileField)):
            return ""
        raise ValueError(f"{field.model._meta.label}.{field.name} needs a value")

    def reset_sequences(self) -> None:
        """PostgreSQL's id sequences after rows with explicit ids (SQLite's
        AUTOINCREMENT keeps up by itself)."""
        if self.vendor != "postgresql" or not self.models:
            return
        statements = connection.ops.sequence_reset_sql(no_style(), self.models)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@contextmanager
def indexes_rebuilt(models_: Sequence[type[models.Model]]) -> Iterator[None]:
    """PostgreSQL: drop the secondary indexes of the big tables while they
    fill and build them again afterwards, inside the caller's transaction:
    one sorted build per index instead of a B-tree insert per row (about a
    sixth off the load). Indexes that back a constraint stay. SQLite, with
    the page cache ``bulk_session`` gives it, gains nothing: left alone."""
    tables = [str(m._meta.db_table) for m in models_]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i"
                " WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)"
                " AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
                "   WHERE c.conindid = (quote_ident(i.schemaname) || '.'"
                "   || quote_ident(i.indexname))::regclass)",
                [tables],
            )
        else:
            yield
            return
        saved = cursor.fetchall()
        quote = connection.ops.quote_name
        for name, _sql in saved:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, sql in saved:
            cursor.execute(sql)
