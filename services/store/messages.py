"""Voice messages (``messages`` collection), one document per message.

``{_id, chat_id, seq, chat_seq, from_user, to_user, message, create_time, read[, msg_key]
[, unread_key, unread_to]}``. Every hot query is an equality lookup on a selective key, so its
cost does not grow with history, on MongoDB (indexes) and on the embedded store alike (its
hash indexes copy every candidate set a filter names, so a filter on ``chat_id`` alone would
cost as much as the chat is long):

- ``chat_seq`` = ``"<chat_id>:<seq>"``, ``seq`` numbering the chat's messages from 1 (allocated
  in ``chat_seqs``): the latest page is ``$in`` of the last ``limit`` keys.
- ``unread_key`` = ``"<to_user>:<from_user>"`` and ``unread_to`` exist only while the message is
  unread: unread lookups and counts touch unread messages only.
- ``msg_key`` = ``"<from_user>:<to_user>:<msg_id>"`` when the client sent a ``msg_id``; its
  sparse unique index makes a retried upload store one message.
"""

import time

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

NEWEST_FIRST = [("create_time", -1), ("_id", -1)]
UNREAD_FIELDS = {"unread_key": "", "unread_to": ""}


def _oldest_first(docs):
    return sorted(docs, key=lambda d: (d["create_time"], d.get("seq", 0)))


class MessageStore:
    def __init__(self, db):
        self._messages = db["messages"]
        self._seqs = db["chat_seqs"]

    def insert(self, doc):
        """Insert a new unread message; return ``(doc, created)``.

        When ``doc`` has a ``msg_key`` already stored, nothing is inserted and the stored
        message is returned with ``created`` False.
        """
        doc = {k: v for k, v in doc.items() if v is not None}
        existing = self.by_key(doc.get("msg_key"))
        if existing is not None:
            return existing, False
        seq = self._next_seq(doc["chat_id"])
        doc.update(seq=seq, chat_seq=f"{doc['chat_id']}:{seq}", read=False,
                   unread_key=f"{doc['to_user']}:{doc['from_user']}", unread_to=doc["to_user"])
        doc.setdefault("create_time", time.time())
        try:
            doc["_id"] = self._messages.insert_one(doc).inserted_id
        except DuplicateKeyError:
            existing = self.by_key(doc.get("msg_key"))
            if existing is None:
                raise
            return existing, False
        return doc, True

    def _next_seq(self, chat_id):
        counter = self._seqs.find_one_and_update({"_id": chat_id}, {"$inc": {"seq": 1}},
                                                 upsert=True,
                                                 return_document=ReturnDocument.AFTER)
        return int(counter["seq"])

    def by_key(self, msg_key):
        """The message stored under ``msg_key`` (``"<from_user>:<to_user>:<msg_id>"``), or None."""
        if not msg_key:
            return None
        return self._messages.find_one({"msg_key": msg_key})

    def page(self, chat_id, before=None, limit=50):
        """The latest ``limit`` messages of ``chat_id`` older than ``before`` (a message's
        ``create_time``, epoch seconds), oldest first."""
        if before is None:
            counter = self._seqs.find_one({"_id": chat_id})
            return self._window(chat_id, (counter or {}).get("seq", 0) + 1, limit)
        anchor = self._messages.find_one({"chat_id": chat_id, "create_time": before},
                                         projection={"seq": 1})
        if anchor is not None and anchor.get("seq"):
            return self._window(chat_id, anchor["seq"], limit)
        # A time that is no message's: a range query (indexed on MongoDB).
        docs = self._messages.find({"chat_id": chat_id, "create_time": {"$lt": before}},
                                   sort=NEWEST_FIRST, limit=limit)
        return _oldest_first(docs)

    def _window(self, chat_id, end, limit):
        """Up to ``limit`` messages with ``seq`` below ``end``, newest ``seq`` values first
        looked up; looks further back only over gaps (a number whose insert failed)."""
        found, high = [], end
        while len(found) < limit and high > 1:
            low = max(1, high - (limit - len(found)))
            keys = [f"{chat_id}:{seq}" for seq in range(low, high)]
            found += self._messages.find({"chat_seq": {"$in": keys}})
            high = low
        return _oldest_first(found)[-limit:] if found else []

    def unread(self, to_user, from_user=None, limit=100):
        """Unread messages addressed to ``to_user`` (from ``from_user`` when given), oldest
        first, at most ``limit``."""
        if from_user is None:
            query = {"unread_to": to_user}
        else:
            query = {"unread_key": f"{to_user}:{from_user}"}
        return list(self._messages.find(query, sort=[("create_time", 1), ("seq", 1)],
                                        limit=limit))

    def mark_read(self, to_user, message_ids):
        """Mark the given unread messages to ``to_user`` read; return how many changed."""
        if not message_ids:
            return 0
        result = self._messages.update_many(
            {"_id": {"$in": list(message_ids)}, "unread_to": to_user},
            {"$set": {"read": True, "read_time": time.time()}, "$unset": UNREAD_FIELDS})
        return result.modified_count

    def mark_sender_read(self, to_user, from_user):
        """Mark every unread message of ``from_user`` to ``to_user`` read; return how many."""
        result = self._messages.update_many(
            {"unread_key": f"{to_user}:{from_user}"},
            {"$set": {"read": True, "read_time": time.time()}, "$unset": UNREAD_FIELDS})
        return result.modified_count

    def unread_receivers_of(self, from_user):
        """The parties that still have unread messages from ``from_user``."""
        docs = self._messages.find({"from_user": from_user, "unread_to": {"$exists": True}},
                                   projection={"unread_to": 1})
        return sorted({doc["unread_to"] for doc in docs})

    def unread_by_sender(self, to_user):
        """``{from_user: n}`` of unread messages addressed to ``to_user`` (MongoDB is the truth)."""
        counts = {}
        for doc in self._messages.find({"unread_to": to_user}, projection={"from_user": 1}):
            counts[doc["from_user"]] = counts.get(doc["from_user"], 0) + 1
        return counts
