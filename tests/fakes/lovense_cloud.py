"""A fake Lovense cloud API (api.lovense-api.com) over HTTPS on 127.0.0.1.

Serves getQrCode, api/lan/v2/command, basicApi getToken/getSocketUrl and Cam Kit getToken with
the documented success codes (0, 200, 0, 0, 200) and shapes. ``fail(path, code)`` answers a
documented error code on one path; ``token`` is the developer token it accepts (501, or 401 for
Cam Kit, otherwise).
"""

import json

from tests.fakes.https import RecordingHttpsServer

QR = "/api/lan/getQrCode"
COMMAND = "/api/lan/v2/command"
SOCKET_TOKEN = "/api/basicApi/getToken"
SOCKET_URL = "/api/basicApi/getSocketUrl"
CAM_TOKEN = "/api/cam/model/getToken"


class FakeLovenseCloud(RecordingHttpsServer):
    def __init__(self, authority, token):
        super().__init__(authority.server_context("127.0.0.1", "localhost"))
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.token = token
        self.failures = {}
        self.socket_io_url = "http://127.0.0.1:9/"
        self.socket_io_path = "/developer.io"

    def fail(self, path, code):
        """Answer ``path`` with Lovense error ``code`` (None: succeed again)."""
        self.failures[path] = code

    def received(self, path):
        """The parsed bodies (JSON or form) received on ``path``, in order."""
        return [r.get("json", r.get("form")) for r in self.requests if r["path"] == path]

    def respond(self, record):
        path = record["path"]
        fields = record.get("json", record.get("form")) or {}
        if self.failures.get(path) is not None:
            return 200, {"result": False, "code": self.failures[path], "message": "failed"}
        given = fields.get("dToken") if path == CAM_TOKEN else fields.get("token")
        if path != SOCKET_URL and given != self.token:
            return 200, {"result": False, "code": 401 if path == CAM_TOKEN else 501,
                         "message": "Invalid token"}
        if path == QR:
            return 200, {"code": 0, "message": "Success", "result": True, "data": {
                "qr": "https://test2.lovense.com/UploadFiles/qr/20220106/xxx.jpg",
                "code": "Ab12Cd"}}
        if path == COMMAND:
            return 200, {"result": True, "code": 200, "message": "Success"}
        if path == SOCKET_TOKEN:
            return 200, {"code": 0, "message": "Success", "data": {"authToken": "auth-" +
                                                                    fields.get("uid", "")}}
        if path == SOCKET_URL:
            return 200, {"code": 0, "message": "Success", "data": {
                "socketIoPath": self.socket_io_path, "socketIoUrl": self.socket_io_url}}
        if path == CAM_TOKEN:
            return 200, {"result": True, "message": "SuccessFully", "code": 200,
                         "data": {"mId": json.loads(fields["mInfo"])["mId"],
                                  "mToken": "95116bd2af44b753da2a1e4cd55cf965"}}
        return 404, {"code": 404, "message": "no such API"}
