"""Server-run Basic Socket API sessions, one per toy (seeds/000-001).

``start`` does getToken → getSocketUrl → connect, asks for the QR code with an ``ackId`` and
waits for the matching ``basicapi_get_qrcode_tc``. While the session lives, device info and app
status events are kept on the toy and pushed to its owner as ``lovense``. Commands go out with
``basicapi_send_toy_command_ts`` (fire and forget: the server sends no answer). This class holds
the sessions of one process; with Redis, ``SharedSessions`` (shared_sessions.py) makes one
process own each session and routes the others' commands to it.
"""

import logging
import secrets
import threading

from bson import ObjectId

from services.errors import Upstream, UpstreamTimeout
from services.lovense.codes import result_code
from services.lovense.linking import socket_device_info

log = logging.getLogger(__name__)
QR_EVENT = "basicapi_get_qrcode_tc"
DEVICE_EVENT = "basicapi_update_device_info_tc"
STATUS_EVENTS = {"basicapi_update_app_status_tc": "app_status",
                 "basicapi_update_app_online_tc": "app_online"}


class _Session:
    def __init__(self):
        self.client = None
        self.ack_id = secrets.token_hex(8)
        self.qr = None
        self.qr_ready = threading.Event()


class SocketSessions:
    """``connect(url, path, on_event, on_status)`` returns a started SocketIo2Client-like
    object (``wait_connected``, ``emit``, ``connected``, ``close``)."""

    def __init__(self, api, links, notifier, platform, connect, timeout=5.0):
        self._api, self._links, self._notifier = api, links, notifier
        self._platform, self._connect, self._timeout = platform, connect, timeout
        self._sessions = {}
        self._lock = threading.Lock()

    def start(self, toy_id, owner_id, uname, utoken):
        """Open (or reopen) the toy's session; return ``{qr, qrcode, ackId}``.

        Raises Upstream / UpstreamTimeout when Lovense refuses or does not answer in time.
        """
        session = self.resume(toy_id, owner_id, uname, utoken)
        session.client.emit("basicapi_get_qrcode_ts", {"ackId": session.ack_id})
        if not session.qr_ready.wait(self._timeout):
            self.close(toy_id)
            raise UpstreamTimeout("Lovense socket server sent no QR code in time")
        code = result_code(session.qr)
        data = (session.qr or {}).get("data") or {}
        if code not in (0, 200) or not data.get("qrcodeUrl"):
            self.close(toy_id)
            raise Upstream("Lovense socket server refused the QR code",
                           data={"lovense_code": code})
        return {"qr": data.get("qrcodeUrl"), "qrcode": data.get("qrcode"),
                "ackId": session.ack_id}

    def resume(self, toy_id, owner_id, uname, utoken):
        """Connect the toy's session (getToken → getSocketUrl → connect) without asking for a
        QR code: a new session, or one taken over from a process that died. Returns it once
        connected; raises Upstream / UpstreamTimeout."""
        self.close(toy_id)
        auth = self._api.socket_auth_token(toy_id, uname, utoken)
        where = self._api.socket_url(self._platform, auth)
        session = _Session()
        try:
            session.client = self._connect(
                where["socketIoUrl"], where["socketIoPath"],
                lambda event, data: self._on_event(toy_id, owner_id, session, event, data),
                lambda state: log.info("Lovense socket for toy %s: %s", toy_id, state))
        except ValueError:
            raise Upstream("Lovense server sent an unusable socket URL") from None
        with self._lock:
            self._sessions[toy_id] = session
        if not session.client.wait_connected(self._timeout):
            self.close(toy_id)
            raise UpstreamTimeout("Lovense socket server did not accept the connection in time")
        return session

    def _on_event(self, toy_id, owner_id, session, event, data):
        if event == QR_EVENT:
            if isinstance(data, dict) and (data.get("data") or {}).get("ackId") in (
                    session.ack_id, None):
                session.qr = data
                session.qr_ready.set()
            return
        if not isinstance(data, dict):
            return
        if event == DEVICE_EVENT:
            info = socket_device_info(data)
        elif event in STATUS_EVENTS:
            info = {STATUS_EVENTS[event]: data.get("status")}
        else:
            return
        if self._links.update(ObjectId(toy_id), info):
            self._notifier.emit("lovense", {"toy_id": toy_id, **info}, to=owner_id)

    def connected(self, toy_id):
        """The toy's live session client, or None."""
        with self._lock:
            session = self._sessions.get(toy_id)
        return session.client if session and session.client.connected else None

    def send(self, toy_id, body):
        """Emit a LAN ``body`` as ``basicapi_send_toy_command_ts``; Upstream when no session."""
        client = self.connected(toy_id)
        if client is None:
            raise Upstream("no Lovense socket session for this toy")
        client.emit("basicapi_send_toy_command_ts", body)

    def close(self, toy_id):
        """End the toy's session if any (unbinding, restart)."""
        with self._lock:
            session = self._sessions.pop(toy_id, None)
        if session is not None and session.client is not None:
            session.client.close()

    def held(self):
        """``{toy_id: still running}`` for this process's sessions (False once the client gave
        up reconnecting)."""
        with self._lock:
            sessions = dict(self._sessions)
        return {toy_id: getattr(session.client, "running", True)
                for toy_id, session in sessions.items()}

    def close_all(self):
        for toy_id in list(self._sessions):
            self.close(toy_id)
