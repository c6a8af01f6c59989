"""Query filters, update operators, projections and sort keys on plain documents.

The subset of MongoDB's query language that ``services/store`` uses (SPEC §9), with MongoDB's
semantics: a dotted path reaches into arrays of sub-documents, equality on an array field
matches any element, ``None`` matches a missing field, comparisons only between values of the
same type bracket. Anything outside the subset raises ``OperationFailure`` rather than
silently matching differently from MongoDB.
"""

import copy
import datetime

from bson import ObjectId
from pymongo.errors import OperationFailure

_MISSING = object()


def type_rank(value):
    """MongoDB's cross-type sort order, coarsely: null < numbers < strings < objects < ..."""
    if value is None:
        return 1
    if isinstance(value, bool):
        return 8
    if isinstance(value, (int, float)):
        return 2
    if isinstance(value, str):
        return 3
    if isinstance(value, dict):
        return 4
    if isinstance(value, list):
        return 5
    if isinstance(value, bytes):
        return 6
    if isinstance(value, ObjectId):
        return 7
    if isinstance(value, datetime.datetime):
        return 9
    return 10


def index_key(value):
    """``(rank, value)`` as stored in SQLite index columns: ordered like MongoDB within a type."""
    rank = type_rank(value)
    if rank == 1:
        return 1, 0
    if rank == 8:
        return 8, int(value)
    if rank in (2, 3, 6):
        return rank, value
    if rank == 7:
        return 7, value.binary
    if rank == 9:
        return 9, value.timestamp()
    return rank, repr(value)


def path_values(doc, path):
    """Every value ``path`` reaches in ``doc`` (through arrays); an array is listed itself and
    element by element. Empty when the path is missing."""
    current = [doc]
    for part in path.split("."):
        reached = []
        for node in current:
            if isinstance(node, dict):
                if part in node:
                    reached.append(node[part])
            elif isinstance(node, list):
                if part.isdigit() and int(part) < len(node):
                    reached.append(node[int(part)])
                reached.extend(e[part] for e in node if isinstance(e, dict) and part in e)
        current = reached
    values = []
    for value in current:
        values.append(value)
        if isinstance(value, list):
            values.extend(value)
    return values


def _equal(a, b):
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if type_rank(a) != type_rank(b):
        return False
    return a == b


def _any_equal(values, target):
    if target is None and not values:
        return True
    return any(_equal(v, target) for v in values)


def _compare(values, target, op):
    rank = type_rank(target)
    for value in values:
        if type_rank(value) != rank or isinstance(value, list):
            continue
        if op(value, target):
            return True
    return False


_COMPARISONS = {
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
}


def _is_operator_doc(cond):
    return isinstance(cond, dict) and cond and all(str(k).startswith("$") for k in cond)


def _field_matches(doc, path, cond):
    values = path_values(doc, path)
    if not _is_operator_doc(cond):
        return _any_equal(values, cond)
    for op, arg in cond.items():
        if op == "$eq":
            ok = _any_equal(values, arg)
        elif op == "$ne":
            ok = not _any_equal(values, arg)
        elif op == "$in" and isinstance(arg, InSet):
            ok = arg.contains(values)
        elif op == "$in":
            ok = any(_any_equal(values, a) for a in arg)
        elif op == "$nin":
            ok = not any(_any_equal(values, a) for a in arg)
        elif op in _COMPARISONS:
            ok = _compare(values, arg, _COMPARISONS[op])
        elif op == "$exists":
            ok = bool(values) == bool(arg)
        elif op == "$elemMatch":
            ok = any(isinstance(v, dict) and matches(v, arg)
                     for v in path_values(doc, path) if not isinstance(v, list))
        else:
            raise OperationFailure(f"embedded store: unsupported query operator {op}")
        if not ok:
            return False
    return True


class InSet:
    """The values of a ``$in`` as a set of ``index_key``s: one hash probe per document value
    instead of comparing it with every listed value."""

    def __init__(self, values):
        self.values = list(values)
        self.keys = {index_key(v) for v in self.values}
        self.has_none = any(v is None for v in self.values)

    def __iter__(self):
        return iter(self.values)

    def contains(self, values):
        if not values:
            return self.has_none
        return any(not isinstance(v, (dict, list)) and index_key(v) in self.keys
                   for v in values)


def compile_query(query):
    """``query`` with each scalar ``$in`` list made an InSet (for matching many documents)."""
    if not isinstance(query, dict):
        return query
    out = {}
    for key, cond in query.items():
        if key in ("$or", "$and", "$nor"):
            out[key] = [compile_query(q) for q in cond]
        elif (_is_operator_doc(cond) and isinstance(cond.get("$in"), (list, tuple))
              and not any(isinstance(v, (dict, list)) for v in cond["$in"])):
            out[key] = dict(cond, **{"$in": InSet(cond["$in"])})
        else:
            out[key] = cond
    return out


