"""Users and auth tokens in MongoDB."""

import time

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
    """The ``tokens`` collection: ``{_id: sha256(token), sub, kind, expires_at}``."""

    def __init__(self, db):
        self._tokens = db["tokens"]

    def insert(self, token_hash, sub, kind, expires_at):
        self._tokens.insert_one({"_id": token_hash, "sub": sub, "kind": kind,
                                 "created_at": time.time(), "expires_at": expires_at})

    def get(self, token_hash):
        return self._tokens.find_one({"_id": token_hash})

    def get_many(self, token_hashes):
        return list(self._tokens.find({"_id": {"$in": list(token_hashes)}}))

    def delete(self, token_hash):
        return self._tokens.delete_one({"_id": token_hash}).deleted_count

    def delete_subject(self, sub):
        return self._tokens.delete_many({"sub": sub}).deleted_count
