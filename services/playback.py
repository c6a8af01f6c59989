"""SPEC §8 ``play`` / ``/push_music``: a parent makes one of their toys play a catalogue song."""

from services import fields
from services.errors import NotFound


class MusicPush:
    """``store``: the Store; ``toys``: ToyService (ownership); ``notifier``: Notifier."""

    def __init__(self, store, toys, notifier):
        self._store = store
        self._toys = toys
        self._notifier = notifier

    def push(self, caller, body, toy_field="toy_id"):
        """Push ``music`` event ``{from_user, music}`` to the toy named by ``body[toy_field]``.

        Only the toy's owner may (Forbidden otherwise); ``music`` must be a catalogue file
        (NotFound). Returns ``{toy_id, music}``.
        """
        toy = self._toys.owned_toy(caller, fields.text(body, toy_field, max_len=64), toy_field)
        music = fields.text(body, "music", max_len=128)
        if self._store.content.by_music(music) is None:
            raise NotFound("music is not in the content list")
        self._notifier.emit("music", {"from_user": caller.id, "music": music}, to=toy.id)
        return {"toy_id": toy.id, "music": music}
