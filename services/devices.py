"""Licensed devices: keys and their QR codes (operator CLI)."""

import io
import secrets
import time

import qrcode


class DeviceService:
    def __init__(self, store, media):
        self._devices = store.devices
        self._media = media

    def create(self, count):
        """Create ``count`` devices; return their keys. Each QR PNG encodes the key."""
        keys = []
        for _ in range(count):
            key = secrets.token_hex(16)
            self._write_qr(key)
            self._devices.insert(key, time.time())
            keys.append(key)
        return keys

    def _write_qr(self, key):
        png = io.BytesIO()
        qrcode.make(key, box_size=8, border=2).save(png)
        self._media.put("qr", f"{key}.png", png.getvalue())

    def all(self):
        return self._devices.all()
