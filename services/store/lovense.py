"""Lovense link state on the toy document (``toys.lovense``): device info, app status, tips.

The sub-document lives on the toy, so unbinding (which deletes the toy) forgets the link.
Fields are set one by one (``lovense.<name>``) so a device-info update never wipes tip levels.
"""


class LovenseStore:
    """Writes ``lovense.*`` fields of ``toys`` documents; reads go through the toy store."""

    def __init__(self, db):
        self._toys = db["toys"]

    def update(self, toy_id, fields):
        """Set ``lovense.<key>`` for each of ``fields`` on an existing toy; False if no toy."""
        changes = {f"lovense.{key}": value for key, value in fields.items()}
        return self._toys.update_one({"_id": toy_id}, {"$set": changes}).matched_count > 0

    def get(self, toy_id):
        """The toy's ``lovense`` sub-document, or None (no toy or never linked)."""
        doc = self._toys.find_one({"_id": toy_id}, {"lovense": 1})
        return (doc or {}).get("lovense")
