"""A party is anyone who can chat: an app user or a toy. Friend entries describe one to another."""

from typing import NamedTuple

from services.errors import NotFound
from services.store.ids import parse_id

TOY_AVATAR = "toy.jpg"


class Party(NamedTuple):
    """``id`` (24-hex), ``kind`` ("app"/"toy"), ``doc`` (the MongoDB document)."""

    id: str
    kind: str
    doc: dict

    @property
    def nickname(self):
        return self.doc["nickname"] if self.kind == "app" else self.doc["baby_name"]

    @property
    def avatar(self):
        return self.doc.get("avatar") or (TOY_AVATAR if self.kind == "toy" else "")

    @property
    def owner(self):
        """The app user responsible for this party (a toy's owner, or the user itself)."""
        return self.id if self.kind == "app" else self.doc["bind_user"]


def find_party(store, party_id, field):
    """Resolve an id to a Party; raise InvalidInput for a malformed id, NotFound if unknown."""
    oid = parse_id(party_id, field)
    toy = store.toys.by_id(oid)
    if toy is not None:
        return Party(str(oid), "toy", toy)
    user = store.users.by_id(oid)
    if user is not None:
        return Party(str(oid), "app", user)
    raise NotFound(f"{field} not found")


def caller_party(store, caller, field):
    """The caller as a Party: from the document its token check already read, else looked up."""
    if caller.doc is not None:
        return Party(caller.id, caller.kind, caller.doc)
    return find_party(store, caller.id, field)


def find_toy(store, toy_id, field="toy_id"):
    """Resolve a toy id; NotFound when it is not a toy."""
    toy = store.toys.by_id(parse_id(toy_id, field))
    if toy is None:
        raise NotFound(f"{field} not found: no such toy")
    return Party(str(toy["_id"]), "toy", toy)


def friend_entry(friend, chat_id, remark):
    """The entry stored on one side about ``friend`` (SPEC §4 field names)."""
    return {
        "friend_id": friend.id,
        "friend_nick": friend.nickname,
        "friend_remark": remark,
        "friend_avatar": friend.avatar,
        "friend_chat": str(chat_id),
        "friend_type": friend.kind,
    }


def befriend(store, a, b, remark_on_a, remark_on_b):
    """Create a chat and the mutual friend entries between parties ``a`` and ``b``.

    ``remark_on_a`` is what ``a`` calls ``b``; ``remark_on_b`` what ``b`` calls ``a``. Returns the
    chat id. Existing entries are never duplicated.
    """
    chat_id = store.chats.create(a.id, b.id)
    store.friends.add(a.kind, a.doc["_id"], friend_entry(b, chat_id, remark_on_a))
    store.friends.add(b.kind, b.doc["_id"], friend_entry(a, chat_id, remark_on_b))
    return str(chat_id)


def is_friend(party, other_id):
    return any(f.get("friend_id") == str(other_id) for f in party.doc.get("friend_list", []))
