"""Songs and stories (``content`` collection)."""


class ContentStore:
    def __init__(self, db):
        self._content = db["content"]

    def insert(self, doc):
        return self._content.insert_one(doc).inserted_id

    def page(self, skip, limit):
        """Newest first."""
        return list(self._content.find({}, sort=[("create_time", -1), ("_id", -1)],
                                       skip=skip, limit=limit))

    def by_music(self, music):
        return self._content.find_one({"music": music})

    def titles(self, limit=5000):
        """``[{_id, title, music}]`` for matching spoken requests."""
        return list(self._content.find({}, projection={"title": 1, "music": 1}, limit=limit))
