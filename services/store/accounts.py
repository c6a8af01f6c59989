"""Users and auth tokens in MongoDB."""

import time

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from services.errors import Conflict


class UserStore:
    """The ``users`` collection."""

    def __init__(self, db):
        self._users = db["users"]

    def insert(self, doc):
        """Insert a new user; raise Conflict when the username is taken."""
        try:
            return self._users.insert_one(doc).inserted_id
        except DuplicateKeyError:
            raise Conflict("username already exists") from None

    def by_username(self, username):
        return self._users.find_one({"username": username})

    def by_id(self, user_id):
        return self._users.find_one({"_id": user_id})

    def all(self, limit=1000):
        return list(self._users.find({}, sort=[("_id", 1)], limit=limit))

    def add_toy(self, user_id, toy_id):
        self._users.update_one({"_id": user_id}, {"$addToSet": {"bind_toys": toy_id}})

    def remove_toy(self, user_id, toy_id):
        self._users.update_one({"_id": user_id}, {"$pull": {"bind_toys": toy_id}})


class TokenStore:
    """Tokens live on the document they authenticate (``users``/``toys``, array ``tokens`` of
    ``{h: sha256(token), exp, at}``: expiry and issue times; indexed on ``tokens.h``), so one
    lookup both checks a token and loads its holder; deleting the entry revokes it for every
    process at once.

    Tokens issued before this layout are in the ``tokens`` collection (``{_id: hash, sub,
    kind, expires_at}``) and keep working until they expire or are revoked."""

    def __init__(self, db, cache=None):
        self._holders = {"app": db["users"], "toy": db["toys"]}
        self._legacy = db["tokens"]
        self._cache = cache  # a holder_cache.HolderCache, or None

    def insert(self, token_hash, sub, kind, expires_at, now=None):
        """Add a token to the holder ``sub`` of ``kind`` (dropping its expired ones); False
        when no such holder exists."""
        holder, oid, now = self._holders[kind], ObjectId(sub), now or time.time()
        holder.update_one({"_id": oid, "tokens.exp": {"$lt": now}},
                          {"$pull": {"tokens": {"exp": {"$lt": now}}}})
        entry = {"h": token_hash, "exp": expires_at, "at": now}
        result = holder.update_one({"_id": oid}, {"$push": {"tokens": entry}})
        return result.matched_count == 1

    def holder(self, kind, token_hash):
        """``(holder document, expiry)`` of a token, or None."""
        if self._cache is not None:
            return self._cache.lookup(kind, token_hash, lambda: self._holder(kind, token_hash))
        return self._holder(kind, token_hash)

    def _holder(self, kind, token_hash):
        doc = self._holders[kind].find_one({"tokens.h": token_hash})
        if doc is None:
            return None
        expiry = next(e["exp"] for e in doc["tokens"] if e.get("h") == token_hash)
        return doc, expiry

    def expiry(self, token_hash, kind):
        """The expiry of a stored token (on its holder or in the former collection), or None."""
        found = self.holder(kind, token_hash)
        if found is not None:
            return found[1]
        doc = self.legacy(token_hash)
        return None if doc is None else doc["expires_at"]

    def expiries(self, token_hashes):
        """``{hash: expiry}`` of those of ``token_hashes`` still stored (one query per
        collection)."""
        wanted, out = set(token_hashes), {}
        for holder in self._holders.values():
            for doc in holder.find({"tokens.h": {"$in": list(wanted)}}, {"tokens": 1}):
                out.update((e["h"], e["exp"]) for e in doc["tokens"] if e.get("h") in wanted)
        for doc in self._legacy.find({"_id": {"$in": list(wanted)}}):
            out[doc["_id"]] = doc["expires_at"]
        return out

    def legacy(self, token_hash):
        """A token of the former ``tokens`` collection, or None."""
        return self._legacy.find_one({"_id": token_hash})

    def delete(self, token_hash, kind=None):
        """Revoke one token; return how many places held it."""
        removed = self._legacy.delete_one({"_id": token_hash}).deleted_count
        for name in ([kind] if kind else self._holders):
            removed += self._holders[name].update_one(
                {"tokens.h": token_hash}, {"$pull": {"tokens": {"h": token_hash}}}).modified_count
        return removed

    def delete_subject(self, sub):
        """Revoke every token of a user or toy."""
        removed = self._legacy.delete_many({"sub": sub}).deleted_count
        if ObjectId.is_valid(sub):
            for holder in self._holders.values():
                removed += holder.update_one({"_id": ObjectId(sub)},
                                             {"$set": {"tokens": []}}).modified_count
        return removed
