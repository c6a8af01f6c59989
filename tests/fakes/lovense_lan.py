"""A fake Lovense Remote app: the HTTPS ``/command`` server of the Standard API by LAN.

Answers as seeds/002 documents: GetToys with ``data.toys`` as a JSON *string*, GetToyName with a
list, other commands ``{"code": 200, "type": "ok"}``. ``fail_with(code)`` answers a documented
error code (500, 400, 401, 402, 403, 404, 506) instead; the base class hangs, drops or vanishes.
"""

import json

from tests.fakes.https import RecordingHttpsServer
from tests.fakes.tls import LAN_NAME

TOYS = {
    "f082c00246fa": {
        "id": "f082c00246fa", "status": "1", "version": "", "name": "nora", "battery": 60,
        "nickName": "", "shortFunctionNames": ["v", "r"],
        "fullFunctionNames": ["Vibrate", "Rotate"],
    },
    "c44a9b0a1d7e": {
        "id": "c44a9b0a1d7e", "status": "0", "version": "", "name": "lush", "battery": None,
        "nickName": "Pinky", "shortFunctionNames": ["v"], "fullFunctionNames": ["Vibrate"],
    },
}


class FakeLovenseApp(RecordingHttpsServer):
    """Listens on 127.0.0.1 with a certificate for ``127-0-0-1.lovense.club``."""

    def __init__(self, authority):
        super().__init__(authority.server_context(LAN_NAME))
        self.domain = LAN_NAME
        self.error_code = None

    def fail_with(self, code):
        """Answer every command with the Lovense error ``code`` (None: succeed again)."""
        self.error_code = code

    @property
    def bodies(self):
        """The JSON bodies received, in order."""
        return [r.get("json") for r in self.requests]

    def respond(self, record):
        body = record.get("json") or {}
        if record["path"] != "/command":
            return 404, {"code": 404, "message": "not found"}
        if self.error_code is not None:
            return 200, {"code": self.error_code, "type": "error"}
        if body.get("command") == "GetToys":
            toys = json.dumps(TOYS, indent=2)
            return 200, {"code": 200, "type": "OK",
                         "data": {"toys": toys, "platform": "ios", "appType": "remote"}}
        if body.get("command") == "GetToyName":
            return 200, {"code": 200, "data": ["Nora", "Lush"], "type": "OK"}
        if body.get("command") == "PatternV2" and body.get("type") == "SyncTime":
            return 200, {"code": 200}
        return 200, {"code": 200, "type": "ok"}
