"""The embedded store's client and database: one SQLite file per database, in WAL mode.

Connections come from a small pool, so the store is usable from any thread (``flask run``'s
threads, gunicorn's, greenlets) and from several processes at once (the server and the
``flask`` CLI): SQLite's locking serializes writers, ``BEGIN IMMEDIATE`` makes each write one
atomic transaction, WAL lets readers run beside a writer and keeps every committed write
across a kill -9 of the process (``synchronous=NORMAL`` only risks the last commits on a power
loss). Nothing is loaded into memory at open: documents stay on disk, read per query.
"""

import contextlib
import re
import sqlite3
import threading
from pathlib import Path

import bson
from pymongo.errors import DuplicateKeyError, OperationFailure

from services.store.docstore.collection import Collection
from services.store.docstore.indexes import IndexSpec
from services.store.docstore.readcache import ReadCache

_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
BUSY_TIMEOUT_S = 10.0


class DocClient:
    """``client[name]`` → Database stored in ``<directory>/<name>.sqlite3``."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._databases = {}
        self._lock = threading.Lock()

    def __getitem__(self, name):
        with self._lock:
            if name not in self._databases:
                self._databases[name] = Database(self.directory / f"{_checked(name)}.sqlite3",
                                                 name)
            return self._databases[name]

    def get_database(self, name):
        return self[name]

    def close(self):
        with self._lock:
            for database in self._databases.values():
                database.close()
            self._databases.clear()


class Database:
    """A pymongo-like database over one SQLite file (``db[name]`` → Collection)."""

    def __init__(self, path, name):
        self.path = Path(path)
        self.name = name
        self._free = []
        self._lock = threading.Lock()
        self._indexes = {}
        self._collections = set()
        self._schema_version = None
        self._watch = None  # a connection that only reads PRAGMA data_version
        self._watch_lock = threading.Lock()
        self._cache, self._cache_version = ReadCache(), None
        with self.connection() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS _indexes (coll TEXT NOT NULL, "
                         "name TEXT NOT NULL, spec TEXT NOT NULL, tbl TEXT NOT NULL, "
                         "PRIMARY KEY (coll, name))")
        with self.transaction():
            pass  # load the index definitions

    # ---- connections ----------------------------------------------------------------------
    def _open(self):
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextlib.contextmanager
    def connection(self):
        """A pooled connection for the duration of one operation."""
        with self._lock:
            conn = self._free.pop() if self._free else None
        if conn is None:
            conn = self._open()
        try:
            yield conn
        finally:
            with self._lock:
                self._free.append(conn)

    @contextlib.contextmanager
    def transaction(self):
        """A connection inside ``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on error)."""
        with self.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._refresh_indexes(conn)
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def read_cache(self):
        """The ReadCache of the file as it is now (a new, empty one once anything committed)."""
        with self._watch_lock:
            if self._watch is None:
                self._watch = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S,
                                              isolation_level=None, check_same_thread=False)
            version = self._watch.execute("PRAGMA data_version").fetchone()[0]
            if version != self._cache_version:
                self._cache, self._cache_version = ReadCache(), version
            return self._cache

    def close(self):
        with self._lock:
            for conn in self._free:
                conn.close()
            self._free.clear()
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
            self._cache, self._cache_version = ReadCache(), None

    # ---- collections and their indexes ----------------------------------------------------
    def __getitem__(self, name):
        if name not in self._collections:
            with self.transaction() as conn:
                conn.execute(f'CREATE TABLE IF NOT EXISTS "c_{_checked(name)}" '
                             "(rid INTEGER PRIMARY KEY, idt, idv, doc BLOB NOT NULL)")
                conn.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "c_{name}_id" '
                             f'ON "c_{name}" (idt, idv)')
            self._collections.add(name)
        return Collection(self, name)

    def indexes(self, collection):
        """The IndexSpecs of ``collection`` (writes refresh this from the file)."""
        return self._indexes.get(collection, ())

    def _refresh_indexes(self, conn):
        """Reload index definitions when another connection changed the schema."""
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        if version == self._schema_version:
            return
        loaded = {}
        for coll, spec, tbl in conn.execute("SELECT coll, spec, tbl FROM _indexes "
                                            "ORDER BY coll, name"):
            loaded.setdefault(coll, []).append(IndexSpec.from_json(spec, tbl))
        self._indexes = {coll: tuple(specs) for coll, specs in loaded.items()}
        self._schema_version = version

    def create_index(self, collection, spec):
        """Create ``spec`` on ``collection`` unless it exists, indexing the documents stored."""
        if spec.name in {i.name for i in self.indexes(collection.name)}:
            return spec.name
        with self.transaction() as conn:
            if spec.name in {i.name for i in self.indexes(collection.name)}:
                return spec.name
            for statement in spec.ddl():
                conn.execute(statement)
            try:
                for rid, idt, idv, blob in conn.execute(
                        f'SELECT rid, idt, idv, doc FROM "c_{collection.name}"').fetchall():
                    collection._add_entries(conn, spec, spec.entries(bson.decode(blob)),
                                            idt, idv, rid)
            except sqlite3.IntegrityError as exc:
                raise DuplicateKeyError(f"E11000 cannot build unique index {spec.name}: "
                                        f"{exc}") from None
            conn.execute("INSERT INTO _indexes (coll, name, spec, tbl) VALUES (?, ?, ?, ?)",
                         (collection.name, spec.name, spec.to_json(), spec.table))
            self._schema_version = None
        with self.transaction():
            pass  # reload the definitions now that the table exists
        return spec.name

    def drop_collection(self, name):
        with self.transaction() as conn:
            for index in self.indexes(name):
                conn.execute(f'DROP TABLE IF EXISTS "{index.table}"')
            conn.execute("DELETE FROM _indexes WHERE coll = ?", (name,))
            conn.execute(f'DROP TABLE IF EXISTS "c_{_checked(name)}"')
            self._schema_version = None
        self._collections.discard(name)

    def list_collection_names(self):
        with self.connection() as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                "AND name LIKE 'c\\_%' ESCAPE '\\'").fetchall()
        return sorted(name[2:] for (name,) in rows)

    def command(self, name, *_args, **_kwargs):
        """``ping`` only: a query on the file, so a broken store answers with an error."""
        if name != "ping":
            raise OperationFailure(f"embedded store: unsupported command {name!r}")
        with self.connection() as conn:
            conn.execute("SELECT count(*) FROM _indexes").fetchone()
        return {"ok": 1.0}


def _checked(name):
    if not _NAME.match(name):
        raise ValueError(f"embedded store: bad database or collection name {name!r}")
    return name
