"""Secondary indexes of the embedded store: one SQLite table per index, kept in step with
every write, and the query planner that turns a filter into an indexed SQL lookup.

An index table holds ``(k0t, k0v, ..., idt, idv, rid)`` rows: for each indexed field its type
rank and value (``matching.index_key``), then the document's ``_id`` key and its row id. An
array field gives one row per element (a multikey index, as in MongoDB). Lookups only narrow
the candidates: every document read is checked against the whole filter again, so the planner
may be conservative but never wrong.
"""

import hashlib
import itertools
import json
from typing import NamedTuple

from services.store.docstore.matching import _is_operator_doc, index_key, path_values

_RANGES = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}


class IndexSpec(NamedTuple):
    name: str
    keys: tuple  # ((field, direction), ...)
    unique: bool
    sparse: bool
    table: str

    @classmethod
    def make(cls, collection, keys, unique, sparse):
        name = "_".join(f"{field}_{direction}" for field, direction in keys)
        digest = hashlib.sha1(f"{collection}/{name}".encode()).hexdigest()[:10]
        return cls(name, tuple(keys), bool(unique), bool(sparse), f"x_{digest}")

    @classmethod
    def from_json(cls, text, table):
        spec = json.loads(text)
        keys = tuple((field, direction) for field, direction in spec["keys"])
        name = "_".join(f"{field}_{direction}" for field, direction in keys)
        return cls(name, keys, spec["unique"], spec["sparse"], table)

    @property
    def fields(self):
        return [field for field, _ in self.keys]

    def columns(self):
        return [c for i in range(len(self.keys)) for c in (f"k{i}t", f"k{i}v")]

    def ddl(self):
        """SQL statements creating the table and its SQLite indexes."""
        cols = self.columns()
        key_cols = ", ".join(cols)
        yield (f'CREATE TABLE IF NOT EXISTS "{self.table}" ({key_cols}, idt, idv, '
               "rid INTEGER NOT NULL)")
        if self.unique:
            yield (f'CREATE UNIQUE INDEX IF NOT EXISTS "{self.table}_u" ON "{self.table}" '
                   f"({key_cols})")
        else:
            yield (f'CREATE INDEX IF NOT EXISTS "{self.table}_k" ON "{self.table}" '
                   f"({key_cols}, idt, idv)")
        yield f'CREATE INDEX IF NOT EXISTS "{self.table}_r" ON "{self.table}" (rid)'

    def to_json(self):
        return json.dumps({"keys": self.keys, "unique": self.unique, "sparse": self.sparse})

    def entries(self, doc):
        """The set of key rows (flat tuples of rank/value pairs) ``doc`` has in this index."""
        per_field, present = [], False
        for field in self.fields:
            values = [v for v in path_values(doc, field) if not isinstance(v, list)]
            if values or field_present(doc, field):
                present = True
            per_field.append({index_key(v) for v in values} or {index_key(None)})
        if self.sparse and not present:
            return set()
        return {tuple(itertools.chain.from_iterable(combo))
                for combo in itertools.product(*per_field)}


def field_present(doc, field):
    return bool(path_values(doc, field))


def _conditions(query):
    """``{field: ("in", [keys]) | ("range", [(sql_op, key)])}`` from the filter's top level."""
    conds = {}
    for field, cond in (query or {}).items():
        if field.startswith("$"):
            continue
        if not _is_operator_doc(cond):
            if not isinstance(cond, (list, dict)):
                conds[field] = ("in", [cond])
            continue
        if "$eq" in cond and not isinstance(cond["$eq"], (list, dict)):
            conds[field] = ("in", [cond["$eq"]])
        elif "$in" in cond and not any(isinstance(v, (list, dict)) for v in cond["$in"]):
            conds[field] = ("in", list(cond["$in"]))
        else:
            ranges = [(_RANGES[op], arg) for op, arg in cond.items() if op in _RANGES]
            if ranges:
                conds[field] = ("range", ranges)
    return conds


class Plan(NamedTuple):
    """An indexed lookup: ``where`` over alias ``x`` of ``index.table`` with ``params``;
    ``equal`` is how many leading keys are pinned to one value each."""

    index: IndexSpec
    where: str
    params: list
    equal: int
    score: tuple


def plan(indexes, query):
    """The best Plan for ``query`` over ``indexes``, or None (full scan)."""
    conds = _conditions(query)
    best = None
    for index in indexes:
        candidate = _plan_one(index, conds)
        if candidate is not None and (best is None or candidate.score > best.score):
            best = candidate
    return best


def _plan_one(index, conds):
    where, params, equal, used, ranged = [], [], 0, 0, False
    for i, field in enumerate(index.fields):
        kind, args = conds.get(field, (None, None))
        if kind == "in":
            if index.sparse and any(v is None for v in args):
                return None
            where.append(_in_clause(i, [index_key(v) for v in args], params))
            used += 1
            if len(args) == 1 and equal == i:
                equal += 1
            continue
        if kind == "range":
            rank = index_key(args[0][1])[0]
            clause = [f"x.k{i}t = ?"]
            params.append(rank)
            for op, arg in args:
                key = index_key(arg)
                if key[0] == rank:
                    clause.append(f"x.k{i}v {op} ?")
                    params.append(key[1])
            where.append(" AND ".join(clause))
            ranged = True
        break
    if not where:
        return None
    return Plan(index, " AND ".join(where), params, equal, (used, ranged, index.unique))


def _in_clause(i, keys, params):
    by_rank = {}
    for rank, value in keys:
        by_rank.setdefault(rank, []).append(value)
    parts = []
    for rank, values in by_rank.items():
        marks = ", ".join("?" * len(values))
        parts.append(f"(x.k{i}t = ? AND x.k{i}v IN ({marks}))")
        params.append(rank)
        params.extend(values)
    if not parts:  # ``$in: []`` matches nothing
        return "0"
    return "(" + " OR ".join(parts) + ")" if len(parts) > 1 else parts[0]


def sort_order(index, equal, sort):
    """SQL ORDER BY over alias ``x`` when ``index`` (after ``equal`` pinned keys) yields the
    documents already in ``sort`` order, else None."""
    fields = index.fields[equal:]
    wanted = list(sort)
    if wanted and wanted[-1][0] == "_id":
        tail = [("idt", wanted[-1][1]), ("idv", wanted[-1][1])]
        wanted = wanted[:-1]
    else:
        tail = []
    if len(wanted) > len(fields) or [f for f, _ in wanted] != fields[:len(wanted)]:
        return None
    if tail and len(wanted) != len(fields):
        return None  # ties would come in the order of the remaining keys, not of _id
    cols = []
    for offset, (_, direction) in enumerate(wanted):
        i = equal + offset
        order = "DESC" if direction < 0 else "ASC"
        cols += [f"x.k{i}t {order}", f"x.k{i}v {order}"]
    cols += [f"x.{col} {'DESC' if direction < 0 else 'ASC'}" for col, direction in tail]
    return ", ".join(cols) if cols else None
