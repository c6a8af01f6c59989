"""Helpers for the voice-messaging tests: test audio, a fast fake converter, families."""

import io
from pathlib import Path

from services.audio import ConvertedAudio, new_mp3_name
from services.auth import Caller
from tests.audio_samples import amr_wb_bytes, write_tones

# name: ffmpeg output options for a short sine tone (the bundled ffmpeg has these encoders)
ENCODINGS = {
    "amr-nb.amr": ["-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb", "-b:a", "12.2k"],
    "aac.m4a": ["-c:a", "aac", "-b:a", "32k"],  # the mp4 muxer writes the moov index last
    "opus.webm": ["-c:a", "libopus", "-b:a", "24k"],
    "vorbis.ogg": ["-c:a", "libvorbis"],
    "lame.mp3": ["-c:a", "libmp3lame", "-b:a", "32k"],
    "pcm.wav": ["-c:a", "pcm_s16le"],
}


def make_samples(folder, seconds=1.0):
    """Write a tone in every encoding (one ffmpeg run) plus AMR-WB into ``folder``."""
    folder = write_tones(folder, ENCODINGS, seconds)
    (folder / "amr-wb.awb").write_bytes(amr_wb_bytes())
    return {path.name: path.read_bytes() for path in folder.iterdir()}


class FakeConverter:
    """Stands in for AudioConverter where the format does not matter: writes a few bytes under a
    new name instantly. ``fail`` (an exception) makes the next conversions raise it."""

    temp_dir = None

    def __init__(self):
        self.calls = 0
        self.fail = None

    def convert_to_mp3(self, source, folder, *, name=None, max_seconds=None):
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        if hasattr(source, "read"):
            source.read()
        path = Path(folder) / (name or new_mp3_name())
        path.write_bytes(b"ID3 fake mp3")
        return ConvertedAudio(path.name, path, 1.0, path.stat().st_size)


class Family:
    """A parent with one toy; the toy calls the parent ``remark``."""

    def __init__(self, api, remark="Mum", nickname="Dad"):
        self.api = api
        self.parent_id, self.parent = api.user(nickname=nickname)
        self.toy_id, self.toy = api.toy(self.parent, remark=remark)
        friends = api.ok("/friend_list", self.parent)
        self.chat_id = next(f["friend_chat"] for f in friends if f["friend_id"] == self.toy_id)

    def upload(self, data=b"fake", filename="voice.amr", token=None, **fields):
        """Parent → toy through /app_uploader; returns ``(status, json)``."""
        fields.setdefault("to_user", self.toy_id)
        return post_file(self.api, "/app_uploader", token or self.parent, "reco_file", data,
                         filename, **fields)

    def reply(self, data=b"fake", filename="reply.amr", **fields):
        """Toy → parent through /toy_uploader; returns ``(status, json)``."""
        fields = {"to_user": self.parent_id, "friend_type": "app", **fields}
        return post_file(self.api, "/toy_uploader", self.toy, "reco", data, filename, **fields)

    def parent_caller(self):
        return Caller(self.parent_id, "app", "")

    def toy_caller(self):
        return Caller(self.toy_id, "toy", "")


def post_file(api, path, token, field, data, filename, **fields):
    """Multipart POST of ``data`` as ``field`` with the client file name ``filename``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    form = dict(fields, **{field: (io.BytesIO(data), filename)})
    response = api.client.post(path, data=form, headers=headers,
                               content_type="multipart/form-data")
    return response.status_code, response.get_json()


def chat_files(api):
    """Names of the files in the media ``chat`` folder (local backend), work files included."""
    folder = Path(api.services.settings["MEDIA_DIR"]) / "chat"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def unread_in_mongo(api, receiver):
    return api.services.store.messages.unread_by_sender(receiver)
