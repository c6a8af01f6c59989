"""Client of the Lovense cloud API: Standard API by server, Basic Socket API tokens, Cam Kit.

Sources: seeds/002 (getQrCode, api/lan/v2/command), seeds/000-001 (basicApi getToken,
getSocketUrl), seeds/003 (cam/model/getToken, form-encoded). getQrCode and the basicApi calls
succeed with code 0, commands and Cam Kit with code 200. The developer token goes in request
bodies only: never in a URL, an exception message or a log line.
"""

import json
import logging
from urllib.parse import quote, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, TimeoutError

from services.clients.tls import client_context
from services.errors import Upstream, UpstreamTimeout
from services.lovense.codes import lovense_error, result_code

log = logging.getLogger(__name__)


class LovenseApiClient:
    """Calls ``{base_url}/api/...`` with the developer ``token``; one pool, explicit timeouts."""

    def __init__(self, developer_token, base_url="https://api.lovense-api.com", timeout=5.0,
                 ca_bundle=None):
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("LOVENSE_API_BASE must be an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self._token = developer_token or ""
        self._http = urllib3.PoolManager(
            num_pools=4, maxsize=4, ssl_context=client_context(ca_bundle), retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout))

    @property
    def configured(self):
        """True when a developer token is set (the server API cannot work without it)."""
        return bool(self._token)

    def _post(self, path, fields, success, source="server", form=False):
        """POST ``fields`` (JSON, or form-encoded) and return the answer when its code is
        ``success``; raise Upstream/UpstreamTimeout otherwise."""
        if not self._token:
            raise Upstream("Lovense developer token is not configured")
        url = f"{self.base_url}{path}"
        try:
            if form:
                response = self._http.request(
                    "POST", url, fields=fields, encode_multipart=False,
                    headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
            else:
                response = self._http.request(
                    "POST", url, body=json.dumps(fields).encode(),
                    headers={"Content-Type": "application/json"})
        except (MaxRetryError, HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: refused, not slow.
            if isinstance(reason, TimeoutError) and not isinstance(reason, NewConnectionError):
                log.warning("Lovense API %s timed out", path)
                raise UpstreamTimeout("Lovense server did not answer in time") from None
            log.warning("Lovense API %s unreachable: %s", path, type(reason).__name__)
            raise Upstream("Lovense server is not reachable") from None
        return _check(path, response, success, source)

    def get_qr_code(self, uid, uname, utoken):
        """getQrCode (v 2) → ``{"qr": image URL, "code": 6-char code for PC Remote}``."""
        answer = self._post("/api/lan/getQrCode", {
            "token": self._token, "uid": uid, "uname": uname, "utoken": utoken, "v": 2}, 0)
        data = answer.get("data") or {}
        return {"qr": data.get("qr"), "code": data.get("code")}

    def command(self, uid, body):
        """api/lan/v2/command: the LAN ``body`` plus token and uid; returns the answer."""
        return self._post("/api/lan/v2/command", {"token": self._token, "uid": uid, **body}, 200)

    def socket_auth_token(self, uid, uname, utoken):
        """basicApi/getToken → the user's ``authToken`` for the Basic Socket API."""
        answer = self._post("/api/basicApi/getToken", {
            "token": self._token, "uid": uid, "uname": uname, "utoken": utoken}, 0)
        auth = (answer.get("data") or {}).get("authToken")
        if not auth:
            raise Upstream("Lovense server sent no socket auth token")
        return auth

    def socket_url(self, platform, auth_token):
        """basicApi/getSocketUrl → ``{"socketIoUrl", "socketIoPath"}``."""
        answer = self._post("/api/basicApi/getSocketUrl",
                            {"platform": platform, "authToken": auth_token}, 0)
        data = answer.get("data") or {}
        if not data.get("socketIoUrl"):
            raise Upstream("Lovense server sent no socket URL")
        return {"socketIoUrl": data["socketIoUrl"],
                "socketIoPath": data.get("socketIoPath") or "/socket.io"}

    def cam_model_token(self, model_id, model_name):
        """Cam Kit getToken (form-encoded ``dToken``, ``mInfo``) → ``{"mId", "mToken"}``."""
        info = json.dumps({"mId": model_id, "mName": model_name}, ensure_ascii=False)
        answer = self._post("/api/cam/model/getToken",
                            {"dToken": self._token, "mInfo": info}, 200, "cam", form=True)
        data = answer.get("data") or {}
        if not data.get("mToken"):
            raise Upstream("Lovense server sent no model token")
        return {"mId": data.get("mId", model_id), "mToken": data["mToken"]}

    def cam_urls(self, m_token):
        """The model's Lovense settings page and broadcast-page script URLs."""
        token = quote(m_token, safe="")
        return {"settings_url": f"{self.base_url}/api/cam/model/v2/setting?mToken={token}",
                "model_js_url": f"{self.base_url}/api/cam/model/v2/model.js?mToken={token}"}

    def close(self):
        self._http.clear()


def _check(path, response, success, source):
    try:
        payload = json.loads(response.data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    code = result_code(payload)
    if code is None and isinstance(payload, dict) and payload.get("result") is True:
        return payload
    if code is None:
        log.warning("Lovense API %s answered HTTP %s without a result code", path, response.status)
        raise Upstream("Lovense server sent an unreadable answer",
                       data={"http_status": response.status})
    if code != success:
        log.info("Lovense API %s answered code %s", path, code)
        raise lovense_error(code, source)
    return payload