def matches(doc, query):
    """True when ``doc`` satisfies the filter ``query``."""
    for key, cond in (query or {}).items():
        if key == "$or":
            if not any(matches(doc, q) for q in cond):
                return False
        elif key == "$and":
            if not all(matches(doc, q) for q in cond):
                return False
        elif key == "$nor":
            if any(matches(doc, q) for q in cond):
                return False
        elif key.startswith("$"):
            raise OperationFailure(f"embedded store: unsupported query operator {key}")
        elif not _field_matches(doc, key, cond):
            return False
    return True


def _parent(doc, path, create):
    """The dict holding the last part of ``path`` and that part, or (None, part)."""
    parts = path.split(".")
    node = doc
    for part in parts[:-1]:
        if not isinstance(node, dict):
            return None, parts[-1]
        if part not in node:
            if not create:
                return None, parts[-1]
            node[part] = {}
        node = node[part]
    return (node if isinstance(node, dict) else None), parts[-1]


def _array(doc, path):
    parent, last = _parent(doc, path, create=True)
    if parent is None:
        raise OperationFailure(f"embedded store: cannot reach {path}")
    value = parent.setdefault(last, [])
    if not isinstance(value, list):
        raise OperationFailure(f"embedded store: {path} is not an array")
    return value


def _pull_matches(element, cond):
    if isinstance(cond, dict) and not _is_operator_doc(cond):
        return isinstance(element, dict) and matches(element, cond)
    if _is_operator_doc(cond):
        return _field_matches({"v": element}, "v", cond)
    return _equal(element, cond)


def apply_update(doc, update):
    """Return a changed copy of ``doc`` after the ``$``-operators of ``update``."""
    doc = copy.deepcopy(doc)
    for op, fields in update.items():
        for path, arg in fields.items():
            if path == "_id" or path.startswith("_id."):
                raise OperationFailure("embedded store: _id cannot be updated")
            if op == "$set":
                parent, last = _parent(doc, path, create=True)
                if parent is None:
                    raise OperationFailure(f"embedded store: cannot set {path}")
                parent[last] = copy.deepcopy(arg)
            elif op == "$unset":
                parent, last = _parent(doc, path, create=False)
                if parent is not None:
                    parent.pop(last, None)
            elif op == "$inc":
                parent, last = _parent(doc, path, create=True)
                parent[last] = parent.get(last, 0) + arg
            elif op == "$push":
                _array(doc, path).append(copy.deepcopy(arg))
            elif op == "$addToSet":
                array = _array(doc, path)
                if not any(_equal(e, arg) for e in array):
                    array.append(copy.deepcopy(arg))
            elif op == "$pull":
                array = _array(doc, path)
                array[:] = [e for e in array if not _pull_matches(e, arg)]
            else:
                raise OperationFailure(f"embedded store: unsupported update operator {op}")
    return doc


def upsert_seed(query):
    """The document an upsert starts from: the filter's top-level equalities."""
    seed = {}
    for key, cond in (query or {}).items():
        if key.startswith("$") or "." in key or _is_operator_doc(cond):
            continue
        seed[key] = copy.deepcopy(cond)
    return seed


def project(doc, projection):
    """Apply a MongoDB projection (top-level fields, inclusion or exclusion)."""
    if not projection:
        return doc
    if isinstance(projection, (list, tuple)):
        projection = {f: 1 for f in projection}
    include_id = bool(projection.get("_id", 1))
    fields = {k: v for k, v in projection.items() if k != "_id"}
    if any(fields.values()):
        out = {k.split(".")[0]: doc[k.split(".")[0]] for k in fields if k.split(".")[0] in doc}
        if include_id and "_id" in doc:
            out["_id"] = doc["_id"]
        return out
    out = {k: v for k, v in doc.items() if k not in fields}
    if not include_id:
        out.pop("_id", None)
    return out


def sort_documents(docs, sort):
    """Sort ``docs`` in place by ``[(field, 1|-1), ...]`` (missing sorts as null)."""
    for field, direction in reversed(sort):
        docs.sort(key=lambda d, f=field: _sort_key(d, f), reverse=direction < 0)
    return docs


def _sort_key(doc, field):
    values = [v for v in path_values(doc, field) if not isinstance(v, list)]
    if not values:
        return index_key(None)
    return min(index_key(v) for v in values)
