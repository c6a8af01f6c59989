"""Voice messages between friends (SPEC §6): sending, chat history, unread delivery to toys.

A message is an mp3 of media kind ``chat`` plus one document in ``messages``. Sending is
ordered so that any failure leaves nothing behind: convert (the converter removes its own
partial files), then record the message (the file is removed if that fails), then count it and
push the ``chat`` event (neither can fail the request: Redis falls back to MongoDB, a push is a
hint).
"""

import logging
import time

from services import fields
from services.auth import APP, same_caller
from services.errors import Forbidden, InvalidInput
from services.parties import caller_party, find_party, is_friend
from services.store.ids import parse_id

log = logging.getLogger(__name__)

MESSAGE_FIELDS = ("_id", "chat_id", "from_user", "to_user", "message", "create_time")
KINDS = ("app", "toy")


def message_public(doc):
    """A message as the API returns it."""
    return {f: str(doc[f]) if f == "_id" else doc[f] for f in MESSAGE_FIELDS if f in doc}


def friend_entry(party, friend_id):
    """``party``'s friend entry for ``friend_id``; Forbidden when they are not friends."""
    for entry in party.doc.get("friend_list", []):
        if entry.get("friend_id") == friend_id:
            return entry
    raise Forbidden("you are not friends")


class MessageService:
    """``store``: the Store; ``media``: a MediaStore; ``converter``: an AudioConverter
    (``convert_to_mp3(source, folder)``); ``unread``: UnreadCounters; ``notifier``: Notifier."""

    def __init__(self, store, media, converter, unread, notifier):
        self._store = store
        self._media = media
        self._converter = converter
        self._unread = unread
        self._notifier = notifier

    def send_voice_message(self, caller, body, upload, upload_field):
        """Store ``upload`` as a voice message from the caller to ``body["to_user"]``.

        ``body``: ``to_user``, optional ``friend_type`` (receiver kind), ``user_id`` (= caller),
        ``msg_id`` (idempotency key, per receiver). Returns ``{filename, friend_type}``. Raises
        InvalidInput (400: missing field, too long), Forbidden (403: not friends, not the
        caller), NotFound, TooLarge (413), UnsupportedMedia (415: not audio).
        """
        same_caller(caller, body.get("user_id"), "user_id")
        sender = caller_party(self._store, caller, "user_id")
        receiver_id = str(parse_id(fields.text(body, "to_user", max_len=64), "to_user"))
        if not is_friend(sender, receiver_id):
            raise Forbidden("to_user is not your friend")
        receiver = find_party(self._store, receiver_id, "to_user")
        kind = fields.choice(body, "friend_type", KINDS, required=False, default=receiver.kind)
        if kind != receiver.kind:
            raise InvalidInput(f"friend_type must be {receiver.kind!r} for this to_user")
        msg_id = fields.text(body, "msg_id", required=False, max_len=64, default=None)
        # One message per (sender, receiver, msg_id): the same msg_id to another receiver is
        # another message, never the first one's receipt.
        msg_key = f"{sender.id}:{receiver.id}:{msg_id}" if msg_id else None
        receipt = {"friend_type": APP if sender.kind == APP else receiver.kind}
        stored = self._store.messages.by_key(msg_key)
        if stored is None:
            if upload is None:
                raise InvalidInput(f"{upload_field} is required (an audio file)")
            chat_id = friend_entry(sender, receiver_id).get("friend_chat")
            stored = self._record(sender, receiver, chat_id, upload, msg_key)
        return dict(receipt, filename=stored["message"])

    def _record(self, sender, receiver, chat_id, upload, msg_key):
        """Convert, store, count and push one message; return its document."""
        audio = self._media.add_mp3("chat", self._converter, upload)
        try:
            generation = self._unread.generation(receiver.id)
            doc, created = self._store.messages.insert({
                "chat_id": chat_id, "from_user": sender.id, "to_user": receiver.id,
                "message": audio.name, "create_time": time.time(), "msg_key": msg_key})
        except BaseException:
            self._media.remove("chat", audio.name)
            raise
        if not created:  # a concurrent retry of the same msg_id won
            self._media.remove("chat", audio.name)
            return doc
        unread = self._unread.increment(receiver.id, sender.id, generation)
        if unread is None:
            unread = self._unread.counts(receiver.id).get(sender.id, 0)
        self._notifier.emit("chat", {
            "from_user": sender.id, "to_user": receiver.id, "friend_type": sender.kind,
            "chat_id": chat_id, "chat": audio.name, "create_time": doc["create_time"],
            "unread": unread}, to=receiver.id)
        return doc

    def chat_history(self, caller, body):
        """SPEC §6 ``/chat_list``: a page of the chat, oldest first; marks ``from_user``'s
        messages to the caller read. Raises InvalidInput, NotFound, Forbidden (not a member)."""
        same_caller(caller, body.get("to_user"), "to_user")
        chat_id = str(parse_id(fields.text(body, "chat_id", max_len=64), "chat_id"))
        chat = self._store.chats.by_id(parse_id(chat_id, "chat_id"))
        members = [str(m) for m in (chat or {}).get("user_list", [])]
        if chat is None or caller.id not in members:
            raise Forbidden("you are not in this chat")
        others = [m for m in members if m != caller.id] or [caller.id]
        from_user = fields.text(body, "from_user", required=False, max_len=64, default=others[0])
        if from_user not in members:
            raise InvalidInput("from_user is not in this chat")
        before = fields.number(body, "before")
        limit = fields.integer(body, "limit", default=50, minimum=1, maximum=200)
        page = self._store.messages.page(chat_id, before, limit)
        if from_user != caller.id:
            self.mark_read_from(caller.id, from_user)
        return [message_public(m) for m in page]

    def mark_read_from(self, receiver, sender):
        """Mark every unread message of ``sender`` to ``receiver`` read and uncount them."""
        generation = self._unread.generation(receiver)
        count = self._store.messages.mark_sender_read(receiver, sender)
        self._unread.read(receiver, sender, count, generation)
