"""Django's SQLite backend, making the database file's folder on first connect.

Settings must not touch the disk when imported (a read-only container runs
`manage.py check` too), so the folder of the embedded database (`var/` by
default) is made here, when a connection really opens it.
"""

from pathlib import Path

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        if not self.is_in_memory_db():
            Path(conn_params["database"]).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
