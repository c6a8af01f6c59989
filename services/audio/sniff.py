"""Cheap header checks ffmpeg does not make for us."""

import struct

_STREAMING_SIZES = (0, 0xFFFFFFFF)  # recorders that cannot seek back write these as "unknown"
_HEADER_BYTES = 64 * 1024


def wav_is_truncated(path):
    """True when ``path`` is a RIFF/WAVE file whose ``data`` chunk is shorter than declared.

    A streaming WAV (declared size 0 or 0xFFFFFFFF) is never called truncated; non-WAV files
    and WAVs without a ``data`` chunk in the first 64 KiB return False (ffmpeg judges those).
    """
    with open(path, "rb") as stream:
        head = stream.read(_HEADER_BYTES)
        stream.seek(0, 2)
        file_size = stream.tell()
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    offset = 12
    while offset + 8 <= len(head):
        chunk_id, size = struct.unpack_from("<4sI", head, offset)
        if chunk_id == b"data":
            return size not in _STREAMING_SIZES and offset + 8 + size > file_size
        offset += 8 + size + (size & 1)  # chunks are padded to an even length
    return False
