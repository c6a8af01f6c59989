"""Every MongoDB index the server relies on, created in one place at start-up."""

from pymongo import ASCENDING, DESCENDING

INDEXES = {
    "users": [{"keys": [("username", ASCENDING)], "unique": True},
              # sha256 of each live token: the auth lookup finds the caller's document at once
              {"keys": [("tokens.h", ASCENDING)]}],
    "devices": [{"keys": [("device_key", ASCENDING)], "unique": True}],
    "toys": [
        {"keys": [("device_key", ASCENDING)], "unique": True},
        {"keys": [("bind_user", ASCENDING)]},
        {"keys": [("friend_list.friend_id", ASCENDING)]},
        {"keys": [("tokens.h", ASCENDING)]},
    ],
    "tokens": [{"keys": [("sub", ASCENDING)]}],
    "friend_requests": [
        {"keys": [("add_user", ASCENDING), ("status", ASCENDING)]},
        {"keys": [("req_user", ASCENDING)]},
        # Set only while a request is pending: one pending request per (asker, asked) pair.
        {"keys": [("pending_key", ASCENDING)], "unique": True, "sparse": True},
    ],
    "chats": [{"keys": [("user_list", ASCENDING)]}],
    "messages": [
        {"keys": [("chat_id", ASCENDING), ("create_time", DESCENDING)]},
        # "<chat_id>:<seq>": the latest page is a lookup of its last keys (services/store/messages)
        {"keys": [("chat_seq", ASCENDING)]},
        # Present only while unread: unread lookups and counts never touch read history.
        {"keys": [("unread_key", ASCENDING)], "sparse": True},
        {"keys": [("unread_to", ASCENDING)], "sparse": True},
        # "<from_user>:<msg_id>" when the client sent a msg_id: retried uploads store one message.
        {"keys": [("msg_key", ASCENDING)], "unique": True, "sparse": True},
    ],
    "content": [{"keys": [("create_time", DESCENDING)]}],
}


def ensure_indexes(db):
    """Create all indexes (idempotent)."""
    for collection, specs in INDEXES.items():
        for spec in specs:
            options = {k: v for k, v in spec.items() if k != "keys"}
            db[collection].create_index(spec["keys"], **options)
