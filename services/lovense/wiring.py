"""Build device control from settings (SPEC §10), with the Lovense clients injectable.

``create_app(..., lovense=clients)`` replaces the three outbound clients: an object with ``lan``
(LovenseLanClient-like), ``api`` (LovenseApiClient-like) and ``connect_socket(url, path,
on_event, on_status)`` returning a started SocketIo2Client-like session.
"""

from types import SimpleNamespace

from services.clients.lovense_api import LovenseApiClient
from services.clients.lovense_lan import LovenseLanClient
from services.clients.lovense_socket import SocketIo2Client
from services.devicectl import DeviceControl
from services.lovense.pacing import CommandPacer, SharedCommandPacer
from services.lovense.sessions import SocketSessions
from services.lovense.shared_sessions import SharedSessions
from services.store.lovense import LovenseStore
from services.store.lovense_shared import PaceSlots, SessionDirectory


def lovense_clients(settings):
    """The real clients, configured from LOVENSE_* settings (no I/O until used)."""
    timeout, ca = float(settings["LOVENSE_TIMEOUT"]), settings.get("LOVENSE_CA_BUNDLE")

    def connect_socket(url, path, on_event, on_status):
        return SocketIo2Client(url, path, on_event, on_status, timeout=timeout,
                               ca_bundle=ca).start()

    return SimpleNamespace(
        lan=LovenseLanClient(settings["LOVENSE_PLATFORM"], timeout, ca),
        api=LovenseApiClient(settings["LOVENSE_DEVELOPER_TOKEN"], settings["LOVENSE_API_BASE"],
                             timeout, ca),
        connect_socket=connect_socket)


def add_device_control(services, settings, overrides):
    """Add ``services.devicectl`` and hook unbinding so it forgets the toy's socket session.

    With ``REDIS_URL`` command pacing and socket sessions are shared by every process."""
    clients = overrides.get("lovense") or lovense_clients(settings)
    links = LovenseStore(services.store.collections)
    timeout = float(settings["LOVENSE_TIMEOUT"])
    sessions = SocketSessions(clients.api, links, services.notifier,
                              settings["LOVENSE_PLATFORM"], clients.connect_socket, timeout)
    pacer = CommandPacer(float(settings.get("LOVENSE_MIN_INTERVAL", 0.2)),
                         float(settings.get("LOVENSE_MAX_WAIT", 2.0)))
    if settings.get("REDIS_URL"):  # several processes: pacing and sessions shared through Redis
        store = services.store
        pacer = SharedCommandPacer(
            PaceSlots(store.redis, store.redis_prefix, store.redis_breaker), pacer)
        sessions = SharedSessions(
            sessions, SessionDirectory(store.redis, store.redis_prefix, store.redis_breaker),
            settings["SECRET_KEY"], float(settings.get("LOVENSE_SESSION_LEASE", 10)), timeout)
    services.lovense = clients
    services.devicectl = DeviceControl(
        services.toys, links, clients, sessions, services.notifier, pacer,
        secret=settings["SECRET_KEY"], lan_enabled=settings["LOVENSE_LAN_ENABLED"],
        fresh_seconds=float(settings["LOVENSE_LAN_FRESH_SECONDS"]))
    services.toys.unbind_hooks.append(services.devicectl.forget)
