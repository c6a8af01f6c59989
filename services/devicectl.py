"""Device control (SPEC §10): link a toy to Lovense and forward its owner's commands.

Transport per command: LAN (the Remote app's HTTPS server) when the toy has fresh LAN info and
LOVENSE_LAN_ENABLED; a LAN connection failure or timeout falls back to the server API
(api/lan/v2/command, Function/Pattern/Preset only, developer token set); otherwise an open Basic
Socket API session. A Lovense error code is final (the app answered): 502 + ``lovense_code``.
"""

import logging
import time

from services import fields
from services.clients.lovense_lan import LanUnreachable, parse_lan_domain
from services.errors import Conflict, InvalidInput, NotFound, Upstream, UpstreamTimeout
from services.lovense import tips
from services.lovense.commands import SERVER_COMMANDS, build_command, shape_result
from services.lovense.linking import device_info, utoken_for, verify_utoken
from services.lovense.values import integer, required
from services.store.ids import parse_id

log = logging.getLogger(__name__)


def is_stop(command):
    """Stopping never waits behind other commands."""
    return (command.get("command") == "Function" and command.get("action") == "Stop") or \
        (command.get("command") == "PatternV2" and command.get("type") == "Stop")


def known_toys(command, info):
    """GetToys / GetToyName answered from stored device info, in the LAN answer's shape."""
    toys = info.get("toys") or {}
    if command["command"] == "GetToyName":
        return {"code": 200, "data": [t.get("name") for t in toys.values()], "type": "OK"}
    return {"code": 200, "type": "OK", "data": {
        "toys": toys, "platform": info.get("platform"), "appType": info.get("appType")}}


class DeviceControl:
    def __init__(self, toys, links, clients, sessions, notifier, pacer, *, secret,
                 lan_enabled=True, fresh_seconds=600, clock=time.time):
        self._toys, self._links, self._sessions = toys, links, sessions
        self._lan, self._api = clients.lan, clients.api
        self._notifier, self._pacer, self._secret = notifier, pacer, secret
        self._lan_enabled, self._fresh, self._clock = lan_enabled, fresh_seconds, clock

    def _owned(self, caller, body):
        return self._toys.owned_toy(caller, fields.text(body, "toy_id", max_len=64))

    def _require_api(self):
        if not self._api.configured:
            raise Upstream("Lovense is not configured on this server (LOVENSE_DEVELOPER_TOKEN)")

    def qr(self, caller, body):
        """getQrCode for the caller's toy → ``{qr, code}``."""
        toy = self._owned(caller, body)
        self._require_api()
        return self._api.get_qr_code(toy.id, toy.doc["toy_name"], utoken_for(self._secret, toy.id))

    def callback(self, body):
        """Store the Remote app's device info on the toy named by ``uid`` and tell its owner.

        Raises Forbidden (nothing stored) unless ``utoken`` is ours for ``uid``.
        """
        uid = body.get("uid")
        verify_utoken(self._secret, uid, body.get("utoken"))
        toy = self._toys.get(uid)
        info = device_info(body, self._clock())
        before = {k: v for k, v in (toy.get("lovense") or {}).items() if k != "updated_at"}
        if not self._links.update(toy["_id"], info):
            raise NotFound("toy not found")
        if any(before.get(k) != v for k, v in info.items() if k != "updated_at"):
            self._notifier.emit("lovense", {"toy_id": uid, **info}, to=toy["bind_user"])

    def control(self, caller, body):
        """Validate and send one command for the caller's toy → ``{transport, result}``."""
        toy = self._owned(caller, body)
        command = build_command({k: v for k, v in body.items() if k != "toy_id"})
        return self.send(toy, command)

    def send(self, toy, command):
        """Send a validated LAN body over the first transport that works (see module doc)."""
        self._pacer.wait_turn(toy.id, urgent=is_stop(command))
        info = toy.doc.get("lovense") or {}
        lan_error = None
        if self._lan_usable(info):
            try:
                answer = self._lan.command(info["domain"], info["httpsPort"], command)
                return {"transport": "lan", "result": shape_result(command, answer)}
            except (LanUnreachable, UpstreamTimeout) as exc:
                log.info("toy %s: LAN failed (%s), falling back", toy.id, type(exc).__name__)
                lan_error = exc
        if command["command"] in SERVER_COMMANDS and self._api.configured:
            return {"transport": "server", "result": self._api.command(toy.id, command)}
        if self._sessions.connected(toy.id) is not None:
            if command["command"] in ("GetToys", "GetToyName"):
                # The socket API has no answers: the toys are the last device info it pushed.
                return {"transport": "socket", "result": known_toys(command, info)}
            self._sessions.send(toy.id, command)
            return {"transport": "socket", "result": {"sent": True}}
        if lan_error is not None:
            raise lan_error
        raise Conflict(f"{command['command']} needs a LAN link (scan the /lovense/qr code in "
                       "Lovense Remote on the same network) or a /lovense/socket/start session")

    def _lan_usable(self, info):
        if not self._lan_enabled or not info.get("domain") or not info.get("httpsPort"):
            return False
        if self._clock() - float(info.get("updated_at") or 0) > self._fresh:
            return False
        try:
            parse_lan_domain(info["domain"])
        except InvalidInput:
            return False
        return True

    def start_socket(self, caller, body):
        """Open the Basic Socket API session for the caller's toy → ``{qr, qrcode, ackId}``."""
        toy = self._owned(caller, body)
        self._require_api()
        return self._sessions.start(toy.id, caller.id, toy.doc["toy_name"],
                                    utoken_for(self._secret, toy.id))

    def cam_token(self, caller, body):
        """Cam Kit model token for the caller's toy → ``{mId, mToken, settings_url,
        model_js_url}``."""
        toy = self._owned(caller, body)
        self._require_api()
        model = self._api.cam_model_token(toy.id, toy.doc.get("baby_name") or toy.doc["toy_name"])
        return {**model, **self._api.cam_urls(model["mToken"])}

    def tip_levels(self, caller, body):
        """Set the toy's tip levels when ``levels`` is given; return the levels in force."""
        toy = self._owned(caller, body)
        if body.get("levels") not in (None, ""):
            levels = tips.parse_levels(body["levels"])
            self._links.update(parse_id(toy.id, "toy_id"), {"tip_levels": levels})
            return {"levels": levels, "default": False}
        stored = (toy.doc.get("lovense") or {}).get("tip_levels")
        return {"levels": stored or tips.DEFAULT_LEVELS, "default": not stored}

    def tip(self, caller, body):
        """Run the toy at the tip level ``amount`` falls in → ``{level, transport, result}``."""
        toy = self._owned(caller, body)
        amount = integer(required(body, "amount"), "amount", 1, tips.MAX_TOKENS)
        tipper = fields.text(body, "tipper", required=False, max_len=64)
        levels = (toy.doc.get("lovense") or {}).get("tip_levels") or tips.DEFAULT_LEVELS
        level = tips.level_for(levels, amount)
        if level is None:
            return {"amount": amount, "tipper": tipper, "level": None, "transport": None,
                    "result": None}
        sent = self.send(toy, tips.tip_command(level))
        return {"amount": amount, "tipper": tipper, "level": level, **sent}

    def forget(self, toy_doc):
        """Unbind hook: the toy document (and its link) is gone; end its socket session."""
        self._sessions.close(str(toy_doc["_id"]))
