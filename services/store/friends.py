"""Friend entries (embedded in users and toys), friend requests and chats in MongoDB."""

import time

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.errors import Conflict

# Which collection holds a party's friend_list, by party kind.
_KIND_COLLECTION = {"app": "users", "toy": "toys"}


class FriendStore:
    """``friend_list`` arrays on users and toys."""

    def __init__(self, db):
        self._db = db

    def add(self, kind, owner_id, entry):
        """Append ``entry`` unless ``owner_id`` already lists that friend; True if added."""
        result = self._db[_KIND_COLLECTION[kind]].update_one(
            {"_id": owner_id, "friend_list.friend_id": {"$ne": entry["friend_id"]}},
            {"$push": {"friend_list": entry}})
        return result.modified_count == 1

    def remove_everywhere(self, friend_id):
        """Remove every friend entry naming ``friend_id`` from all users and toys."""
        for collection in _KIND_COLLECTION.values():
            self._db[collection].update_many({"friend_list.friend_id": friend_id},
                                             {"$pull": {"friend_list": {"friend_id": friend_id}}})

    def remove(self, kind, owner_id, friend_id):
        self._db[_KIND_COLLECTION[kind]].update_one(
            {"_id": owner_id}, {"$pull": {"friend_list": {"friend_id": friend_id}}})


class RequestStore:
    """The ``friend_requests`` collection."""

    def __init__(self, db):
        self._requests = db["friend_requests"]

    def insert(self, doc):
        """Insert a pending request; raise Conflict if the same pair already has one pending."""
        doc = dict(doc, pending_key=f"{doc['req_user']}>{doc['add_user']}",
                   create_time=time.time())
        try:
            return self._requests.insert_one(doc).inserted_id
        except DuplicateKeyError:
            raise Conflict("a friend request is already pending") from None

    def by_id(self, req_id):
        return self._requests.find_one({"_id": req_id})

    def for_toys(self, toy_ids, limit=200):
        return list(self._requests.find({"add_user": {"$in": list(toy_ids)}},
                                        sort=[("create_time", -1)], limit=limit))

    def answer(self, req_id, status):
        """Atomically move a pending request to ``status``; None if it was not pending."""
        return self._requests.find_one_and_update(
            {"_id": req_id, "status": 0},
            {"$set": {"status": status, "answer_time": time.time()}, "$unset": {"pending_key": ""}},
            return_document=ReturnDocument.AFTER)

    def delete_involving(self, party_id):
        self._requests.delete_many({"$or": [{"req_user": party_id}, {"add_user": party_id}]})


class ChatStore:
    """The ``chats`` collection: ``{_id, user_list: [id, id], create_time}``."""

    def __init__(self, db):
        self._chats = db["chats"]

    def create(self, party_a, party_b):
        return self._chats.insert_one({"user_list": [party_a, party_b],
                                       "create_time": time.time()}).inserted_id

    def by_id(self, chat_id):
        return self._chats.find_one({"_id": chat_id})

    def delete_involving(self, party_id):
        """Delete the chats a party is in (used to undo a failed bind only)."""
        self._chats.delete_many({"user_list": party_id})
