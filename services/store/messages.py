"""Voice messages (``messages`` collection), one document per message.

``{_id, chat_id, from_user, to_user, message, create_time, read[, msg_key]}``: appending and
paging cost the same whatever the history length (index on ``chat_id, create_time``; unread
lookups use ``to_user, read, from_user``). ``msg_key`` = ``"<from_user>:<msg_id>"`` is set when
the client sent a ``msg_id``; its sparse unique index makes a retried upload store one message.
"""

import time

from pymongo.errors import DuplicateKeyError

NEWEST_FIRST = [("create_time", -1), ("_id", -1)]
OLDEST_FIRST = [("create_time", 1), ("_id", 1)]


class MessageStore:
    def __init__(self, db):
        self._messages = db["messages"]

    def insert(self, doc):
        """Insert a new unread message; return ``(doc, created)``.

        When ``doc`` has a ``msg_key`` already stored, nothing is inserted and the stored
        message is returned with ``created`` False.
        """
        doc = dict(doc, read=False)
        doc.setdefault("create_time", time.time())
        if doc.get("msg_key") is None:
            doc.pop("msg_key", None)
        try:
            doc["_id"] = self._messages.insert_one(doc).inserted_id
        except DuplicateKeyError:
            existing = self.by_key(doc.get("msg_key"))
            if existing is None:
                raise
            return existing, False
        return doc, True

    def by_key(self, msg_key):
        """The message stored under ``msg_key`` (``"<from_user>:<msg_id>"``), or None."""
        if not msg_key:
            return None
        return self._messages.find_one({"msg_key": msg_key})

    def delete(self, message_id):
        self._messages.delete_one({"_id": message_id})

    def page(self, chat_id, before=None, limit=50):
        """The latest ``limit`` messages of ``chat_id`` older than ``before`` (epoch seconds),
        returned oldest first."""
        query = {"chat_id": chat_id}
        if before is not None:
            query["create_time"] = {"$lt": before}
        docs = list(self._messages.find(query, sort=NEWEST_FIRST, limit=limit))
        docs.reverse()
        return docs

    def unread(self, to_user, from_user=None, limit=100):
        """Unread messages addressed to ``to_user`` (from ``from_user`` when given), oldest
        first, at most ``limit``."""
        query = {"to_user": to_user, "read": False}
        if from_user is not None:
            query["from_user"] = from_user
        return list(self._messages.find(query, sort=OLDEST_FIRST, limit=limit))

    def mark_read(self, message_ids):
        """Mark the given messages read; return how many were unread until now."""
        if not message_ids:
            return 0
        result = self._messages.update_many(
            {"_id": {"$in": list(message_ids)}, "read": False},
            {"$set": {"read": True, "read_time": time.time()}})
        return result.modified_count

    def mark_chat_read(self, chat_id, to_user, from_user):
        """Mark every unread message of ``from_user`` to ``to_user`` in ``chat_id`` read; return
        how many changed."""
        result = self._messages.update_many(
            {"to_user": to_user, "read": False, "from_user": from_user, "chat_id": chat_id},
            {"$set": {"read": True, "read_time": time.time()}})
        return result.modified_count

    def unread_by_sender(self, to_user):
        """``{from_user: n}`` of unread messages addressed to ``to_user`` (MongoDB is the truth)."""
        counts = {}
        for doc in self._messages.find({"to_user": to_user, "read": False},
                                       projection={"from_user": 1}):
            counts[doc["from_user"]] = counts.get(doc["from_user"], 0) + 1
        return counts
