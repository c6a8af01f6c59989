"""A collection of the embedded store: the pymongo ``Collection`` subset ``services/store`` uses.

Documents are BSON blobs in table ``c_<name>`` (``rid`` row id, ``idt``/``idv`` the ``_id``
key, unique). Reads pick an index (``indexes.plan``) or scan; a sort an index already yields is
read in index order and stops at ``skip + limit`` matches, so paged reads cost the page, not
the collection. Each write is one SQLite transaction (``BEGIN IMMEDIATE``): atomic across
threads and processes, and durable across a kill (WAL).
"""

import sqlite3

import bson
from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError
from pymongo.results import DeleteResult, InsertManyResult, InsertOneResult, UpdateResult

from services.store.docstore import indexes as ix
from services.store.docstore.matching import (
    apply_update,
    compile_query,
    index_key,
    matches,
    project,
    sort_documents,
    upsert_seed,
)
from services.store.docstore.readcache import cache_key


class Collection:
    """One collection; built by ``Database[name]``."""

    def __init__(self, database, name):
        self.database = database
        self.name = name
        self._table = f'"c_{name}"'

    # ---- reads ----------------------------------------------------------------------------
    def find(self, filter=None, projection=None, skip=0, limit=0, sort=None):  # noqa: A002
        """Matching documents as a list (pymongo's keyword arguments; no open cursor)."""
        filter = _as_filter(filter)  # noqa: A001
        sort = _sort_spec(sort)
        cache = self.database.read_cache()
        key = cache_key(self.name, filter, skip, limit, sort)
        found = cache.get(key)
        if found is None:
            blobs = {}
            with self.database.connection() as conn:
                docs = self._find(conn, filter, skip, limit, sort, blobs)
            cache.put(key, [blobs[rid] for rid, _ in docs])
        else:
            docs = [(None, bson.decode(blob)) for blob in found]
        return [project(d, projection) for _, d in docs]

    def find_one(self, filter=None, projection=None, sort=None):  # noqa: A002
        docs = self.find(filter, projection, limit=1, sort=sort)
        return docs[0] if docs else None

    def count_documents(self, filter):  # noqa: A002
        return len(self.find(filter, {"_id": 1}))

    def _find(self, conn, query, skip=0, limit=0, sort=None, blobs=None):
        """``[(rid, doc)]`` of documents matching ``query`` (``blobs``: a dict that receives
        each found document's stored BSON by rid)."""
        indexes = self.database.indexes(self.name)
        id_key = _id_lookup(query)
        if id_key is not None:
            return self._collect(self._by_ids(conn, id_key), query, skip, limit, sort, blobs)
        plan = ix.plan(indexes, query)
        if sort:
            ordered = self._ordered_rows(conn, indexes, plan, sort)
            if ordered is not None:
                return self._collect(ordered, query, skip, limit, None, blobs)
        if plan is not None:
            rows = conn.execute(
                f"SELECT d.rid, d.doc FROM {self._table} d WHERE d.rid IN "
                f'(SELECT x.rid FROM "{plan.index.table}" x WHERE {plan.where})', plan.params)
        elif "$or" in query and len(query) == 1:
            rows = self._or_rows(conn, indexes, query["$or"])
        else:
            rows = conn.execute(f"SELECT rid, doc FROM {self._table} ORDER BY rid")
        return self._collect(rows, query, skip, limit, sort, blobs)

    def _ordered_rows(self, conn, indexes, plan, sort):
        """Rows in ``sort`` order straight from an index, or None when none yields it."""
        found = _order_plan(indexes, plan, sort)
        if found is None:
            return None
        candidate, order = found
        if candidate is None:
            return conn.execute(f"SELECT rid, doc FROM {self._table} ORDER BY {order}")
        return conn.execute(
            f'SELECT d.rid, d.doc FROM "{candidate.index.table}" x JOIN {self._table} d '
            f"ON d.rid = x.rid WHERE {candidate.where} ORDER BY {order}", candidate.params)

    def explain(self, filter=None, sort=None):  # noqa: A002
        """How ``find`` would read: ``{"index": name or None (scan), "ordered": bool}`` (an
        ordered read stops after the page instead of sorting every match)."""
        query, sort = _as_filter(filter), _sort_spec(sort)
        if _id_lookup(query) is not None:
            return {"index": "_id_", "ordered": False}
        indexes = self.database.indexes(self.name)
        plan = ix.plan(indexes, query)
        found = _order_plan(indexes, plan, sort) if sort else None
        if found is not None:
            candidate = found[0]
            name = "_id_" if candidate is None else candidate.index.name
            return {"index": name, "ordered": True}
        if plan is None and "$or" in query and len(query) == 1:
            plans = [ix.plan(indexes, _as_filter(b)) for b in query["$or"]]
            if all(p is not None for p in plans):
                return {"index": [p.index.name for p in plans], "ordered": False}
        return {"index": None if plan is None else plan.index.name, "ordered": False}

    def _or_rows(self, conn, indexes, branches):
        plans = [ix.plan(indexes, _as_filter(b)) for b in branches]
        if any(p is None for p in plans):
            return conn.execute(f"SELECT rid, doc FROM {self._table} ORDER BY rid")
        rids = set()
        for p in plans:
            rids.update(r for (r,) in conn.execute(
                f'SELECT x.rid FROM "{p.index.table}" x WHERE {p.where}', p.params))
        return self._by_rids(conn, sorted(rids))

    def _by_ids(self, conn, keys):
        rows = []
        for rank, value in keys:
            rows += conn.execute(f"SELECT rid, doc FROM {self._table} WHERE idt = ? AND idv = ?",
                                 (rank, value)).fetchall()
        return rows

    def _by_rids(self, conn, rids):
        rows = []
        for start in range(0, len(rids), 500):
            chunk = rids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            rows += conn.execute(f"SELECT rid, doc FROM {self._table} WHERE rid IN ({marks})",
                                 chunk).fetchall()
        return rows

    @staticmethod
    def _collect(rows, query, skip, limit, sort, blobs=None):
        """Decode, filter, then sort (when not already sorted), skip and limit."""
        found, seen = [], set()
        query = compile_query(query)
        stop = None if sort or not limit else skip + limit
        for rid, blob in rows:
            if rid in seen:
                continue
            seen.add(rid)
            doc = bson.decode(blob)
            if not query or matches(doc, query):
                found.append((rid, doc))
                if blobs is not None:
                    blobs[rid] = blob
                if stop is not None and len(found) >= stop:
                    break
        if hasattr(rows, "close"):
            rows.close()
        if sort:
            by_doc = sort_documents([d for _, d in found], sort)
            rid_of = {id(d): r for r, d in found}
            found = [(rid_of[id(d)], d) for d in by_doc]
        found = found[skip:]
        return found[:limit] if limit else found

    # ---- writes ---------------------------------------------------------------------------
    def insert_one(self, document):
        """Insert ``document`` (an ``_id`` is added to it when missing, as pymongo does)."""
        document.setdefault("_id", ObjectId())
        with self.database.transaction() as conn:
            self._insert(conn, document)
        return InsertOneResult(document["_id"], True)

    def insert_many(self, documents):
        """Insert ``documents`` in one transaction (all or none)."""
        documents = list(documents)
        with self.database.transaction() as conn:
            for document in documents:
                document.setdefault("_id", ObjectId())
                self._insert(conn, document)
        return InsertManyResult([d["_id"] for d in documents], True)

    def update_one(self, filter, update, upsert=False):  # noqa: A002
        return self._update(_as_filter(filter), update, upsert, many=False)

    def update_many(self, filter, update, upsert=False):  # noqa: A002
        return self._update(_as_filter(filter), update, upsert, many=True)

    def find_one_and_update(self, filter, update, projection=None, sort=None,  # noqa: A002
                            upsert=False, return_document=ReturnDocument.BEFORE):
        filter = _as_filter(filter)  # noqa: A001
        with self.database.transaction() as conn:
            found = self._find(conn, filter, limit=1, sort=_sort_spec(sort))
            if found:
                rid, before = found[0]
                after = apply_update(before, update)
                self._replace(conn, rid, before, after)
            elif upsert:
                before, after = None, apply_update(upsert_seed(filter), update)
                after.setdefault("_id", ObjectId())
                self._insert(conn, after)
            else:
                return None
        result = after if return_document else before
        return None if result is None else project(result, projection)

    def delete_one(self, filter):  # noqa: A002
        return self._delete(_as_filter(filter), limit=1)

    def delete_many(self, filter):  # noqa: A002
        return self._delete(_as_filter(filter), limit=0)

    def create_index(self, keys, unique=False, sparse=False, **_options):
        """Create (or find) the index on ``keys`` and return its name."""
        if isinstance(keys, str):
            keys = [(keys, 1)]
        spec = ix.IndexSpec.make(self.name, [(f, int(d)) for f, d in keys], unique, sparse)
        return self.database.create_index(self, spec)

    def drop(self):
        self.database.drop_collection(self.name)

    def _update(self, query, update, upsert, many):
        with self.database.transaction() as conn:
            found = self._find(conn, query, limit=0 if many else 1)
            modified = 0
            for rid, before in found:
                after = apply_update(before, update)
                modified += self._replace(conn, rid, before, after)
            raw = {"n": len(found), "nModified": modified}
            if not found and upsert:
                doc = apply_update(upsert_seed(query), update)
                doc.setdefault("_id", ObjectId())
                self._insert(conn, doc)
                raw.update(n=1, upserted=doc["_id"])
        return UpdateResult(raw, True)

    def _delete(self, query, limit):
        with self.database.transaction() as conn:
            found = self._find(conn, query, limit=limit)
            for rid, _ in found:
                conn.execute(f"DELETE FROM {self._table} WHERE rid = ?", (rid,))
                for index in self.database.indexes(self.name):
                    conn.execute(f'DELETE FROM "{index.table}" WHERE rid = ?', (rid,))
        return DeleteResult({"n": len(found)}, True)

    def _insert(self, conn, doc):
        idt, idv = index_key(doc["_id"])
        try:
            rid = conn.execute(f"INSERT INTO {self._table} (idt, idv, doc) VALUES (?, ?, ?)",
                               (idt, idv, bson.encode(doc))).lastrowid
            for index in self.database.indexes(self.name):
                self._add_entries(conn, index, index.entries(doc), idt, idv, rid)
        except sqlite3.IntegrityError as exc:
            raise DuplicateKeyError(f"E11000 duplicate key in {self.name}: {exc}") from None
        return rid

    def _replace(self, conn, rid, before, after):
        """Store ``after`` in place of ``before``; 1 when it changed, else 0."""
        blob = bson.encode(after)
        if blob == bson.encode(before):
            return 0
        idt, idv = index_key(after["_id"])
        try:
            conn.execute(f"UPDATE {self._table} SET doc = ? WHERE rid = ?", (blob, rid))
            for index in self.database.indexes(self.name):
                old, new = index.entries(before), index.entries(after)
                if old != new:
                    conn.execute(f'DELETE FROM "{index.table}" WHERE rid = ?', (rid,))
                    self._add_entries(conn, index, new, idt, idv, rid)
        except sqlite3.IntegrityError as exc:
            raise DuplicateKeyError(f"E11000 duplicate key in {self.name}: {exc}") from None
        return 1

    @staticmethod
    def _add_entries(conn, index, entries, idt, idv, rid):
        if not entries:
            return
        cols = index.columns()
        marks = ", ".join("?" * (len(cols) + 3))
        conn.executemany(
            f'INSERT INTO "{index.table}" ({", ".join(cols)}, idt, idv, rid) VALUES ({marks})',
            [(*entry, idt, idv, rid) for entry in entries])


