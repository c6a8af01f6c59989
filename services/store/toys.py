"""Devices (licensed hardware) and toys (bound devices) in MongoDB."""

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.errors import Conflict


class DeviceStore:
    """The ``devices`` collection: ``{device_key, created_at, toy_id?}``."""

    def __init__(self, db):
        self._devices = db["devices"]

    def insert(self, device_key, created_at):
        """Insert a new device; raise Conflict if the key exists."""
        try:
            self._devices.insert_one({"device_key": device_key, "created_at": created_at})
        except DuplicateKeyError:
            raise Conflict("device key already exists") from None

    def get(self, device_key):
        return self._devices.find_one({"device_key": device_key})

    def claim(self, device_key, toy_id):
        """Atomically mark an unbound device as bound to ``toy_id``; None if it was taken."""
        return self._devices.find_one_and_update(
            {"device_key": device_key, "toy_id": None}, {"$set": {"toy_id": toy_id}},
            return_document=ReturnDocument.AFTER)

    def release(self, device_key, toy_id):
        """Make the device bindable again (only if still bound to ``toy_id``)."""
        self._devices.update_one({"device_key": device_key, "toy_id": toy_id},
                                 {"$unset": {"toy_id": ""}})

    def all(self, limit=1000):
        return list(self._devices.find({}, sort=[("_id", 1)], limit=limit))


class ToyStore:
    """The ``toys`` collection."""

    def __init__(self, db):
        self._toys = db["toys"]

    def insert(self, doc):
        try:
            return self._toys.insert_one(doc).inserted_id
        except DuplicateKeyError:
            raise Conflict("this toy is already bound") from None

    def by_id(self, toy_id):
        return self._toys.find_one({"_id": toy_id})

    def by_device(self, device_key):
        return self._toys.find_one({"device_key": device_key})

    def by_owner(self, user_id):
        # Toy ids are random: bind order is create_time.
        return list(self._toys.find({"bind_user": user_id},
                                    sort=[("create_time", 1), ("_id", 1)]))

    def all(self, limit=1000):
        return list(self._toys.find({}, sort=[("_id", 1)], limit=limit))

    def delete(self, toy_id):
        return self._toys.delete_one({"_id": toy_id}).deleted_count

    def set_fields(self, toy_id, fields):
        self._toys.update_one({"_id": toy_id}, {"$set": fields})

    def unset_fields(self, toy_id, names):
        self._toys.update_one({"_id": toy_id}, {"$unset": {n: "" for n in names}})
