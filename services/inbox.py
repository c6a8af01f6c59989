"""SPEC §6 ``/recv_msg``: a toy (or app) collects its unread voice messages.

Each sender's messages come oldest first, preceded by a spoken announcement naming the sender
the way the receiver's friend entry calls them ("You have a message from Mum"). Announcements
are prompt files made once per text by the speech prompt cache. Messages are marked read only
after the whole answer was built, so a failure (e.g. text-to-speech down) loses nothing.
"""

from services import fields
from services.auth import same_caller
from services.messages import message_public
from services.parties import caller_party
from services.store.ids import parse_id

ANNOUNCEMENT = "You have a message from {name}"


def sender_name(party, sender_id):
    """What ``party`` calls ``sender_id``: the friend remark, else nickname, else "a friend"."""
    for entry in party.doc.get("friend_list", []):
        if entry.get("friend_id") == sender_id:
            return entry.get("friend_remark") or entry.get("friend_nick") or "a friend"
    return "a friend"


def group_by_sender(messages):
    """``[(sender, [messages...])]`` in order of each sender's oldest message."""
    groups = {}
    for message in messages:
        groups.setdefault(message["from_user"], []).append(message)
    return list(groups.items())


class Inbox:
    """``store``: the Store; ``unread``: UnreadCounters; ``prompts``: SpokenPrompts
    (``speak(text) -> file name``)."""

    def __init__(self, store, unread, prompts):
        self._store = store
        self._unread = unread
        self._prompts = prompts

    def receive(self, caller, body):
        """Unread messages to the caller as the bare list ``/recv_msg`` answers, marked read.

        ``from_user`` limits them to one sender; ``limit`` (default 100, max 500) bounds one
        answer (the rest stays unread for the next call). Raises InvalidInput, Forbidden
        (``to_user`` is not the caller), Upstream (the announcement could not be spoken).
        """
        same_caller(caller, body.get("to_user"), "to_user")
        party = caller_party(self._store, caller, "to_user")
        from_user = fields.text(body, "from_user", required=False, max_len=64, default=None)
        if from_user is not None:
            from_user = str(parse_id(from_user, "from_user"))
        limit = fields.integer(body, "limit", default=100, minimum=1, maximum=500)
        groups = group_by_sender(self._store.messages.unread(caller.id, from_user, limit))
        answer = []
        for sender, messages in groups:
            prompt = self._prompts.speak(ANNOUNCEMENT.format(name=sender_name(party, sender)))
            answer.append({"from_user": sender, "message": prompt,
                           "create_time": messages[0]["create_time"]})
            answer.extend(message_public(m) for m in messages)
        for sender, messages in groups:
            self._mark_read(caller.id, sender, [m["_id"] for m in messages])
        return answer

    def _mark_read(self, receiver, sender, message_ids):
        generation = self._unread.generation(receiver)
        count = self._store.messages.mark_read(receiver, message_ids)
        self._unread.read(receiver, sender, count, generation)