def _order_plan(indexes, plan, sort):
    """``(Plan or None for the primary key, ORDER BY)`` of an index read that yields ``sort``
    order, or None. With a selective ``plan`` only its own index may give the order; without
    one the whole collection is read anyway, so in the order of any full index."""
    if plan is not None:
        order = ix.sort_order(plan.index, plan.equal, sort)
        return None if order is None else (plan, order)
    if [f for f, _ in sort] == ["_id"]:
        order = "DESC" if sort[0][1] < 0 else "ASC"
        return None, f"idt {order}, idv {order}"
    for index in indexes:
        if not index.sparse:
            order = ix.sort_order(index, 0, sort)
            if order is not None:
                return ix.Plan(index, "1", [], 0, ()), order
    return None


def _as_filter(value):
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    return {"_id": value}


def _sort_spec(sort):
    if not sort:
        return None
    if isinstance(sort, str):
        return [(sort, 1)]
    return [(field, int(direction)) for field, direction in sort]


def _id_lookup(query):
    """The ``_id`` keys a filter pins (equality or ``$in``), or None."""
    if "_id" not in query:
        return None
    cond = query["_id"]
    if isinstance(cond, dict):
        if set(cond) == {"$in"}:
            values = cond["$in"]
        elif set(cond) == {"$eq"}:
            values = [cond["$eq"]]
        else:
            return None
    elif isinstance(cond, list):
        return None
    else:
        values = [cond]
    return list(dict.fromkeys(index_key(v) for v in values if not isinstance(v, (dict, list))))
