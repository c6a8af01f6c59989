"""Songs and stories (``content`` collection) and the catalogue's version.

The version is a random token in ``catalogue_version`` (one document), replaced after every
catalogue write, so every process (the server's, the ``flask`` CLI's, other servers on the same
MongoDB) can tell with one ``_id`` read whether a page it rendered earlier is still current.
"""

import secrets

from pymongo.errors import DuplicateKeyError

VERSION_ID = "content"


class ContentStore:
    def __init__(self, db):
        self._content = db["content"]
        self._versions = db["catalogue_version"]

    def insert(self, doc):
        inserted = self._content.insert_one(doc).inserted_id
        self._bump()
        return inserted

    def page(self, skip, limit):
        """Newest first."""
        return list(self._content.find({}, sort=[("create_time", -1), ("_id", -1)],
                                       skip=skip, limit=limit))

    def by_music(self, music):
        return self._content.find_one({"music": music})

    def titles(self, limit=5000):
        """``[{_id, title, music}]`` for matching spoken requests."""
        return list(self._content.find({}, projection={"title": 1, "music": 1}, limit=limit))

    def version(self):
        """The catalogue's current version token (created on first use)."""
        found = self._versions.find_one({"_id": VERSION_ID})
        if found is not None:
            return found["v"]
        try:
            token = _new_version()
            self._versions.insert_one({"_id": VERSION_ID, "v": token})
            return token
        except DuplicateKeyError:  # another process created it first
            return self._versions.find_one({"_id": VERSION_ID})["v"]

    def _bump(self):
        """Call after every catalogue write: pages rendered before it stop being current."""
        self._versions.update_one({"_id": VERSION_ID}, {"$set": {"v": _new_version()}},
                                  upsert=True)


def _new_version():
    return secrets.token_hex(8)
