"""Lovense result codes → typed errors with a human message and ``data.lovense_code``.

Sources: seeds/002 (LAN and server error tables), seeds/003 (Cam Kit getToken), LOVENSE.md.
The messages are ours: an upstream ``message`` is never passed through to a client.
"""

from services.errors import Upstream

LAN_ERRORS = {
    400: "Lovense app rejected the command (invalid command)",
    401: "toy not found",
    402: "toy not connected",
    403: "toy doesn't support this command",
    404: "Lovense app rejected a parameter (invalid parameter)",
    500: "Lovense app HTTP server is not started or disabled",
    506: "Lovense app server error, restart Lovense Remote/Connect",
}
SERVER_ERRORS = {
    400: "Lovense server rejected the command (invalid command)",
    404: "Lovense server rejected a parameter (invalid parameter)",
    501: "Lovense server rejected the developer token",
    502: "developer account has no permission to use this Lovense API",
    503: "Lovense server does not know this user (invalid user id)",
    507: "Lovense app is offline",
}
CAM_ERRORS = {
    401: "Lovense server rejected the developer token",
    402: "Lovense server rejected the model information",
    505: "Lovense server failed to issue the model token",
}
TABLES = {"lan": LAN_ERRORS, "server": SERVER_ERRORS, "cam": CAM_ERRORS}


def lovense_error(code, source):
    """An ``Upstream`` (502) for Lovense result ``code`` from ``source`` (lan, server, cam)."""
    msg = TABLES[source].get(code, f"Lovense {'app' if source == 'lan' else 'server'} "
                                   f"answered error code {code}")
    return Upstream(msg, data={"lovense_code": code})


def result_code(payload):
    """The integer ``code`` of a Lovense JSON answer, or None when there is none."""
    if not isinstance(payload, dict):
        return None
    code = payload.get("code")
    if isinstance(code, bool):
        return None
    try:
        return int(code)
    except (TypeError, ValueError):
        return None
