"""Scanning, binding, listing, unbinding and booting toys."""

import logging
import os
import time

from bson import ObjectId

from services import fields
from services.auth import APP, TOY, require_kind, same_caller
from services.errors import Conflict, Forbidden, NotFound
from services.parties import TOY_AVATAR, Party, befriend, find_toy
from services.store.ids import parse_id
from services.store.serialize import toy_public

log = logging.getLogger(__name__)


class ToyService:
    def __init__(self, store, tokens, unread, notifier):
        self._store = store
        self._tokens = tokens
        self._unread = unread
        self._notifier = notifier
        self.unbind_hooks = []  # callables(toy_doc) run after a toy is unbound
        self.presence = None  # a ToyPresence: ``online`` in list_for (set by the wiring)

    def scan_qr(self, body):
        """SPEC §4 /scan_qr: ``(code, msg, data)``."""
        key = fields.device_key(body)
        device = self._store.devices.get(key)
        if device is None:
            return 1, "Please scan the toy QR code", {}
        if device.get("toy_id"):
            return 2, "Equipment has been bound", {"toy_id": device["toy_id"]}
        return 0, "Successful Scanning of Two-Dimensional Code", {"device_key": key}

    def bind(self, caller, body):
        """Bind a licensed device to the caller; atomic (Conflict for a second binder)."""
        require_kind(caller, APP)
        same_caller(caller, body.get("user_id"), "user_id")
        toy_name = fields.text(body, "toy_name")
        baby_name = fields.text(body, "baby_name")
        key = fields.device_key(body)
        user = self._store.users.by_id(ObjectId(caller.id))
        if user is None:
            raise NotFound("user not found")
        remark = fields.text(body, "remark", required=False, default=user["nickname"])
        device = self._store.devices.get(key)
        if device is None:
            raise NotFound("unknown device_key")
        toy_id = ObjectId(os.urandom(12))  # unguessable, unlike ObjectId()'s counter
        if device.get("toy_id") or not self._store.devices.claim(key, str(toy_id)):
            raise Conflict("this toy is already bound")
        try:
            self._create_toy(user, toy_id, key, toy_name, baby_name, remark)
        except Exception:
            self._undo_bind(user, toy_id, key)
            raise
        return str(toy_id)

    def _create_toy(self, user, toy_id, key, toy_name, baby_name, remark):
        toy = {"_id": toy_id, "device_key": key, "bind_user": str(user["_id"]),
               "toy_name": toy_name, "baby_name": baby_name, "avatar": TOY_AVATAR,
               "friend_list": [], "create_time": time.time()}
        self._store.toys.insert(toy)
        owner = Party(str(user["_id"]), APP, user)
        befriend(self._store, owner, Party(str(toy_id), TOY, toy), toy_name, remark)
        self._store.users.add_toy(user["_id"], str(toy_id))

    def _undo_bind(self, user, toy_id, key):
        log.warning("bind of %s failed, rolling back", key)
        self._store.toys.delete(toy_id)
        self._store.chats.delete_involving(str(toy_id))
        self._store.friends.remove(APP, user["_id"], str(toy_id))
        self._store.users.remove_toy(user["_id"], str(toy_id))
        self._store.devices.release(key, str(toy_id))

    def list_for(self, caller, body):
        """The caller's toys (app token), each with ``online``: connected right now."""
        require_kind(caller, APP)
        same_caller(caller, body.get("_id"), "_id")
        toys = [toy_public(t) for t in self._store.toys.by_owner(caller.id)]
        online = self.presence.online([t["_id"] for t in toys]) if self.presence else {}
        for toy in toys:
            toy["online"] = online.get(toy["_id"], False)
        return toys

    def owned_toy(self, caller, toy_id, field="toy_id"):
        """The toy ``toy_id`` if the caller owns it; NotFound / Forbidden otherwise."""
        require_kind(caller, APP)
        toy = find_toy(self._store, toy_id, field)
        if toy.doc["bind_user"] != caller.id:
            raise Forbidden("this toy is not yours")
        return toy

    def unbind(self, caller, body):
        """Remove the caller's toy, its friendships, tokens and links; free its device."""
        toy = self.owned_toy(caller, fields.text(body, "toy_id", max_len=64))
        self._store.toys.delete(toy.doc["_id"])
        self._store.devices.release(toy.doc["device_key"], toy.id)
        self._store.friends.remove_everywhere(toy.id)
        self._store.users.remove_toy(ObjectId(caller.id), toy.id)
        self._store.requests.delete_involving(toy.id)
        self._tokens.revoke_subject(toy.id)
        self._unread.forget(toy.id)
        self._clear_unread_from(toy.id)
        for hook in self.unbind_hooks:
            hook(toy.doc)
        self._notifier.emit("toy_status", {"toy_id": toy.id, "online": False, "unbound": True},
                            to=caller.id)

    def _clear_unread_from(self, toy_id):
        """Mark the gone toy's unread messages read for every receiver and uncount them (they
        stay in the receivers' history), by the counters' generation protocol."""
        for receiver in self._store.messages.unread_receivers_of(toy_id):
            generation = self._unread.generation(receiver)
            count = self._store.messages.mark_sender_read(receiver, toy_id)
            self._unread.read(receiver, toy_id, count, generation)

    def open_toy(self, body):
        """Toy boot (SPEC §4 /open_toy): the flat response dict."""
        key = fields.device_key(body)
        device = self._store.devices.get(key)
        if device is None:
            return {"code": 2, "music": "Nolic.mp3"}
        toy = self._store.toys.by_device(key)
        if toy is None:
            return {"code": 1, "music": "Nobind.mp3"}
        token = self._tokens.issue(toy["_id"], TOY)
        return {"code": 0, "music": "Success.mp3", "toy_id": str(toy["_id"]),
                "name": toy["toy_name"], "token": token}

    def get(self, toy_id):
        """The toy document; NotFound."""
        toy = self._store.toys.by_id(parse_id(toy_id, "toy_id"))
        if toy is None:
            raise NotFound("toy not found")
        return toy
