"""Voice messages (``messages`` collection), one document per message.

``{_id, chat_id, from_user, to_user, message, create_time, read}``: appending and paging cost
the same whatever the history length (index on ``chat_id, create_time``).
"""


class MessageStore:
    def __init__(self, db):
        self._messages = db["messages"]

    def unread_by_sender(self, to_user):
        """``{from_user: n}`` of unread messages addressed to ``to_user`` (MongoDB is the truth)."""
        counts = {}
        for doc in self._messages.find({"to_user": to_user, "read": False},
                                       projection={"from_user": 1}):
            counts[doc["from_user"]] = counts.get(doc["from_user"], 0) + 1
        return counts
